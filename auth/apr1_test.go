package auth

import (
	"os/exec"
	"strings"
	"testing"
)

// Vectors written by the real tool (apache2-utils 2.4.67): htpasswd -nbm / -nbs / -nbB / -nbd.
const (
	vecAPR1        = "$apr1$sd/10FFt$zzWXObtCN9cy83NTEi4m5."                        // "correct horse"
	vecAPR1Unicode = "$apr1$IYuULzG/$005E23MEkYBG0VWl5vnQP/"                        // "p@ss:w0rd ünï"
	vecAPR1Empty   = "$apr1$rKcXZzJR$LkAr78gDYMYG5hPxHdnO21"                        // ""
	vecSHA         = "{SHA}4/8EauNSRAt2M2wN8hy6sNnX6do="                            // "battery staple"
	vecBcrypt2y    = "$2y$05$PeP00JAWBIV5NB2PfppbS.YFsfXLenwSbrHY.LpQeFWWak3YAauxG" // "bcrypt pw"
	vecBcryptLong  = "$2y$04$o3qp9rlBtbDXguEDrSrSwexbmPdPokxOlkarmpSUDNCWjZavPqgkW" // 80 x "a"
	vecDES         = "K/N0Ycxd3hrtQ"                                                // "secret"
	vecSHA256Crypt = "$5$kIg88XPMWqUUXhyr$VzeNSXkWVVmxSyGeOUCJzbTdusR4Z9MicY8Y2odPSj."
	vecSHA512Crypt = "$6$g2goEibB3jTSABwu$y7sykfGylhqphd6A0rql.Mkwax5x07ju7i1a0I/8Oas12sLPJX6RiMTtkrMYR0rdvhHOwW05xZDDofg0.jBxN0"
)

func TestAPR1MatchesVectorsFromTheHtpasswdTool(t *testing.T) {
	tests := []struct {
		name, hash, password string
	}{
		{"an ASCII password with a space", vecAPR1, "correct horse"},
		{"a password with a colon and non-ASCII letters", vecAPR1Unicode, "p@ss:w0rd ünï"},
		{"the empty password", vecAPR1Empty, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, digest, ok := parseAPR1(tt.hash)
			if !ok {
				t.Fatalf("parseAPR1(%q) refused a hash written by htpasswd", tt.hash)
			}
			if got := string(apr1Digest([]byte(tt.password), []byte(salt))); got != digest {
				t.Errorf("digest = %q, want %q", got, digest)
			}
			if !verifyAPR1(tt.hash, []byte(tt.password)) {
				t.Error("the right password does not verify")
			}
			if verifyAPR1(tt.hash, []byte(tt.password+"x")) {
				t.Error("a wrong password verifies")
			}
		})
	}
}

func TestAPR1RefusesMalformedHashes(t *testing.T) {
	tests := []struct{ name, hash string }{
		{"a hash without the magic", "$1$sd/10FFt$zzWXObtCN9cy83NTEi4m5."},
		{"a hash without a digest separator", "$apr1$sd/10FFtzzWXObtCN9cy83NTEi4m5."},
		{"a salt longer than eight characters", "$apr1$sd/10FFtX$zzWXObtCN9cy83NTEi4m5."},
		{"a digest one character short", "$apr1$sd/10FFt$zzWXObtCN9cy83NTEi4m5"},
		{"a digest with a character outside the crypt alphabet", "$apr1$sd/10FFt$zzWXObtCN9cy83NTEi4m5="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, ok := parseAPR1(tt.hash); ok {
				t.Errorf("parseAPR1(%q) accepted it", tt.hash)
			}
			if kind, reason := classifyHash(tt.hash); kind != "" || reason == "" {
				t.Errorf("classifyHash(%q) = %q, %q; want it refused", tt.hash, kind, reason)
			}
		})
	}
}

// TestHashesAgreeWithTheRealHtpasswdTool runs /usr/bin/htpasswd (apt package apache2-utils)
// when it is installed, in both directions: its hashes verify here, and ours verify there.
func TestHashesAgreeWithTheRealHtpasswdTool(t *testing.T) {
	tool, err := exec.LookPath("htpasswd")
	if err != nil {
		t.Skip("htpasswd not installed (apt-get install apache2-utils); the constant vectors still run")
	}
	passwords := []string{
		"", "a", "correct horse battery staple", "p@ss:w0rd ünï", `quo"te'$\`,
		strings.Repeat("0123456789", 12), // longer than bcrypt's 72 bytes and several MD5 blocks
	}
	for _, flag := range []string{"-m", "-s", "-B"} {
		for _, pw := range passwords {
			t.Run("htpasswd "+flag+" hash of a "+describe(pw)+" verifies", func(t *testing.T) {
				args := []string{"-nb" + flag[1:], "user", pw}
				if flag == "-B" {
					args = []string{"-nbB", "-C", "4", "user", pw}
				}
				out, err := exec.Command(tool, args...).Output()
				if err != nil {
					t.Fatalf("htpasswd %v: %v", args[:len(args)-1], err)
				}
				h, warnings, err := ParseHtpasswd(strings.NewReader(string(out)), "tool")
				if err != nil || len(warnings) > 0 {
					t.Fatalf("parse %q: %v %v", out, err, warnings)
				}
				if !h.Verify("user", Password(pw)) {
					t.Errorf("%q does not verify its password", out)
				}
				if h.Verify("user", Password("!"+pw)) {
					t.Errorf("%q verifies a wrong password", out)
				}
			})
		}
	}
	t.Run("htpasswd -v accepts a hash made by HashBcrypt", func(t *testing.T) {
		hash, err := HashBcrypt(Password("made by regauth"), 4)
		if err != nil {
			t.Fatal(err)
		}
		file := t.TempDir() + "/htpasswd"
		writeFile(t, file, "user:"+hash+"\n")
		if out, err := exec.Command(tool, "-vb", file, "user", "made by regauth").CombinedOutput(); err != nil {
			t.Errorf("htpasswd -v refused it: %v: %s", err, out)
		}
		if err := exec.Command(tool, "-vb", file, "user", "wrong").Run(); err == nil {
			t.Error("htpasswd -v accepted a wrong password")
		}
	})
}

func describe(pw string) string {
	switch {
	case pw == "":
		return "empty password"
	case len(pw) > 72:
		return "long password"
	default:
		return "password " + strings.ToValidUTF8(pw, "?")
	}
}

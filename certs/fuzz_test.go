package certs

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecodePFX: whatever the bytes and password, DecodePFX returns a usable bundle or an
// error, never a panic. Seeded with every fixture, with and without the right password.
func FuzzDecodePFX(f *testing.F) {
	for _, dir := range []string{"testdata", sharedFixtures} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pfx"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, fixturePassword)
			f.Add(data, "")
		}
	}
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x03}, "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		b, err := DecodePFX(data, password)
		if err != nil {
			if b != nil {
				t.Fatal("bundle returned with an error")
			}
			return
		}
		if b.Leaf == nil || b.Key == nil || !samePublicKey(b.Key.Public(), b.Leaf.PublicKey) {
			t.Fatal("decoded bundle without a matching leaf and key")
		}
		_ = b.TLSCertificate()
		_ = b.ChainPEM()
		_ = b.Check(b.Leaf.NotBefore)
	})
}

package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/regauth/regauth/certs"
	"github.com/regauth/regauth/config"
	"github.com/regauth/regauth/internal/atomicfile"
)

func newCertCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Inspect certificates and turn a .pfx into the PEM files other servers want",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(errors.New("missing subcommand: inspect or import"))
		},
	}
	cmd.AddCommand(newCertInspectCommand(), newCertImportCommand())
	return cmd
}

const pfxPasswordHelp = `The .pfx password comes from --password-file, else from ` + config.PFXPasswordEnv + `;
the empty password is always tried first, and on a terminal regauth asks for the
password (without echo) when neither is given. There is no password flag.`

func newCertInspectCommand() *cobra.Command {
	var passwordFile, keyFile, chainFile string
	cmd := &cobra.Command{
		Use:   "inspect [FILE]",
		Short: "Show what a .pfx/.p12 or PEM certificate holds and how it is protected",
		Long: `Show the subject, names (SANs), issuer chain, validity, key type and size of a
certificate, whether its chain is complete (ends at a self-signed root), and for a
PKCS#12 file the algorithms that protect it, flagging the legacy ones (RC2, RC4, 3DES,
a SHA-1 MAC) that OpenSSL 3 refuses or that protect the key poorly.

FILE is a .pfx/.p12, or PEM (certificates, with the key in the same file or in --key).
Without FILE, the certificate the configuration serves is inspected (tls.pfx, or
tls.cert and tls.key, or the generated development certificate).

` + pfxPasswordHelp,
		Example: `  regauth cert inspect wildcard.pfx
  REGAUTH_TLS_PFX_PASSWORD=changeit regauth cert inspect wildcard.pfx --chain int.crt
  regauth cert inspect server.crt --key server.key
  regauth -c regauth.yaml cert inspect`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := inspectSource(cmd, args, passwordFile, keyFile)
			if err != nil {
				return err
			}
			if chainFile != "" && src.bundle != nil {
				if err := addChain(src.bundle, chainFile); err != nil {
					return err
				}
			}
			printInspection(cmd.OutOrStdout(), src, time.Now())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&passwordFile, "password-file", "", "file holding the .pfx password (one line)")
	f.StringVar(&keyFile, "key", "", "PEM private key, when FILE is a PEM certificate without its key")
	f.StringVar(&chainFile, "chain", "", "PEM intermediates to add, as tls.chain would")
	return cmd
}

func newCertImportCommand() *cobra.Command {
	var passwordFile, chainFile, outDir string
	cmd := &cobra.Command{
		Use:   "import FILE.pfx --out DIR",
		Short: "Write a .pfx as DIR/server.crt (leaf + intermediates) and DIR/server.key (0600)",
		Long: `Open a PKCS#12 file, legacy (RC2-40, 3DES, SHA-1 MAC: what OpenSSL 3 refuses without
-legacy) or modern, and write DIR/server.crt (the leaf followed by its intermediates,
without the root) and DIR/server.key (the unencrypted PKCS#8 key, mode 0600), each
replaced atomically. --chain adds intermediates the .pfx lacks. The files suit
regauth's tls.cert/tls.key, nginx, Apache and a registry's own TLS settings.

` + pfxPasswordHelp,
		Example: `  regauth cert import wildcard.pfx --chain intermediate.crt --out /etc/regauth/tls`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := args[0]
			data, err := readInput(file)
			if err != nil {
				return err
			}
			b, err := openPFX(cmd, file, data, passwordFile, nil)
			if err != nil {
				return err
			}
			if chainFile != "" {
				if err := addChain(b, chainFile); err != nil {
					return err
				}
			}
			keyPEM, err := b.KeyPEM()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return usage(fmt.Errorf("--out: %w", err))
			}
			certPath, keyPath := filepath.Join(outDir, "server.crt"), filepath.Join(outDir, "server.key")
			// The key first: a server reloading between the two writes then fails to pair the
			// old certificate with the new key and keeps what it serves, never a bad pair.
			if err := atomicfile.Write(keyPath, keyPEM, 0o600); err != nil {
				return err
			}
			if err := atomicfile.Write(certPath, b.ChainPEM(), 0o644); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "wrote %s (%s)\nwrote %s (private key, mode 0600)\n", certPath, chainSummary(b), keyPath)
			for _, w := range b.Check(time.Now()) {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s\n", w)
			}
			absCert, _ := filepath.Abs(certPath)
			absKey, _ := filepath.Abs(keyPath)
			fmt.Fprintf(out, "\nTo serve them, put in the regauth configuration (instead of tls.pfx):\n\ntls:\n  cert: %s\n  key: %s\n", absCert, absKey)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&passwordFile, "password-file", "", "file holding the .pfx password (one line)")
	f.StringVar(&chainFile, "chain", "", "PEM intermediates to add when the .pfx lacks them")
	f.StringVar(&outDir, "out", "", "directory for server.crt and server.key (created if missing)")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// inspected is what cert inspect found: a bundle (certificate with key), or only certificates.
type inspected struct {
	name       string
	kind       string // PKCS#12, PEM or DER
	bundle     *certs.Bundle
	certs      []*x509.Certificate // PEM or DER without a key, in file order
	algorithms []certs.PFXAlgorithm
	algErr     error // the PKCS#12 structure could not be read (the file still opened)
}

func inspectSource(cmd *cobra.Command, args []string, passwordFile, keyFile string) (*inspected, error) {
	if len(args) == 0 {
		return configuredSource(cmd)
	}
	file := args[0]
	data, err := readInput(file)
	if err != nil {
		return nil, err
	}
	src := &inspected{name: file, kind: "PEM"}
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		src.kind = "DER"
		algs, aerr := certs.InspectPFX(data)
		if !errors.Is(aerr, certs.ErrNotPKCS12) {
			src.kind, src.algorithms, src.algErr = "PKCS#12", algs, aerr
			src.bundle, err = openPFX(cmd, file, data, passwordFile, nil)
			return src, err
		}
		// Not PKCS#12: maybe a DER certificate (.cer), handled with PEM below.
	}
	keyData := data
	if keyFile != "" {
		if keyData, err = readInput(keyFile); err != nil {
			return nil, err
		}
	}
	if keyFile != "" || bytes.Contains(data, []byte("PRIVATE KEY-----")) {
		src.bundle, err = certs.ParsePEM(data, keyData)
		if err != nil {
			return nil, denied(fmt.Errorf("%s: %w", file, err))
		}
		return src, nil
	}
	src.certs, err = certs.ParseCertificatesPEM(data)
	if err != nil {
		return nil, denied(fmt.Errorf("%s: neither PKCS#12 nor a certificate: %w", file, err))
	}
	return src, nil
}

// configuredSource is the certificate `serve` would use with the same configuration.
func configuredSource(cmd *cobra.Command) (*inspected, error) {
	cfg, err := loadConfig(cmd, nil)
	if err != nil {
		return nil, usage(err)
	}
	tlsCfg := cfg.TLS
	var src *inspected
	switch {
	case tlsCfg.PFX != "":
		data, err := readInput(tlsCfg.PFX)
		if err != nil {
			return nil, err
		}
		src = &inspected{name: tlsCfg.PFX, kind: "PKCS#12"}
		src.algorithms, src.algErr = certs.InspectPFX(data)
		given := tlsCfg.PFXPassword.Reveal()
		src.bundle, err = openPFX(cmd, tlsCfg.PFX, data, "", &given)
		if err != nil {
			return nil, err
		}
	case tlsCfg.Cert != "":
		b, err := certs.LoadPEM(tlsCfg.Cert, tlsCfg.Key)
		if err != nil {
			return nil, denied(err)
		}
		src = &inspected{name: tlsCfg.Cert, kind: "PEM", bundle: b}
	default:
		crt, key := filepath.Join(cfg.TLSDir(), "server.crt"), filepath.Join(cfg.TLSDir(), "server.key")
		b, err := certs.LoadPEM(crt, key)
		if err != nil {
			return nil, usage(fmt.Errorf("no certificate configured (tls.pfx or tls.cert) and no development certificate yet (%w); name a FILE", err))
		}
		src = &inspected{name: crt, kind: "PEM, development certificate", bundle: b}
	}
	if tlsCfg.Chain != "" {
		if err := addChain(src.bundle, tlsCfg.Chain); err != nil {
			return nil, err
		}
	}
	return src, nil
}

func readInput(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, denied(err)
	}
	if err != nil {
		return nil, usage(err)
	}
	return data, nil
}

func addChain(b *certs.Bundle, chainFile string) error {
	extra, err := certs.LoadChainFile(chainFile)
	if err != nil {
		return denied(err)
	}
	if err := b.AddIntermediates(extra); err != nil {
		return denied(fmt.Errorf("--chain %s: %w", chainFile, err))
	}
	return nil
}

// openPFX decodes a PKCS#12 file. It tries the empty password, then the given one (given
// when the caller has one, else --password-file, else the environment), and asks on a
// terminal when no password was given at all.
func openPFX(cmd *cobra.Command, name string, data []byte, passwordFile string, given *string) (*certs.Bundle, error) {
	source := "the configuration"
	if given == nil && passwordFile != "" {
		pw, err := os.ReadFile(passwordFile)
		if err != nil {
			return nil, usage(fmt.Errorf("--password-file: %w", err))
		}
		s := strings.TrimRight(string(pw), "\r\n")
		given, source = &s, "--password-file "+passwordFile
	}
	if given == nil {
		if pw := os.Getenv(config.PFXPasswordEnv); pw != "" {
			given, source = &pw, config.PFXPasswordEnv
		}
	}
	try := func(pw string) (*certs.Bundle, bool, error) {
		b, err := certs.DecodePFX(data, pw)
		switch {
		case err == nil:
			return b, true, nil
		case errors.Is(err, certs.ErrWrongPassword):
			return nil, false, nil
		}
		return nil, false, denied(fmt.Errorf("%s: %w", name, err))
	}
	if b, ok, err := try(""); ok || err != nil {
		return b, err
	}
	if given != nil {
		if b, ok, err := try(*given); ok || err != nil {
			return b, err
		}
		return nil, denied(fmt.Errorf("%s: %w (password from %s)", name, certs.ErrWrongPassword, source))
	}
	fd, ok := terminalFd(cmd.InOrStdin())
	if !ok {
		return nil, denied(fmt.Errorf("%s: the file needs a password: set %s or pass --password-file FILE", name, config.PFXPasswordEnv))
	}
	for range 3 {
		pw, err := prompt(cmd, fd, fmt.Sprintf("Password for %s: ", name))
		if err != nil {
			return nil, err
		}
		if b, ok, err := try(pw); ok || err != nil {
			return b, err
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "wrong password")
	}
	return nil, denied(fmt.Errorf("%s: %w", name, certs.ErrWrongPassword))
}

func printInspection(w io.Writer, src *inspected, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "File:\t%s (%s)\n", src.name, src.kind)
	if src.bundle != nil {
		printBundle(tw, src.bundle, now)
	} else {
		printCertificates(tw, src.certs, now)
	}
	_ = tw.Flush()
	printAlgorithms(w, src)
	if src.bundle != nil {
		for _, warning := range src.bundle.Check(now) {
			fmt.Fprintf(w, "warning: %s\n", warning)
		}
	}
}

func printBundle(tw io.Writer, b *certs.Bundle, now time.Time) {
	leaf := b.Leaf
	fmt.Fprintf(tw, "Subject:\t%s\n", leaf.Subject)
	fmt.Fprintf(tw, "SANs:\t%s\n", orNone(sans(leaf)))
	fmt.Fprintf(tw, "Issuer:\t%s\n", leaf.Issuer)
	fmt.Fprintf(tw, "Valid:\t%s\n", validity(leaf, now))
	fmt.Fprintf(tw, "Key:\t%s (signature %s)\n", describeKey(b.Key.Public()), leaf.SignatureAlgorithm)
	fmt.Fprintf(tw, "Chain:\t%s\n", chainSummary(b))
	fmt.Fprintf(tw, "  leaf:\t%s, until %s\n", leaf.Subject, day(leaf.NotAfter))
	for _, c := range b.Intermediates {
		fmt.Fprintf(tw, "  intermediate:\t%s, until %s\n", c.Subject, day(c.NotAfter))
	}
	if b.Root != nil {
		fmt.Fprintf(tw, "  root (not served):\t%s, until %s\n", b.Root.Subject, day(b.Root.NotAfter))
	}
	last := leaf
	if n := len(b.Intermediates); n > 0 {
		last = b.Intermediates[n-1]
	}
	fmt.Fprintf(tw, "Complete:\t%s\n", completeness(b.Root, last))
}

// printCertificates describes PEM certificates given without a key, in file order.
func printCertificates(tw io.Writer, list []*x509.Certificate, now time.Time) {
	leaf := list[0]
	fmt.Fprintf(tw, "Subject:\t%s\n", leaf.Subject)
	fmt.Fprintf(tw, "SANs:\t%s\n", orNone(sans(leaf)))
	fmt.Fprintf(tw, "Issuer:\t%s\n", leaf.Issuer)
	fmt.Fprintf(tw, "Valid:\t%s\n", validity(leaf, now))
	fmt.Fprintf(tw, "Key:\t%s (signature %s); no private key given (--key)\n", describeKey(leaf.PublicKey), leaf.SignatureAlgorithm)
	fmt.Fprintf(tw, "Certificates:\t%d, in file order\n", len(list))
	for i, c := range list {
		fmt.Fprintf(tw, "  %d:\t%s, until %s\n", i+1, c.Subject, day(c.NotAfter))
	}
	var root *x509.Certificate
	last := list[len(list)-1]
	if len(list) > 1 && last.CheckSignatureFrom(last) == nil {
		root, last = last, list[len(list)-2]
	}
	fmt.Fprintf(tw, "Complete:\t%s\n", completeness(root, last))
}

// completeness says whether the chain ends at a self-signed root, and what to do if not.
func completeness(root, last *x509.Certificate) string {
	switch {
	case root != nil:
		return fmt.Sprintf("yes: ends at the self-signed root %q", root.Subject.String())
	case last.CheckSignatureFrom(last) == nil:
		return "yes: the certificate is self-signed; clients must trust it directly"
	case last.IsCA:
		return fmt.Sprintf("no root: ends at %q, issued by %q (fine when clients trust that root)", last.Subject.String(), last.Issuer.String())
	}
	return fmt.Sprintf("no: the issuer %q is missing; add the intermediate with --chain (tls.chain when serving)", last.Issuer.String())
}

func printAlgorithms(w io.Writer, src *inspected) {
	if src.algErr != nil {
		fmt.Fprintf(w, "PKCS#12 protection: unreadable (%v)\n", src.algErr)
		return
	}
	if len(src.algorithms) == 0 {
		return
	}
	fmt.Fprintln(w, "PKCS#12 protection:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	refused, legacy := false, false
	for _, a := range src.algorithms {
		desc := a.Name
		if a.Iterations > 0 {
			desc += fmt.Sprintf(", %d iterations", a.Iterations)
		}
		note := "ok"
		switch {
		case a.OpenSSL3Refuses:
			note, refused, legacy = "LEGACY; OpenSSL 3 refuses it without -legacy", true, true
		case a.Legacy:
			note, legacy = "LEGACY", true
		}
		fmt.Fprintf(tw, "  %s:\t%s\t%s\n", a.Use, desc, note)
	}
	_ = tw.Flush()
	switch {
	case refused:
		fmt.Fprintf(w, "This is a legacy PKCS#12 file. regauth serves it as it is (tls.pfx); to get PEM files without OpenSSL -legacy, run:\n  regauth cert import %s --out DIR\n", src.name)
	case legacy:
		fmt.Fprintln(w, "Legacy algorithms protect this file weakly; keep it private, or convert it with `regauth cert import`.")
	}
}

func chainSummary(b *certs.Bundle) string {
	switch n := len(b.Intermediates); n {
	case 0:
		return "leaf only"
	case 1:
		return "leaf + 1 intermediate"
	default:
		return fmt.Sprintf("leaf + %d intermediates", n)
	}
}

func sans(c *x509.Certificate) string {
	var names []string
	for _, d := range c.DNSNames {
		names = append(names, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		names = append(names, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		names = append(names, "email:"+e)
	}
	for _, u := range c.URIs {
		names = append(names, "URI:"+u.String())
	}
	return strings.Join(names, ", ")
}

func validity(c *x509.Certificate, now time.Time) string {
	span := fmt.Sprintf("%s to %s", day(c.NotBefore), day(c.NotAfter))
	switch {
	case now.Before(c.NotBefore):
		return span + fmt.Sprintf(" (NOT YET VALID: starts in %d days)", days(c.NotBefore.Sub(now)))
	case now.After(c.NotAfter):
		return span + fmt.Sprintf(" (EXPIRED %d days ago)", days(now.Sub(c.NotAfter)))
	}
	return span + fmt.Sprintf(" (%d days left)", days(c.NotAfter.Sub(now)))
}

func days(d time.Duration) int { return int(math.Floor(d.Hours() / 24)) }

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func describeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

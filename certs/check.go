package certs

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"
)

// warnBefore is how close to expiry a certificate starts drawing warnings; development
// certificates are renewed inside the same window.
const warnBefore = 30 * 24 * time.Hour

// Validity reports whether the leaf may be served at now: nil, or an error wrapping
// ErrExpired or ErrNotYetValid. Loading never checks dates; see the package doc.
func (b *Bundle) Validity(now time.Time) error {
	name := leafName(b.Leaf)
	switch {
	case now.After(b.Leaf.NotAfter):
		return fmt.Errorf("%w: %s expired %s", ErrExpired, name, b.Leaf.NotAfter.UTC().Format(time.DateOnly))
	case now.Before(b.Leaf.NotBefore):
		return fmt.Errorf("%w: %s is valid from %s", ErrNotYetValid, name, b.Leaf.NotBefore.UTC().Format(time.DateOnly))
	}
	return nil
}

// Check lists what an admin should hear about before clients complain: dates of the leaf
// and intermediates, a chain that stops at the leaf, and algorithms clients refuse.
// Nothing here stops the bundle from loading.
func (b *Bundle) Check(now time.Time) []string {
	var warnings []string
	warnings = append(warnings, dateWarnings("certificate for "+leafName(b.Leaf), b.Leaf, now)...)
	for _, c := range b.Intermediates {
		warnings = append(warnings, dateWarnings(fmt.Sprintf("intermediate %q", c.Subject.CommonName), c, now)...)
	}

	last := b.Leaf
	if n := len(b.Intermediates); n > 0 {
		last = b.Intermediates[n-1]
	}
	if b.Root == nil && !last.IsCA && !isSelfSigned(last) {
		warnings = append(warnings, fmt.Sprintf(
			"chain incomplete: issuer %q not included (add it with tls.chain unless every client trusts it directly)",
			issuerName(last)))
	}

	for _, c := range append([]*x509.Certificate{b.Leaf}, b.Intermediates...) {
		switch c.SignatureAlgorithm {
		case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			warnings = append(warnings, fmt.Sprintf("%q is signed with %s, which current clients refuse", c.Subject.CommonName, c.SignatureAlgorithm))
		}
	}
	if k, ok := b.Key.Public().(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
		warnings = append(warnings, fmt.Sprintf("RSA key of %d bits: current clients refuse keys under 2048 bits", k.N.BitLen()))
	}
	return warnings
}

func dateWarnings(what string, c *x509.Certificate, now time.Time) []string {
	switch {
	case now.After(c.NotAfter):
		return []string{fmt.Sprintf("%s expired %s ago (%s)", what, span(now.Sub(c.NotAfter)), day(c.NotAfter))}
	case now.Before(c.NotBefore):
		return []string{fmt.Sprintf("%s is not valid before %s (in %s)", what, day(c.NotBefore), span(c.NotBefore.Sub(now)))}
	case c.NotAfter.Sub(now) < warnBefore:
		return []string{fmt.Sprintf("%s expires in %s (%s)", what, span(c.NotAfter.Sub(now)), day(c.NotAfter))}
	}
	return nil
}

// span rounds down to whole days, or hours under a day: "3 days", "1 day", "5 hours".
func span(d time.Duration) string {
	if days := int(d / (24 * time.Hour)); days > 0 {
		return plural(days, "day")
	}
	if hours := int(d / time.Hour); hours > 0 {
		return plural(hours, "hour")
	}
	return "less than an hour"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// leafName is the name people know the certificate by: its first DNS name.
func leafName(c *x509.Certificate) string {
	switch {
	case len(c.DNSNames) > 0:
		return c.DNSNames[0]
	case c.Subject.CommonName != "":
		return c.Subject.CommonName
	case len(c.IPAddresses) > 0:
		return c.IPAddresses[0].String()
	}
	return c.Subject.String()
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

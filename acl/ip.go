package acl

import (
	"errors"
	"net/netip"
	"strings"
)

// parseIPMatch accepts an address or a CIDR prefix, IPv4 or IPv6.
// IPv4-mapped IPv6 forms are folded to IPv4 so either spelling matches.
func parseIPMatch(s string) (netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, netipError(err)
		}
		pfx = p.Masked()
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, netipError(err)
		}
		if a.Zone() != "" {
			return netip.Prefix{}, errors.New("IPv6 zones are not supported")
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
	}
	return pfx, nil
}

func matchIP(pfx netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	return pfx.Contains(a.WithZone("").Unmap())
}

// netipError drops the `ParseAddr("...")` prefix: the caller quotes the input.
func netipError(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "): "); i >= 0 {
		msg = msg[i+3:]
	}
	return errors.New(msg)
}

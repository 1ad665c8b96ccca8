package certs

import (
	"sync"
	"testing"
)

func TestHolder(t *testing.T) {
	a, err := LoadPFX(fixturePath("modern-aes-chain.pfx"), fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadPFX(fixturePath("rsa-leaf.pfx"), fixturePassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("an empty holder refuses handshakes", func(t *testing.T) {
		h := NewHolder(nil)
		if c, err := h.GetCertificate(nil); err == nil || c != nil || h.Current() != nil {
			t.Fatal("expected an error and no certificate")
		}
	})
	t.Run("swapping in nil keeps the last good certificate", func(t *testing.T) {
		h := NewHolder(a)
		h.Swap(nil)
		c, err := h.GetCertificate(nil)
		if err != nil || c.Leaf != a.Leaf || h.Current() != a {
			t.Fatal("lost the certificate")
		}
	})
	t.Run("a swap serves the new certificate from the next handshake", func(t *testing.T) {
		h := NewHolder(a)
		h.Swap(b)
		c, err := h.GetCertificate(nil)
		if err != nil || c.Leaf != b.Leaf || len(c.Certificate) != 2 || h.Current() != b {
			t.Fatal("not swapped")
		}
	})
	t.Run("concurrent swaps and handshakes are race-free", func(t *testing.T) {
		h := NewHolder(a)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				for j := range 200 {
					if (i+j)%3 == 0 {
						h.Swap([]*Bundle{a, b, nil}[j%3])
						continue
					}
					if c, err := h.GetCertificate(nil); err != nil || c.Leaf == nil {
						t.Error("no certificate")
						return
					}
				}
			})
		}
		wg.Wait()
	})
}

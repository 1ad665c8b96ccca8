package acl

import (
	"strings"
	"unicode/utf8"
)

// A glob is compiled to tokens: literal text, `*` (any sequence, `/`
// included), `?` (one character) and ${account} (the requester's name, taken
// literally).
type globOp uint8

const (
	globLiteral globOp = iota
	globStar
	globOne
	globAccount
)

type globToken struct {
	op  globOp
	lit string // globLiteral only
}

func compileGlob(src string) *pattern {
	var toks []globToken
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, globToken{op: globLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		switch {
		case strings.HasPrefix(src[i:], accountVar):
			flush()
			toks = append(toks, globToken{op: globAccount})
			i += len(accountVar)
		case src[i] == '*':
			flush()
			if len(toks) == 0 || toks[len(toks)-1].op != globStar {
				toks = append(toks, globToken{op: globStar})
			}
			i++
		case src[i] == '?':
			flush()
			toks = append(toks, globToken{op: globOne})
			i++
		default:
			lit.WriteByte(src[i])
			i++
		}
	}
	flush()

	switch {
	case len(toks) == 0:
		return &pattern{kind: patLiteral}
	case len(toks) == 1 && toks[0].op == globLiteral:
		return &pattern{kind: patLiteral, lit: toks[0].lit}
	case len(toks) == 1 && toks[0].op == globStar:
		return &pattern{kind: patAnything}
	case len(toks) == 2 && toks[0].op == globLiteral && toks[1].op == globStar:
		return &pattern{kind: patPrefix, lit: toks[0].lit}
	}
	return &pattern{kind: patGlob, glob: toks}
}

// matchGlob is the classic wildcard match with backtracking to the last star.
// Every token but the star has a fixed length once the account is known, which
// is what makes retrying only the last star correct. It does not allocate.
func matchGlob(toks []globToken, s, account string) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			switch t := toks[ti]; t.op {
			case globStar:
				starT, starS = ti, si
				ti++
				continue
			case globOne:
				if si < len(s) {
					_, w := utf8.DecodeRuneInString(s[si:])
					si += w
					ti++
					continue
				}
			case globLiteral, globAccount:
				lit := t.lit
				if t.op == globAccount {
					lit = account
				}
				if strings.HasPrefix(s[si:], lit) {
					si += len(lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star swallow one more character.
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, w := utf8.DecodeRuneInString(s[starS:])
		starS += w
		ti, si = starT+1, starS
	}
}

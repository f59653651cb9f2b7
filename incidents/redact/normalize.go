package redact

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Normalisation. People (and their keyboards, phones and copy-paste) write
// the same card number in many scripts and with invisible characters in it.
// Before scanning, Redact rewrites such text into a plain ASCII view with a
// map from each byte of the view back to the original, scans the view and
// masks the original spans. Text with nothing to rewrite (most of it) is
// scanned as is, without a copy.
//
// The view:
//   - every Unicode decimal digit (Nd: fullwidth, Arabic-Indic, Devanagari,
//     mathematical, …) becomes its ASCII digit;
//   - fullwidth ASCII (U+FF01–U+FF5E) becomes ASCII;
//   - format characters (Cf: zero-width space, joiners, soft hyphen, BOM,
//     word joiner, …) are dropped;
//   - space separators (Zs: no-break, thin, figure, ideographic spaces)
//     become ' ', line and paragraph separators '\n';
//   - dashes (Pd, minus sign) become '-', middle dots '.', fraction and
//     division slashes '/';
//   - a URL escape %XX of a printable ASCII byte (or tab, CR, LF) becomes
//     that byte ("4242%204242…").

// mapRune returns what r becomes in the view: a byte, or drop. ok is false
// when r stays as it is.
func mapRune(r rune) (b byte, drop, ok bool) {
	switch {
	case r < 0x80 || r == utf8.RuneError:
		return 0, false, false
	case r == 0x2022: // '•', the mask itself
		return 0, false, false
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFEE0), false, true
	case unicode.IsDigit(r):
		return '0' + digitValue(r), false, true
	case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || r == 0x034F || r == 0x115F || r == 0x1160 || r == 0x3164 || r == 0xFFA0:
		// Invisible: format characters, variation selectors, the
		// combining grapheme joiner and the Hangul fillers render as
		// nothing, so a number written with them between its digits is
		// still that number.
		return 0, true, true
	case unicode.Is(unicode.Zs, r):
		return ' ', false, true
	case r == 0x2028 || r == 0x2029 || r == 0x85:
		return '\n', false, true
	case unicode.Is(unicode.Pd, r) || r == 0x2212 || r == 0x2043 || r == 0xFE63:
		return '-', false, true
	case r == 0x00B7 || r == 0x2024 || r == 0x2027 || r == 0x30FB || r == 0x2219:
		return '.', false, true
	case r == 0x2044 || r == 0x2215:
		return '/', false, true
	}
	return 0, false, false
}

// digitValue is the value of the Unicode decimal digit r. Nd digits come in
// contiguous runs of ten starting at zero (some runs touch, as the
// mathematical digits do), so the value is the distance from the start of
// the run, modulo ten.
func digitValue(r rune) byte {
	start := r
	for k := 0; k < 64 && unicode.IsDigit(start-1); k++ {
		start--
	}
	return byte((r - start) % 10)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// urlEscape returns the byte that the escape "%XX" at s[i] stands for, when
// it is one the view decodes.
func urlEscape(s string, i int) (byte, bool) {
	if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
		return 0, false
	}
	c := unhex(s[i+1])<<4 | unhex(s[i+2])
	if c >= 0x80 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f {
		return 0, false
	}
	return c, true
}

// htmlRef reads an HTML character reference at s[i] ('&'): "&#52;",
// "&#x34;" or a named space ("&nbsp;", "&thinsp;", "&ensp;", "&emsp;"). It
// returns the view byte and the reference's length; chat and web forms
// hand text over with its characters written that way.
func htmlRef(s string, i int) (byte, int, bool) {
	for _, named := range [...]string{"&nbsp;", "&thinsp;", "&ensp;", "&emsp;", "&NonBreakingSpace;"} {
		if strings.HasPrefix(s[i:], named) {
			return ' ', len(named), true
		}
	}
	if i+3 >= len(s) || s[i+1] != '#' {
		return 0, 0, false
	}
	j, base := i+2, 10
	if s[j] == 'x' || s[j] == 'X' {
		j, base = j+1, 16
	}
	v, start := 0, j
	for j < len(s) && j-start < 7 {
		c := s[j]
		switch {
		case c >= '0' && c <= '9':
			v = v*base + int(c-'0')
		case base == 16 && isHex(c):
			v = v*16 + int(unhex(c))
		default:
			goto end
		}
		j++
	}
end:
	if j == start || j >= len(s) || s[j] != ';' {
		return 0, 0, false
	}
	r := rune(v)
	if r < 0x80 {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return 0, 0, false
		}
		return byte(r), j + 1 - i, true
	}
	if b, drop, ok := mapRune(r); ok && !drop {
		return b, j + 1 - i, true
	}
	return 0, 0, false
}

// needsView reports whether the view of s differs from s.
func needsView(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 {
			if c == '%' {
				if _, ok := urlEscape(s, i); ok {
					return true
				}
			}
			if c == '&' {
				if _, _, ok := htmlRef(s, i); ok {
					return true
				}
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, _, ok := mapRune(r); ok {
			return true
		}
		i += n - 1
	}
	return false
}

// view returns the normalised view of s and, for each byte of it, the
// offset in s of the character it came from; offs has one more entry, the
// end of s, so that the original span of view[a:b] is s[offs[a]:offs[b]].
func view(s string) (string, []int) {
	v := make([]byte, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 {
			if c == '%' {
				if d, ok := urlEscape(s, i); ok {
					v = append(v, d)
					offs = append(offs, i)
					i += 3
					continue
				}
			}
			if c == '&' {
				if d, n, ok := htmlRef(s, i); ok {
					v = append(v, d)
					offs = append(offs, i)
					i += n
					continue
				}
			}
			v = append(v, c)
			offs = append(offs, i)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		b, drop, ok := mapRune(r)
		switch {
		case !ok:
			for k := 0; k < n; k++ {
				v = append(v, s[i+k])
				offs = append(offs, i+k)
			}
		case !drop:
			v = append(v, b)
			offs = append(offs, i)
		}
		i += n
	}
	offs = append(offs, len(s))
	return string(v), offs
}

// View returns the normalised text Redact scans (see the package comment),
// for oracles and tests that must see what Redact sees.
func View(s string) string {
	if !needsView(s) {
		return s
	}
	v, _ := view(s)
	return v
}

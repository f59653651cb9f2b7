package textutil

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Cut returns the longest prefix of s of at most n characters (code points)
// that ends at a grapheme cluster boundary and not inside an HTML entity
// ("&amp;", "&#8203;"). It returns s when s already fits, "" when n <= 0.
// Invalid UTF-8 counts one character per byte.
func Cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	end, count := 0, 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		from, to := g.Positions()
		c := utf8.RuneCountInString(s[from:to])
		if count+c > n {
			break
		}
		count += c
		end = to
	}
	return s[:entitySafe(s, end)]
}

// entitySafe moves a cut at s[:end] back before an HTML entity it would
// split: "&", then up to 10 letters, digits or '#', with the ';' after end.
func entitySafe(s string, end int) int {
	lo := max(end-10, 0)
	amp := strings.LastIndexByte(s[lo:end], '&')
	if amp < 0 {
		return end
	}
	amp += lo
	for k := amp + 1; k < len(s) && k-amp <= 11; k++ {
		c := s[k]
		switch {
		case c == ';':
			if k >= end {
				return amp // the entity runs past the cut
			}
			return end
		case c == '#' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		default:
			return end // not an entity
		}
	}
	return end
}

// Ellipsis is Cut with room for a trailing "…" when s is cut, so the
// result is at most n characters.
func Ellipsis(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return Cut("…", n)
	}
	return strings.TrimRight(Cut(s, n-1), " \n") + "…"
}

// Split cuts s into pieces of at most n characters each, preferring a line
// break, then a space, in the second half of a piece; each piece is cut
// safely (see Cut). Leading and trailing blanks at a break are dropped. An
// empty s gives no pieces; n < 1 is treated as 1.
func Split(s string, n int) []string {
	n = max(n, 1)
	s = strings.TrimRight(s, " \n")
	var out []string
	for utf8.RuneCountInString(s) > n {
		head := Cut(s, n)
		if head == "" {
			// One grapheme cluster longer than n: cut it at code points
			// rather than loop forever.
			head = s[:byteIndexOfRune(s, n)]
		}
		cut := len(head)
		if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 {
			cut = i
		} else if i := strings.LastIndexByte(head, ' '); i >= len(head)/2 {
			cut = entitySafe(s, i)
		}
		if cut == 0 {
			cut = len(head)
		}
		out = append(out, strings.TrimRight(s[:cut], " \n"))
		s = strings.TrimLeft(s[cut:], " \n")
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

func byteIndexOfRune(s string, n int) int {
	i := 0
	for pos := range s {
		if i == n {
			return pos
		}
		i++
	}
	return len(s)
}

// Limit returns s cut to at most n bytes at a safe point (see Cut) with a
// note saying how many characters were left out: "…\n(message cut: 1234
// more characters)". The note is counted in n. s is returned as is when it
// fits.
func Limit(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A byte budget: cut by characters until the bytes fit.
	note := func(rest int) string { return "\n(message cut: " + itoa(rest) + " more characters)" }
	budget := n - len(note(utf8.RuneCountInString(s)))
	head := s
	for len(head) > budget && budget > 0 {
		over := len(head) - budget
		head = Cut(head, max(utf8.RuneCountInString(head)-max(over/4, 1), 0))
	}
	if budget <= 0 {
		head = ""
	}
	rest := utf8.RuneCountInString(s) - utf8.RuneCountInString(head)
	return head + note(rest)
}

// UpperFirst upper-cases the first character of s ("ödeme" → "Ödeme"),
// never half of a multi-byte one.
func UpperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

package textutil

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

func TestCut(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"héllo", 2, "hé"},
		{"a&amp;b", 3, "a"},      // would cut "&amp;"
		{"a&amp;b", 6, "a&amp;"}, // whole entity fits
		{"x &lt;!channel&gt;", 16, "x &lt;!channel"},
		{"fish & chips", 7, "fish & "},   // a bare '&' is not an entity
		{"e\u0301e\u0301", 3, "e\u0301"}, // combining accent stays with its letter
		{"👍🏽👍🏽", 3, "👍🏽"},                // skin tone modifier
		{"🇩🇪🇫🇷", 3, "🇩🇪"},                // flags are pairs
		{"👨‍👩‍👧x", 3, ""},                // a family is one cluster of five code points
		{"", 3, ""},
		{"abc", 0, ""},
	} {
		if got := Cut(tt.in, tt.n); got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestSplit(t *testing.T) {
	s := strings.Repeat("AT&amp;T declines ", 400)
	parts := Split(s, 3000)
	if len(parts) < 2 {
		t.Fatalf("parts = %d", len(parts))
	}
	for _, p := range parts {
		if utf8.RuneCountInString(p) > 3000 || strings.HasSuffix(p, "&am") || strings.HasPrefix(p, "p;") {
			t.Fatalf("bad part %q…", p[:20])
		}
	}
	if got := strings.Join(parts, " "); got != strings.TrimSpace(s) {
		t.Fatalf("split lost text")
	}
	if Split("", 10) != nil {
		t.Fatal("empty")
	}
}

func TestLimit(t *testing.T) {
	s := strings.Repeat("é", 20000) // 40,000 bytes
	got := Limit(s, 16<<10)
	if len(got) > 16<<10 || !utf8.ValidString(got) || !strings.Contains(got, "(message cut: ") {
		t.Fatalf("len %d, tail %q", len(got), got[len(got)-40:])
	}
	if Limit("short", 100) != "short" {
		t.Fatal("short text changed")
	}
}

// FuzzCut: a cut is a prefix, within the limit, valid UTF-8 when the input
// is, ends at a grapheme boundary and never inside an entity; Split keeps
// every non-blank character.
func FuzzCut(f *testing.F) {
	for _, s := range []string{"", "a&amp;b", "👨‍👩‍👧👍🏽🇩🇪", "e\u0301e\u0301e\u0301", "AT&amp;T &lt;!here&gt;", "\xff\xfe&#8203;x"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		n = n%64 + 1
		if n < 1 {
			n = -n + 1
		}
		c := Cut(s, n)
		if !strings.HasPrefix(s, c) || utf8.RuneCountInString(c) > n {
			t.Fatalf("Cut(%q, %d) = %q", s, n, c)
		}
		if utf8.ValidString(s) {
			if !utf8.ValidString(c) {
				t.Fatalf("invalid UTF-8 %q", c)
			}
			if c != s && c != "" {
				// c must end at a cluster boundary of s
				ok := false
				g := uniseg.NewGraphemes(s)
				for g.Next() {
					if _, to := g.Positions(); to == len(c) {
						ok = true
					}
				}
				if !ok {
					t.Fatalf("Cut(%q, %d) = %q splits a grapheme cluster", s, n, c)
				}
			}
		}
		if i := strings.LastIndexByte(c, '&'); i >= 0 && c != s {
			tail := c[i:]
			if !strings.Contains(tail, ";") && len(s) > len(c) {
				rest := s[len(c):]
				if j := strings.IndexByte(rest, ';'); j >= 0 && j+len(tail) <= 10 && isEntityBody(tail[1:]+rest[:j]) {
					t.Fatalf("Cut(%q, %d) = %q splits an entity", s, n, c)
				}
			}
		}
		parts := Split(s, n)
		var joined, orig strings.Builder
		for _, p := range parts {
			if utf8.RuneCountInString(p) > n {
				t.Fatalf("part %q longer than %d", p, n)
			}
			joined.WriteString(strings.NewReplacer(" ", "", "\n", "").Replace(p))
		}
		orig.WriteString(strings.NewReplacer(" ", "", "\n", "").Replace(s))
		if joined.String() != orig.String() {
			t.Fatalf("Split(%q, %d) = %q loses text", s, n, parts)
		}
	})
}

func isEntityBody(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '#' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

func TestUpperFirst(t *testing.T) {
	for in, want := range map[string]string{"ödeme": "Ödeme", "stripe": "Stripe", "": "", "\xff": "\xff", "ß": "ß"} {
		if got := UpperFirst(in); got != want || (utf8.ValidString(in) && !utf8.ValidString(got)) {
			t.Errorf("UpperFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

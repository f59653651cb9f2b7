package kb

import (
	"fmt"
	"strings"
	"testing"
)

// TestWordTokenizer: words are runs of letters and digits, an apostrophe
// between letters stays in the word, combining marks stay with their
// letter, positions count from 1 and offsets are bytes; a token's Term is
// its own (the tokens share one slab).
func TestWordTokenizer(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"don't stop, customer's card!": "0-5:don't@1 6-10:stop@2 12-22:customer's@3 23-27:card@4",
		"x' 'y":                        "0-1:x@1 4-5:y@2",
		"05 Z0999\tR01\n":              "0-2:05@1 3-8:Z0999@2 9-12:R01@3",
		"naïve cafe\u0301 日本":          "0-6:naïve@1 7-13:cafe\u0301@2 14-20:日本@3",
	} {
		var got []string
		toks := wordTokenizer{}.Tokenize([]byte(in))
		for _, tk := range toks {
			got = append(got, fmt.Sprintf("%d-%d:%s@%d", tk.Start, tk.End, tk.Term, tk.Position))
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%q:\n got  %s\n want %s", in, g, want)
		}
		if len(toks) > 1 {
			toks[0].Term = []byte("changed")
			if string(toks[1].Term) == "changed" {
				t.Errorf("%q: tokens share their Term", in)
			}
		}
	}
}

package kb

import (
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// separatorCharFilterName is a char filter that turns the separators of
// codes and identifiers ('_', '-', '/', '.', ':') into spaces, so that
// "do_not_honor" indexes as "do not honor". (bleve's regexp char filter does
// the same but costs a regular expression per field value.)
const separatorCharFilterName = "kb_separators"

type separatorCharFilter struct{}

func (separatorCharFilter) Filter(input []byte) []byte {
	out := input
	copied := false
	for i, c := range input {
		switch c {
		case '_', '-', '/', '.', ':':
			if !copied {
				out = append([]byte(nil), input...)
				copied = true
			}
			out[i] = ' '
		}
	}
	return out
}

func init() {
	_ = registry.RegisterCharFilter(separatorCharFilterName,
		func(map[string]interface{}, *registry.Cache) (analysis.CharFilter, error) {
			return separatorCharFilter{}, nil
		})
}

// wordTokenizerName splits text into runs of letters and digits (an
// apostrophe between letters stays inside the word: "customer's"). It is a
// much cheaper stand-in for Unicode word segmentation, and the separators
// that matter for codes are already spaces (kb_separators).
const wordTokenizerName = "kb_words"

type wordTokenizer struct{}

func (wordTokenizer) Tokenize(input []byte) analysis.TokenStream {
	rv := make(analysis.TokenStream, 0, len(input)/6+1)
	start := -1
	pos := 1
	emit := func(end int) {
		if start >= 0 {
			rv = append(rv, &analysis.Token{Start: start, End: end, Term: input[start:end], Position: pos, Type: analysis.AlphaNumeric})
			pos++
			start = -1
		}
	}
	for i := 0; i < len(input); {
		c := input[i]
		if c < utf8.RuneSelf {
			word := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
			if !word && c == '\'' && start >= 0 && i+1 < len(input) && isASCIILetter(input[i+1]) {
				word = true
			}
			if word {
				if start < 0 {
					start = i
				}
			} else {
				emit(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(input[i:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
		} else {
			emit(i)
		}
		i += size
	}
	emit(len(input))
	return rv
}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// stemFilterName is the English (snowball) stemmer with a cache: word
// frequencies are Zipf-shaped, so most tokens hit the cache.
const stemFilterName = "kb_stem"

type stemFilter struct{}

func (stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		t.Term = []byte(stemCached(string(t.Term)))
	}
	return input
}

const stemCacheMax = 200000

var (
	stemCache     sync.Map
	stemCacheSize atomic.Int64
)

func stemCached(w string) string {
	if v, ok := stemCache.Load(w); ok {
		return v.(string)
	}
	s := stem(w)
	if stemCacheSize.Load() < stemCacheMax {
		if _, loaded := stemCache.LoadOrStore(w, s); !loaded {
			stemCacheSize.Add(1)
		}
	}
	return s
}

func init() {
	_ = registry.RegisterTokenizer(wordTokenizerName,
		func(map[string]interface{}, *registry.Cache) (analysis.Tokenizer, error) {
			return wordTokenizer{}, nil
		})
	_ = registry.RegisterTokenFilter(stemFilterName,
		func(map[string]interface{}, *registry.Cache) (analysis.TokenFilter, error) {
			return stemFilter{}, nil
		})
}

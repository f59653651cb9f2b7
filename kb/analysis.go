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
	// The words are found first, then their tokens made in one slab: a
	// bulk import tokenizes every field of every document, and one
	// allocation per word was a tenth of its garbage.
	sp := spanPool.Get().(*[]wordSpan)
	spans := (*sp)[:0]
	start := -1
	emit := func(end int) {
		if start >= 0 {
			spans = append(spans, wordSpan{start, end})
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
	toks := make([]analysis.Token, len(spans))
	rv := make(analysis.TokenStream, len(spans))
	for i, w := range spans {
		toks[i] = analysis.Token{Start: w.start, End: w.end, Term: input[w.start:w.end], Position: i + 1, Type: analysis.AlphaNumeric}
		rv[i] = &toks[i]
	}
	if cap(spans) <= 1<<16 {
		*sp = spans
		spanPool.Put(sp)
	}
	return rv
}

// wordSpan is where a word starts and ends in wordTokenizer's input.
type wordSpan struct{ start, end int }

var spanPool = sync.Pool{New: func() any { s := make([]wordSpan, 0, 256); return &s }}

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// stemFilterName is the English (snowball) stemmer with a cache: word
// frequencies are Zipf-shaped, so most tokens hit the cache.
const stemFilterName = "kb_stem"

type stemFilter struct{}

func (stemFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	for _, t := range input {
		t.Term = stemBytes(t.Term)
	}
	return input
}

// The stem cache is sharded maps under read-write locks: a lookup with
// m[string(b)] does not allocate, and most tokens are cache hits. A nil
// value means "the stem is the word itself", so such tokens keep their
// bytes. The cached byte slices are shared between tokens; nothing after
// the stemmer changes a term in place.
const (
	stemCacheMax = 200000
	stemShardN   = 64
)

type stemShard struct {
	mu sync.RWMutex
	m  map[string][]byte
}

var (
	stemShards    [stemShardN]stemShard
	stemCacheSize atomic.Int64
)

func stemShardOf(b []byte) *stemShard {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return &stemShards[h%stemShardN]
}

// stemBytes returns the stem of a lower-case term (b itself when unchanged).
func stemBytes(b []byte) []byte {
	sh := stemShardOf(b)
	sh.mu.RLock()
	v, ok := sh.m[string(b)]
	sh.mu.RUnlock()
	if ok {
		if v == nil {
			return b
		}
		return v
	}
	w := string(b)
	s := stem(w)
	if s != w {
		v = []byte(s)
	}
	if stemCacheSize.Load() < stemCacheMax {
		sh.mu.Lock()
		if sh.m == nil {
			sh.m = map[string][]byte{}
		}
		if _, dup := sh.m[w]; !dup {
			sh.m[w] = v
			stemCacheSize.Add(1)
		}
		sh.mu.Unlock()
	}
	if v == nil {
		return b
	}
	return v
}

// stemCached is stemBytes for strings.
func stemCached(w string) string {
	return string(stemBytes([]byte(w)))
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

package kb

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// fakeStats is a termStats over a fixed vocabulary.
type fakeStats map[string]int

func (f fakeStats) known(s string) bool     { return f[s] > 0 }
func (f fakeStats) df(s string) int         { return f[s] }
func (f fakeStats) knownCode(c string) bool { return f["code:"+c] > 0 }
func (f fakeStats) candidate(s string) int  { return f[s] }

var fuzzVocab = fakeStats{stem("declined"): 5, stem("expired"): 3, stem("transaction"): 9, stem("refused"): 2, "code:transaction_refused": 1}

// FuzzAnalyzeQuery: the query analyser never panics, and what it produces
// is well formed. Seeds: testdata/fuzz/FuzzAnalyzeQuery and below.
func FuzzAnalyzeQuery(f *testing.F) {
	for _, s := range []string{"", "stripe says do_not_honor, what do we tell the customer?", "ACH came back R01, can we retry?",
		"R-16 account frozen", "de39 7", "3ds transStatus R rejected", "paypal TRANSACTON_REFUSED", "0.30 $1,000.00 100x",
		"____", "r-", "-_-", "ÄÖÜ ß 東京 💳", "it's what's", strings.Repeat("a_", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		p := analyzeQuery(q, fuzzVocab)
		for _, c := range p.codes {
			if c.term == "" || c.boost <= 0 {
				t.Fatalf("bad code term %+v for %q", c, q)
			}
		}
		for _, w := range p.words {
			if w == "" {
				t.Fatalf("empty word for %q", q)
			}
		}
		_ = buildQuery(p, fuzzVocab, 1000)
		if utf8.ValidString(q) {
			_ = snippet(q, queryStems(p))
		}
		_ = canonCode(q)
	})
}

// FuzzImportJSONL: the importer never panics, reports lines within the
// input, and every document it returns has id, title and body.
func FuzzImportJSONL(f *testing.F) {
	f.Add([]byte(`{"id": "a", "title": "A", "body": "b"}` + "\n" + `{"id": "b"}` + "\nnot json\n"))
	f.Add([]byte(`{"id": "x", "title": "T", "body": "B", "kind": "reference", "tags": ["a", "b"], "url": "u", "source": "s", "license": "MIT"}`))
	f.Add([]byte("\xef\xbb\xbf{\"id\":\"1\",\"title\":\"t\",\"body\":\"b\"}\r\n\r\n"))
	f.Add([]byte(`{"id": 5, "title": [], "body": null}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, probs := ImportJSONL(bytes.NewReader(data))
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, p := range probs {
			if p.Line < 1 || p.Line > lines || p.Reason == "" {
				t.Fatalf("bad problem %+v (lines=%d)", p, lines)
			}
		}
		for _, d := range docs {
			if strings.TrimSpace(d.ID) == "" || strings.TrimSpace(d.Title) == "" || strings.TrimSpace(d.Body) == "" || !validKind(d.Kind) {
				t.Fatalf("bad doc %+v", d)
			}
		}
	})
}

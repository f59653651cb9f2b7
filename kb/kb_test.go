package kb

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
)

func TestBM25InEffect(t *testing.T) {
	ix, _ := openTemp(t)
	if m := ix.cur.Load().idx.Mapping(); m == nil {
		t.Fatal("no mapping")
	}
	q := bleve.NewMatchQuery("issuer declined")
	q.SetField("body")
	req := bleve.NewSearchRequestOptions(q, 1, 0, true)
	sr, err := ix.alias.Search(req)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Hits) == 0 || sr.Hits[0].Expl == nil {
		t.Fatal("no hit with an explanation")
	}
	expl, _ := json.Marshal(sr.Hits[0].Expl)
	s := string(expl)
	if !strings.Contains(s, "as per bm25 model") || !strings.Contains(s, "saturation(") {
		t.Fatalf("explanation does not show BM25 scoring:\n%s", s)
	}
}

func TestCodeNormalisation(t *testing.T) {
	cases := map[string]string{
		"05": "05", "5": "05", "005": "05", "00": "00", "E0054": "e54", "e-0054": "e54", "E_0054": "e54", "2046": "2046", "20051": "20051", "51": "51", "051": "51", "100": "100",
		"R01": "r01", "r01": "r01", "r1": "r01", "R-01": "r01", "C02": "c02", "N7": "n07",
		"do_not_honor": "do_not_honor", "DO_NOT_HONOR": "do_not_honor", "do-not-honor": "do_not_honor",
		"INSTRUMENT_DECLINED": "instrument_declined", "Y": "y", "héllo": "", "$%": "",
	}
	for in, want := range cases {
		if got := canonCode(in); got != want {
			t.Errorf("canonCode(%q) = %q, want %q", in, got, want)
		}
	}
	d := Doc{ID: "iso8583_1993_action_code:051", Title: "ISO 8583 action code (1993) 051", Body: "x"}
	got := docCodes(d)
	if !reflect.DeepEqual(got, []string{"51", "iso8583_1993_action_code:51"}) {
		t.Errorf("docCodes = %v", got)
	}
	d = Doc{ID: "stripe-do-not-honor", Title: "Stripe decline: do_not_honor", Provider: "stripe", Codes: []string{"do_not_honor"}}
	if got := docCodes(d); !reflect.DeepEqual(got, []string{"do_not_honor", "stripe:do_not_honor"}) {
		t.Errorf("docCodes = %v", got)
	}
	// query side: every spelling reaches the same code term
	for q, want := range map[string]string{
		"response code 05": "05", "response code 5": "05", "action code 005": "05",
		"E0054": "e54", "e-0054": "e54", "E_0054": "e54", "e 0054": "e54", "acquirer code E0054": "e54",
		"braintree 2046": "2046", "checkout.com 20051": "20051", "http 429": "429",
		"ACH R01": "r01", "ach r1": "r01", "ach R-01": "r01",
		"stripe do_not_honor": "do_not_honor", "stripe do not honor": "do_not_honor",
		"INSTRUMENT_DECLINED": "instrument_declined", "instrument declined": "instrument_declined",
		"3ds transStatus R": "3ds-transstatus:r", "transStatusReason 6": "3ds-transstatusreason:06",
		"DE39 59": "iso8583_1987_field39:59",
	} {
		p := analyzeQuery(q, nil)
		if !containsString(p.codeTerms(), want) {
			t.Errorf("analyzeQuery(%q) codes %v lack %q", q, p.codeTerms(), want)
		}
	}
	if p := analyzeQuery("charged 0.30 twice", nil); containsString(p.codeTerms(), "30") {
		t.Errorf("an amount became a code: %v", p.codeTerms())
	}
	// a number after a word of paying or a currency, or before a currency
	// or a unit, is an amount or a count, whatever else the question says
	for q, amount := range map[string]string{
		"charging in yen gives an amount error, we send 1000 for 10 yen": "10",
		"we send 1000 for ten yen":                                       "1000",
		"declined after we charged 51":                                   "51",
		"usd 12 payment refused":                                         "12",
		"a 25 euros payment is declined with code 05":                    "25",
		"webhooks fail for 30 minutes":                                   "30",
	} {
		if p := analyzeQuery(q, nil); containsString(p.codeTerms(), amount) || containsString(p.codeTerms(), "0"+amount) {
			t.Errorf("analyzeQuery(%q): the amount %s became a code: %v", q, amount, p.codeTerms())
		}
	}
	if p := analyzeQuery("a 25 euros payment is declined with code 05", nil); !containsString(p.codeTerms(), "05") {
		t.Errorf("the code beside an amount was lost: %v", p.codeTerms())
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// searchTop returns the ids of the first hits.
func searchTop(t *testing.T, ix *Index, q string, n int) ([]string, Result) {
	t.Helper()
	res, err := ix.Search(context.Background(), q, n)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids, res
}

func TestCodeSpellingsFindTheSameDoc(t *testing.T) {
	ix, _ := openTemp(t)
	docs := []Doc{
		{ID: "ach-return:R01", Kind: KindReference, Title: "ACH return code R01 – Insufficient Funds", Body: "Available balance is not sufficient to cover the debit entry", Tags: []string{"ach", "nacha", "return"}},
		{ID: "iso8583_1987_field39:05", Kind: KindReference, Title: "ISO 8583 response code (DE39) 05", Body: "Do not honour", Tags: []string{"iso8583"}},
		{ID: "paypal-issue:checkout_orders_v2:INSTRUMENT_DECLINED", Kind: KindReference, Title: "PayPal checkout_orders_v2 error INSTRUMENT_DECLINED", Body: "The instrument presented was either declined by the processor or bank, or it can't be used for this payment.", Tags: []string{"paypal"}},
		{ID: "acq-e0054", Kind: KindCommunity, Title: "Acquirer code E0054 means velocity block", Body: "The acquirer blocks the card after too many attempts in a short window; wait an hour."},
		{ID: "bt-2046", Kind: KindReference, Title: "Braintree processor response 2046 Declined", Body: "The customer's bank declined the transaction; ask for another card.", Provider: "braintree"},
		{ID: "cko-20051", Kind: KindReference, Title: "Checkout.com response 20051 Insufficient funds", Body: "The card has not enough funds.", Provider: "checkout"},
	}
	if err := ix.Upsert(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"ACH R01": "ach-return:R01", "ach r01": "ach-return:R01", "ach return r1": "ach-return:R01", "R-01 on an ach debit": "ach-return:R01", "ach return r 01": "ach-return:R01",
		"response code 05": "iso8583_1987_field39:05", "DE39 5": "iso8583_1987_field39:05", "iso 8583 code 005": "iso8583_1987_field39:05",
		"paypal INSTRUMENT_DECLINED": "paypal-issue:checkout_orders_v2:INSTRUMENT_DECLINED",
		"INSTRUMENT_DECLIEND paypal": "paypal-issue:checkout_orders_v2:INSTRUMENT_DECLINED",
		"E0054":                      "acq-e0054", "e-0054": "acq-e0054", "E_0054": "acq-e0054", "e 0054": "acq-e0054", "e0054": "acq-e0054",
		"E54": "acq-e0054", "what does E-0054 mean": "acq-e0054", "acquirer returned e_0054": "acq-e0054",
		"braintree 2046": "bt-2046", "processor response 2046": "bt-2046",
		"checkout.com 20051": "cko-20051", "response code 20051": "cko-20051",
	} {
		ids, res := searchTop(t, ix, q, 3)
		if len(ids) == 0 || ids[0] != want {
			t.Errorf("%q: top %v, want %s first", q, ids, want)
		} else if !res.Confident {
			t.Errorf("%q: not confident", q)
		}
	}
}

func TestSynonyms(t *testing.T) {
	ix, err := Open(context.Background(), t.TempDir(), Options{noStarter: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	docs := []Doc{
		{ID: "a-3ds", Title: "3-D Secure authentication failures", Body: "The cardholder failed the challenge."},
		{ID: "a-nsf", Title: "Insufficient funds", Body: "The account balance is too low."},
		{ID: "a-dispute", Title: "Handling a dispute", Body: "Gather evidence and respond before the deadline."},
		{ID: "a-ipn", Title: "Webhook delivery failures", Body: "Endpoints must answer 2xx quickly."},
		{ID: "a-echeck", Title: "eCheck payments", Body: "Bank account debits take days to settle."},
	}
	if err := ix.Upsert(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string][]string{
		"sca challenge failed":     {"3ds", "secure"},
		"NSF on the account":       {"insufficient", "funds"},
		"customer filed a dispute": {"chargeback"},
		"ipn not arriving":         {"webhook", "callback"},
		"echeck bounced":           {"ach"},
		"three-d secure challenge": {"3ds", "sca"},
		"got charged twice":        {"duplicate"},
		"cvc mismatch":             {"cvv"},
	} {
		p := analyzeQuery(q, nil)
		for _, w := range want {
			if !containsString(p.syn, w) {
				t.Errorf("%q: synonyms %v lack %q", q, p.syn, w)
			}
		}
	}
	for q, want := range map[string]string{
		"sca challenge failed":               "a-3ds",
		"3ds failed for a customer":          "a-3ds",
		"NSF on the account":                 "a-nsf",
		"customer filed a chargeback":        "a-dispute",
		"not receiving IPN messages":         "a-ipn",
		"callback never arrives":             "a-ipn",
		"ACH payment takes days":             "a-echeck",
		"strong customer authentication":     "a-3ds",
		"what do we do about a charge back?": "a-dispute",
	} {
		if ids, _ := searchTop(t, ix, q, 3); len(ids) == 0 || ids[0] != want {
			t.Errorf("%q: top %v, want %s first", q, ids, want)
		}
	}
}

func TestTypos(t *testing.T) {
	ix, _ := openTemp(t)
	docs := []Doc{
		{ID: "square-error:ACCESS_TOKEN_EXPIRED", Kind: KindReference, Title: "Square API error ACCESS_TOKEN_EXPIRED", Body: "The provided access token has expired.", Tags: []string{"square"}},
		{ID: "pp:TRANSACTION_REFUSED", Kind: KindReference, Title: "PayPal error TRANSACTION_REFUSED", Body: "The request was refused.", Tags: []string{"paypal"}},
	}
	if err := ix.Upsert(context.Background(), docs...); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"square access token expierd": "square-error:ACCESS_TOKEN_EXPIRED",
		"paypal TRANSACTON_REFUSED":   "pp:TRANSACTION_REFUSED",
	} {
		if ids, _ := searchTop(t, ix, q, 3); len(ids) == 0 || ids[0] != want {
			t.Errorf("%q: top %v, want %s first", q, ids, want)
		}
	}
}

func TestOffTopicNotConfident(t *testing.T) {
	ix, _ := openTemp(t)
	for _, q := range []string{"what's the weather in Paris", "best pizza near the office", "how do I reset my laptop password", ""} {
		if _, res := searchTop(t, ix, q, 3); res.Confident {
			t.Errorf("%q came back confident: %+v", q, res.Hits)
		}
	}
	_, res := searchTop(t, ix, "stripe says do_not_honor, what do we tell the customer?", 3)
	if !res.Confident || len(res.Hits) == 0 {
		t.Fatalf("real question not confident: %+v", res)
	}
	h := res.Hits[0]
	if h.Title == "" || h.Snippet == "" || h.Kind != KindArticle || h.Source == "" {
		t.Errorf("hit lacks fields: %+v", h)
	}
	if strings.Contains(h.Snippet, "\n") || len(h.Snippet) > 260 {
		t.Errorf("snippet is not one or two short lines: %q", h.Snippet)
	}
}

func TestImportErrorsWithLineNumbers(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "a", "title": "A", "body": "alpha"}`,
		``,
		`{"id": "b", "title": "B"}`,
		`not json`,
		`{"id": "", "title": "C", "body": "c"}`,
		`{"id": "d", "title": "D", "body": "delta", "kind": "banana"}`,
		`{"id": "e", "title": "E", "body": "echo", "tags": "not-a-list"}`,
		`{"id": "f", "title": "F", "body": "foxtrot", "kind": "reference", "tags": ["x"], "url": "https://f", "source": "s", "license": "MIT"}`,
		`{"id": "a", "title": "A2", "body": "alpha again"}`,
	}, "\n")
	docs, probs := ImportJSONL(strings.NewReader(in))
	wantLines := []int{3, 4, 5, 6, 7}
	if len(probs) != len(wantLines) {
		t.Fatalf("problems = %v", probs)
	}
	for i, p := range probs {
		if p.Line != wantLines[i] || p.Reason == "" {
			t.Errorf("problem %d = %+v, want line %d", i, p, wantLines[i])
		}
	}
	if !strings.Contains(probs[0].Reason, "body") || !strings.Contains(probs[3].Reason, "kind") {
		t.Errorf("reasons not specific: %v", probs)
	}
	if len(docs) != 2 || docs[0].ID != "a" || docs[0].Title != "A2" || docs[1].ID != "f" {
		t.Fatalf("docs = %+v", docs)
	}
	if docs[1].Kind != KindReference || docs[1].License != "MIT" || docs[0].Kind != KindCommunity {
		t.Errorf("fields not kept: %+v", docs)
	}
}

func TestReimportReplaces(t *testing.T) {
	ix, dir := openTemp(t)
	ctx := context.Background()
	n0, _ := ix.Count()
	docs, _ := ImportJSONL(strings.NewReader(`{"id": "c-1", "title": "Refund stuck in pending", "body": "zebracorn refunds wait for the bank"}`))
	if err := ix.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	docs, _ = ImportJSONL(strings.NewReader(`{"id": "c-1", "title": "Refund stuck in pending", "body": "unicornfish refunds wait for the bank"}`))
	if err := ix.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(); n != n0+1 {
		t.Errorf("count %d, want %d", n, n0+1)
	}
	if ids, _ := searchTop(t, ix, "zebracorn", 5); containsString(ids, "c-1") {
		t.Errorf("old body still found: %v", ids)
	}
	if ids, _ := searchTop(t, ix, "unicornfish", 5); !containsString(ids, "c-1") {
		t.Errorf("new body not found: %v", ids)
	}
	// the sources log keeps one live copy, and survives a rebuild
	if err := ix.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if ids, _ := searchTop(t, ix, "unicornfish", 5); !containsString(ids, "c-1") {
		t.Errorf("imported doc lost by rebuild: %v", ids)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "kb", sourcesFile))
	if c := strings.Count(string(data), `"c-1"`); c != 1 {
		t.Errorf("sources hold %d copies after compaction", c)
	}
	if err := ix.Delete(ctx, "c-1"); err != nil {
		t.Fatal(err)
	}
	if ids, _ := searchTop(t, ix, "unicornfish", 5); containsString(ids, "c-1") {
		t.Errorf("deleted doc found: %v", ids)
	}
}

func TestLockedIndex(t *testing.T) {
	ix, dir := openTemp(t)
	_ = ix
	start := time.Now()
	_, err := Open(context.Background(), dir, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrIndexInUse) {
		t.Fatalf("second open: err = %v, want ErrIndexInUse", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("second open took %v", d)
	}
	if !strings.Contains(err.Error(), "in use") {
		t.Errorf("unclear error: %v", err)
	}
}

func TestRestartKeepsDocsWithoutReindexing(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	ix, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	inc := Doc{ID: "PAY-12", Kind: KindIncident, Title: "Checkout outage: quokkapay timeouts", Body: "Root cause: expired TLS certificate on the quokkapay proxy. Resolution: renewed it."}
	if err := ix.Upsert(ctx, inc); err != nil {
		t.Fatal(err)
	}
	gen := ix.cur.Load().name
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.cur.Load().name != gen {
		t.Errorf("reopen built a new index (%s != %s)", ix.cur.Load().name, gen)
	}
	ids, res := searchTop(t, ix, "quokkapay incident", 3)
	if len(ids) == 0 || ids[0] != "PAY-12" || res.Hits[0].Kind != KindIncident {
		t.Fatalf("incident not found after restart: %v", ids)
	}
}

func TestReplayAfterCrash(t *testing.T) {
	// a record in sources.jsonl that the index never got (crash between the
	// log write and the batch) is indexed on the next open
	dir := t.TempDir()
	ctx := context.Background()
	ix, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix2 := &Index{dir: filepath.Join(dir, "kb")}
	if _, err := ix2.appendSources([]sourceRec{{Doc: Doc{ID: "lost-1", Kind: KindCommunity, Title: "Wombatpay retries", Body: "wombatpay answer"}}}); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ids, _ := searchTop(t, ix, "wombatpay", 3); !containsString(ids, "lost-1") {
		t.Errorf("logged doc not replayed: %v", ids)
	}
}

func TestRebuildKeepsAnswering(t *testing.T) {
	ix, _ := openTemp(t)
	ctx := context.Background()
	if err := ix.Upsert(ctx, SynthCorpus(3, 5000)...); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	var searches, failures atomic.Int64
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				res, err := ix.Search(ctx, "stripe do_not_honor", 3)
				searches.Add(1)
				if err != nil || len(res.Hits) == 0 {
					failures.Add(1)
				}
			}
		}()
	}
	before := ix.cur.Load().name
	time.Sleep(20 * time.Millisecond)
	if err := ix.Rebuild(ctx, Doc{ID: "extra-1", Kind: KindIncident, Title: "Numbatpay incident", Body: "numbatpay"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if ix.cur.Load().name == before {
		t.Error("rebuild did not swap in a new index")
	}
	if failures.Load() > 0 {
		t.Errorf("%d of %d searches failed during the rebuild", failures.Load(), searches.Load())
	}
	if ids, _ := searchTop(t, ix, "numbatpay", 3); !containsString(ids, "extra-1") {
		t.Errorf("extra doc missing after rebuild: %v", ids)
	}
	if n, _ := ix.Count(); n < 5000 {
		t.Errorf("count after rebuild %d", n)
	}
	t.Logf("%d searches during rebuild, none failed", searches.Load())
}

func TestArticlesDirOverrides(t *testing.T) {
	arts := t.TempDir()
	if err := os.WriteFile(filepath.Join(arts, "stripe-do-not-honor.md"), []byte("---\ntitle: Our own do_not_honor runbook\ncodes: [do_not_honor]\nprovider: stripe\ntags: [stripe]\n---\nCall the platypusbank desk.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(arts, "local-extra.md"), []byte("---\ntitle: Local escalation list\n---\nPage the echidna team.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(context.Background(), t.TempDir(), Options{ArticlesDir: arts})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ids, _ := searchTop(t, ix, "platypusbank", 3); len(ids) == 0 || ids[0] != "stripe-do-not-honor" {
		t.Errorf("override not indexed: %v", ids)
	}
	if ids, _ := searchTop(t, ix, "echidna team", 3); len(ids) == 0 || ids[0] != "local-extra" {
		t.Errorf("extra article not indexed: %v", ids)
	}
}

func TestParseArticle(t *testing.T) {
	d, err := ParseArticle("x/some-file.md", []byte("---\ntitle: \"T: one\"\ntags: [a, 05, do not honor]\ncodes: [do_not_honor]\nprovider: stripe\ncategory: declines\nurl: https://e\n---\n## Cause\nBody.\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "some-file" || d.Title != "T: one" || d.Kind != KindArticle || d.Provider != "stripe" || d.URL != "https://e" || !reflect.DeepEqual(d.Tags, []string{"a", "05", "do not honor"}) || d.Body != "## Cause\nBody." {
		t.Errorf("parsed %+v", d)
	}
	for _, bad := range []string{"no front matter", "---\ntitle: x\n", "---\ntags: [a]\n---\nbody", "---\ntitle: x\n---\n"} {
		if _, err := ParseArticle("bad.md", []byte(bad)); err == nil {
			t.Errorf("ParseArticle(%q) accepted", bad)
		}
	}
	starter, err := StarterArticles()
	if err != nil {
		t.Fatal(err)
	}
	if len(starter) == 0 {
		t.Fatal("no starter articles embedded")
	}
}

func TestEvalScoring(t *testing.T) {
	if !globMatch("paypal-issue:*:INSTRUMENT_DECLINED", "paypal-issue:checkout_orders_v2:INSTRUMENT_DECLINED") || globMatch("paypal-issue:*:X", "square:X") {
		t.Error("glob")
	}
	ix, _ := openTemp(t)
	rep, err := Eval(context.Background(), ix, strings.NewReader(`{"q": "stripe do_not_honor", "gold": ["stripe-do-not-honor"]}`+"\n"+`{"q": "weather in paris", "offtopic": true}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 1 || rep.Top1 != 1 || rep.MRR10 != 1 || len(rep.Results) != 2 {
		t.Errorf("report %+v", rep)
	}
}

// TestFirstImportable: the first line ImportJSONL would import, read no
// further; none, with every problem, when all lines are bad.
func TestFirstImportable(t *testing.T) {
	for _, tc := range []struct {
		in       string
		line     int
		problems int
	}{
		{"\xef\xbb\xbf{\"id\": \"a\", \"title\": \"A\", \"body\": \"alpha\"}\nnot json", 1, 0},
		{"not json\n\n{\"id\": \"b\", \"title\": \"B\"}\n{\"id\": \"c\", \"title\": \"C\", \"body\": \"c\"}\n", 4, 0},
		{"not json\n{\"id\": \"b\", \"title\": \"B\"}\n\n{\"id\": \"d\", \"title\": \"D\", \"body\": \"d\", \"kind\": \"banana\"}", 0, 3},
		{"", 0, 0},
	} {
		line, probs, err := FirstImportable(strings.NewReader(tc.in))
		if err != nil || line != tc.line || len(probs) != tc.problems {
			t.Errorf("%q: line %d, problems %v, err %v; want line %d and %d problems", tc.in, line, probs, err, tc.line, tc.problems)
		}
	}
	// Docs for the ones the importer takes agree.
	docs, _ := ImportJSONL(strings.NewReader("not json\n{\"id\": \"c\", \"title\": \"C\", \"body\": \"c\"}"))
	if len(docs) != 1 {
		t.Fatalf("ImportJSONL disagrees: %v", docs)
	}
}

// TestReadToFirstImportable: a stream read once stops just past its first
// good line, which it returns with the problems before it; the rest of
// the stream is left to read.
func TestReadToFirstImportable(t *testing.T) {
	for _, tc := range []struct {
		in       string
		line     int
		raw      string
		problems []int
		rest     string
	}{
		{"not json\n\n{\"id\": \"a\", \"title\": \"A\", \"body\": \"a\"}\nnext\n", 3, "{\"id\": \"a\", \"title\": \"A\", \"body\": \"a\"}\n", []int{1}, "next\n"},
		{"\xef\xbb\xbf{\"id\": \"a\", \"title\": \"A\", \"body\": \"a\"}", 1, "{\"id\": \"a\", \"title\": \"A\", \"body\": \"a\"}", nil, ""},
		{"bad\n{\"id\": 1}\n\n", 0, "", []int{1, 2}, ""},
		{"", 0, "", nil, ""},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 16) // smaller than a line
		line, raw, problems, err := ReadToFirstImportable(br)
		rest, _ := io.ReadAll(br)
		var got []int
		for _, p := range problems {
			got = append(got, p.Line)
		}
		if err != nil || line != tc.line || string(raw) != tc.raw || fmt.Sprint(got) != fmt.Sprint(tc.problems) || string(rest) != tc.rest {
			t.Errorf("%q: line %d raw %q problems %v rest %q err %v", tc.in, line, raw, got, rest, err)
		}
	}
}

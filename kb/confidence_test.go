package kb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func readQuestionsFile(t *testing.T, path string) []EvalQuestion {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("SKIP: %v", err)
	}
	defer f.Close()
	qs, err := ReadQuestions(f)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestConfidence calibrates and guards the confidence decision: real
// questions (starter table, and the dev set when ../shared is present) come
// back confident, the off-topic questions in testdata/offtopic.jsonl do not.
func TestConfidence(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	on := readQuestionsFile(t, filepath.Join("testdata", "starter-questions.jsonl"))
	{
		if dir := sharedDirNoSkip(); dir != "" {
			f, err := os.Open(filepath.Join(dir, "corpus", "reference-codes.jsonl"))
			if err == nil {
				docs, _ := ImportJSONL(f)
				f.Close()
				if err := ix.Upsert(ctx, docs...); err != nil {
					t.Fatal(err)
				}
				on = append(on, readQuestionsFile(t, filepath.Join(dir, "eval", "dev-questions.jsonl"))...)
			}
		}
	}
	off := readQuestionsFile(t, filepath.Join("testdata", "offtopic.jsonl"))
	var onCov, offCov []float64
	var onMiss, offFalse []string
	for _, q := range on {
		res, cov, err := ix.search(ctx, q.Q, 5)
		if err != nil {
			t.Fatal(err)
		}
		onCov = append(onCov, cov)
		if !res.Confident {
			onMiss = append(onMiss, fmt.Sprintf("%.2f %q", cov, q.Q))
		}
	}
	for _, q := range off {
		res, cov, err := ix.search(ctx, q.Q, 5)
		if err != nil {
			t.Fatal(err)
		}
		offCov = append(offCov, cov)
		if res.Confident {
			top := ""
			if len(res.Hits) > 0 {
				top = res.Hits[0].ID
			}
			offFalse = append(offFalse, fmt.Sprintf("%.2f %q -> %s", cov, q.Q, top))
		}
	}
	sort.Float64s(onCov)
	sort.Float64s(offCov)
	t.Logf("on-topic  n=%d coverage p05=%.2f p10=%.2f min=%.2f", len(onCov), onCov[len(onCov)/20], onCov[len(onCov)/10], onCov[0])
	t.Logf("off-topic n=%d coverage max=%.2f p90=%.2f", len(offCov), offCov[len(offCov)-1], offCov[len(offCov)*9/10])
	for _, m := range onMiss {
		t.Logf("not confident: %s", m)
	}
	for _, m := range offFalse {
		t.Errorf("off-topic but confident: %s", m)
	}
	if share := 1 - float64(len(onMiss))/float64(len(on)); share < 0.9 {
		t.Errorf("only %.2f of real questions are confident (want >= 0.90)", share)
	}
}

// TestUnknownCodeIsNotAnswered: a question about a specific code is answered
// only by a document holding that code, not by a neighbour that shares the
// other words.
func TestUnknownCodeIsNotAnswered(t *testing.T) {
	ix, _ := openTemp(t)
	ctx := context.Background()
	if err := ix.Upsert(ctx, Doc{ID: "iso8583_1993_action_code:021", Kind: KindReference,
		Title: "ISO 8583 action code (1993) 021", Body: "No action taken (unable to back out prior transaction).",
		Tags: []string{"iso8583", "iso8583_1993_action_code"}}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]bool{
		"iso 8583 action code 021": true,
		"iso 8583 action code 116": false,
	} {
		res, err := ix.Search(ctx, q, 3)
		if err != nil {
			t.Fatal(err)
		}
		if res.Confident != want {
			t.Errorf("%q: confident = %v, want %v (hits %+v)", q, res.Confident, want, res.Hits)
		}
	}
}

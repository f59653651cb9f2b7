package kb

import (
	"context"
	"testing"
)

// TestShortPrefixedCodesMeet: codes of a letter prefix and a short number
// (SEPA's AM04 and MD06 in an article's codes, AB7 and GW-0031 in a title)
// are answered confidently, first, in every spelling: AM04 was a plain word
// at query time (not confident, and "am-04" found ISO 8583's 04), and a
// title's AB7 was no code at all.
func TestShortPrefixedCodesMeet(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	docs := []Doc{
		{ID: "bank-ab7", Kind: KindReference, Title: "Bank reject AB7 duplicate batch", Body: "The bank rejected the batch: its header repeats one already received."},
		{ID: "gw-fault-31", Kind: KindArticle, Title: "Gateway fault GW-0031: settlement file rejected", Body: "## What to do\n- Regenerate the settlement file and resend it."},
	}
	if err := ix.Upsert(ctx, docs...); err != nil {
		t.Fatal(err)
	}
	for want, qs := range map[string][]string{
		"sepa-direct-debit-basics": {"AM04", "am-04", "am_04", "MD06", "md-06 on a refund", "AC04"},
		"bank-ab7":                 {"AB7", "ab7", "AB-07", "ab_7 again"},
		"gw-fault-31":              {"GW31 settlement", "gw31", "GW-0031", "gw_31"},
	} {
		for _, q := range qs {
			got, res := searchTop(t, ix, q, 3)
			if len(got) == 0 || got[0] != want || !res.Confident {
				t.Errorf("%q: top %v confident=%v, want %s first and confident", q, got, res.Confident, want)
			}
		}
	}
}

// TestKnownCodes: the codes of a text that the index holds, in any
// spelling; bare numbers, plain words and codes it does not hold are not.
func TestKnownCodes(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	if err := ix.Upsert(ctx, Doc{ID: "acq-e0054", Kind: KindArticle, Title: "Acquirer code E0054 means velocity block", Body: "## What to do\n- Wait an hour."}); err != nil {
		t.Fatal(err)
	}
	got := ix.KnownCodes(ctx, "e-0054 and AM04 on the batch, 05 twice, ZZ99 and do_not_honor, the refund")
	want := []string{"e54", "am04", "do_not_honor"}
	if len(got) != len(want) {
		t.Fatalf("KnownCodes = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("KnownCodes = %v, want %v", got, want)
		}
	}
}

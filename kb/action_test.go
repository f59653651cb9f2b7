package kb

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestDefinitionGetsArticleAction: a reference record that only defines
// its code carries the action of the starter article that covers the same
// code in the same family (any spelling of the code), and ranking is
// untouched (the record stays where it was).
func TestDefinitionGetsArticleAction(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	refs := []Doc{
		{ID: "ach-return:R01", Kind: KindReference, Title: "ACH return code R01 – Insufficient Funds", Body: "Available balance is not sufficient to cover the dollar value of the debit entry"},
		{ID: "iso8583_1987_field39:51", Kind: KindReference, Title: "ISO 8583 response code 51 – Not sufficient funds", Body: "Not sufficient funds"},
		{ID: "stripe-decline:insufficient_funds", Kind: KindReference, Title: "Stripe decline code insufficient_funds", Body: "The card has insufficient funds to complete the purchase."},
		// An ISO 8583:1993 action code spelled 051 is canonically 51, but
		// another family: the field-39 article does not cover it.
		{ID: "iso8583_1993_action_code:051", Kind: KindReference, Title: "ISO 8583 action code 051 – Card expired", Body: "Decline, card expired"},
	}
	if err := ix.Upsert(ctx, refs...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		question, ref string
		article       string // "" when the record must get no action
		text          string // a part of the action text
	}{
		{"ACH came back R01, can we retry?", "ach-return:R01", "ach-returns-overview", "re-present the same entry up to two more times within 180 days"},
		{"ach return r-1 insufficient funds", "ach-return:R01", "ach-returns-overview", "R01/R09"},
		{"DE39 51 not sufficient funds, what now?", "iso8583_1987_field39:51", "iso8583-51-insufficient-funds", "retry later"},
		{"stripe decline insufficient_funds", "stripe-decline:insufficient_funds", "stripe-insufficient-funds", "retry"},
		{"action code 051 card expired", "iso8583_1993_action_code:051", "", ""},
	} {
		t.Run(tc.question, func(t *testing.T) {
			res, err := ix.Search(ctx, tc.question, 10)
			if err != nil {
				t.Fatal(err)
			}
			var hit *Hit
			for i := range res.Hits {
				if res.Hits[i].ID == tc.ref {
					hit = &res.Hits[i]
				}
				if h := res.Hits[i]; h.Kind == KindArticle && h.Action != nil {
					t.Errorf("article %s has its own action section but got one from %s", h.ID, h.Action.ArticleID)
				}
			}
			if hit == nil {
				t.Fatalf("%s is not among the hits", tc.ref)
			}
			if tc.article == "" {
				if hit.Action != nil {
					t.Fatalf("%s got an action from %s: %q", tc.ref, hit.Action.ArticleID, hit.Action.Text)
				}
				return
			}
			a := hit.Action
			if a == nil {
				t.Fatalf("%s got no action (snippet %q)", tc.ref, hit.Snippet)
			}
			if a.ArticleID != tc.article || !strings.Contains(a.Text, tc.text) || a.Title == "" {
				t.Fatalf("%s: action from %s %q (title %q); want from %s, containing %q", tc.ref, a.ArticleID, a.Text, a.Title, tc.article, tc.text)
			}
			if len(a.Text) > maxActionText+len("…") {
				t.Fatalf("action text is %d bytes", len(a.Text))
			}
		})
	}
}

// TestHitJSONWithoutActionIsUnchanged: a hit without an action marshals
// as before (the field is optional).
func TestHitJSONWithoutActionIsUnchanged(t *testing.T) {
	b, err := json.Marshal(Hit{ID: "x", Title: "t", Kind: KindArticle, URL: "u", Snippet: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"id":"x","title":"t","kind":"article","score":0,"url":"u","snippet":"s"}`; string(b) != want {
		t.Fatalf("got %s, want %s", b, want)
	}
}

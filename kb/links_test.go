package kb

import (
	"context"
	"strings"
	"testing"

	"github.com/paybot/paybot/incidents/paycode"
)

// TestStarterLinksNameTheCodeFamily: an article about the codes of a
// family links to the page that documents that family (paycode.FamilyOf of
// its provider, Stripe's decline codes for a Stripe decline), never to a
// generic rules or overview page.
func TestStarterLinksNameTheCodeFamily(t *testing.T) {
	arts, err := StarterArticles()
	if err != nil {
		t.Fatal(err)
	}
	generic := []string{"nacha.org/rules", "wikipedia.org", "europeanpaymentscouncil.eu/what-we-do", "reference/square/objects/Error"}
	stripeDecline, _ := paycode.FamilyOf("stripe-decline")
	for _, a := range arts {
		for _, g := range generic {
			if strings.Contains(a.URL, g) {
				t.Errorf("%s links to a generic page: %s", a.ID, a.URL)
			}
		}
		if len(a.Codes) == 0 {
			continue
		}
		want := ""
		if f, ok := paycode.FamilyOf(a.Provider); ok {
			want = f.URL
		}
		if strings.HasPrefix(a.Title, "Stripe decline:") {
			want = stripeDecline.URL
		}
		if want != "" && a.URL != want {
			t.Errorf("%s (codes %v) links to %s, want the family's page %s", a.ID, a.Codes, a.URL, want)
		}
	}
}

// TestHitLinks: a question about a code links to the page of its family:
// the article's own (front matter), and, for a reference record whose url
// is only the repository it came from, the family's page; a record that
// has a page of its own keeps it.
func TestHitLinks(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	if err := ix.Upsert(ctx,
		Doc{ID: "ach-return:R03", Kind: KindReference, Title: "ACH return code R03 – No Account/Unable to Locate Account", Body: "The account number does not match an open account.", URL: "https://github.com/moov-io/ach/blob/abc/returns.go", Source: "moov-io/ach"},
		Doc{ID: "iso8583_1987_field39:51", Kind: KindReference, Title: "ISO 8583 response code 51", Body: "Not sufficient funds", URL: "https://example.com/our-own-codes/51"},
		Doc{ID: "ach-noc_change:C01", Kind: KindReference, Title: "ACH notification of change C01", Body: "Incorrect DFI account number"},
	); err != nil {
		t.Fatal(err)
	}
	nacha, _ := paycode.FamilyOf("ach-return")
	noc, _ := paycode.FamilyOf("ach-noc_change")
	urls := map[string]string{}
	for _, q := range []string{"ACH return R03 what does it mean", "DE39 51", "ACH NOC C01", "ACH came back R01, can we retry?"} {
		res, err := ix.Search(ctx, q, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range res.Hits {
			urls[h.ID] = h.URL
		}
	}
	for id, want := range map[string]string{
		"ach-return:R03":          nacha.URL,
		"ach-returns-overview":    nacha.URL,
		"iso8583_1987_field39:51": "https://example.com/our-own-codes/51",
		"ach-noc_change:C01":      noc.URL,
	} {
		if urls[id] != want {
			t.Errorf("%s links to %q, want %q", id, urls[id], want)
		}
	}
}

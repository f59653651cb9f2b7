package kb

import (
	"strings"
	"testing"
)

// TestMovesCardData: an answer that has card data sent, shared, posted or
// typed anywhere is refused, whoever is asked; one that says not to is fine.
func TestMovesCardData(t *testing.T) {
	for _, bad := range []string{
		"ask the customer to send the full card number and CVV",
		"have the customer type their card details into the thread",
		"Paste the PAN and expiry here so we can check it.",
		"get the cardholder to share the card number with support",
		"customers should post the security code in the ticket",
	} {
		if CheckAnswer(bad) == nil {
			t.Errorf("CheckAnswer(%q) accepted it", bad)
		}
	}
	for _, good := range []string{
		"Never paste a card number in chat; use the last four digits.",
		"Tell the customer to check the card number and the expiry date with their bank.",
		"Retry after 24 hours; do not send the CVV anywhere.",
		"R01 means insufficient funds: wait and re-present once.",
	} {
		if err := CheckAnswer(good); err != nil {
			t.Errorf("CheckAnswer(%q) = %v", good, err)
		}
	}
}

// TestImportRefusesHugeLine: a document over MaxDocBytes is rejected with
// its line number; the lines around it are imported.
func TestImportRefusesHugeLine(t *testing.T) {
	big := `{"id":"big","title":"t","body":"` + strings.Repeat("x", MaxDocBytes) + `","kind":"article"}`
	in := `{"id":"a","title":"one","body":"first","kind":"article"}` + "\n" + big + "\n" + `{"id":"b","title":"two","body":"second","kind":"article"}` + "\n"
	docs, problems := ImportJSONL(strings.NewReader(in))
	if len(docs) != 2 || len(problems) != 1 || problems[0].Line != 2 || !strings.Contains(problems[0].Reason, "at most 256 KiB") {
		t.Fatalf("docs %d, problems %+v", len(docs), problems)
	}
}

// TestMovesCardDataNouns: words that are verbs only sometimes (message,
// text, post) do not make a remark about an expiry a request for it.
func TestMovesCardDataNouns(t *testing.T) {
	for _, good := range []string{
		"The error message says the card expiry is in the past: ask for another card.",
		"The text of the decline mentions the CVV check; it failed at the issuer.",
		"Give the customer time; the PIN is checked by the issuer, not by us.",
	} {
		if err := CheckAnswer(good); err != nil {
			t.Errorf("CheckAnswer(%q) = %v", good, err)
		}
	}
}

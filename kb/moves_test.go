package kb

import (
	"errors"
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

// TestCardDataInOtherShapes: card data got from someone, said back,
// written down or keyed in by the reader, named by its digit count, spelt
// out ("primary account number") or abbreviated ("CC#", "card no.") is
// refused like "send me your card number"; the last four digits, the
// customer entering their own card on the payment page, telling them to
// check what they typed, public test cards, and other things written down
// or keyed in are not.
func TestCardDataInOtherShapes(t *testing.T) {
	bad := []struct{ kind, text string }{
		// number words and digit counts
		{"digits", "Get the sixteen digits from the customer and put them in the ticket"},
		{"digits", "Get the 16 digits from the customer"},
		{"digits", "get the long number from the cardholder"},
		{"digits", "collect the sixteen digits by phone"},
		{"digits", "Have the customer give you the 16 numbers"},
		{"digits", "Get the 16-digit number off the card from the customer"},
		// the PAN spelt out
		{"spelt out", "just ask for the full primary account number"},
		{"spelt out", "Ask for the primary account number"},
		{"spelt out", "Ask for the acct number of the card"},
		{"spelt out", "ask for the account number on the card"},
		{"spelt out", "ask for the exp date"},
		// said back: confirm, verify, read back, repeat, spell
		{"said back", "Ask the cardholder to confirm the full card number"},
		{"said back", "Confirm the full card number with the customer"},
		{"said back", "Have the cardholder verify the card number with you"},
		{"said back", "Verify the card's expiry date and security code with the caller"},
		{"said back", "Ask the cardholder to repeat the card number"},
		{"said back", "Ask the customer to read back the CVV"},
		{"said back", "Have the customer read the card number out loud"},
		{"said back", "Ask the customer to spell out the card number"},
		{"said back", "Ask the customer to confirm their card number over the phone."},
		// abbreviations
		{"abbreviation", "get the customer's card no. and retry manually"},
		{"abbreviation", "Get the customer's card # and retry"},
		{"abbreviation", "Have them send their CC# to us"},
		{"abbreviation", "Have them send their card # to us"},
		{"abbreviation", "ask for the cc no."},
		{"abbreviation", "ask for the credit card #"},
		// handled by the reader: written down, kept, keyed in
		{"handled", "Write down the customer's card number and try it in the dashboard"},
		{"handled", "key in the full PAN yourself in the virtual terminal after getting it by phone"},
		{"handled", "Note down the card number"},
		{"handled", "Copy the customer's card number into the virtual terminal"},
		{"handled", "Keep the card number in the notes for the retry"},
		{"handled", "Save the customer's PAN in the CRM"},
		{"handled", "Record the full card number and expiry"},
		{"handled", "Type in the card number yourself"},
		{"handled", "Punch in the card details in the virtual terminal"},
		{"handled", "Enter the customer's card details in the virtual terminal"},
		{"handled", "Then key the PAN into the MOTO terminal"},
		{"handled", "You should write down the CVV"},
		{"handled", "Put the card number in the ticket"},
		{"handled", "Write the card number on the ticket"},
		{"handled", "Get the customer's consent and write down the card number"},
		{"handled", `Do this: "key in the customer's PAN yourself in the virtual terminal"`},
		{"handled", `"Write down the full card number"`},
		// got from someone
		{"got", "Take the card number over the phone"},
		{"got", "Grab the customer's CVV and retry"},
		{"got", "Just grab the PAN"},
		{"got", "take down the card details"},
		{"got", "Get their credit card number"},
		{"got", "The agent should take the card number over the phone"},
		// the numbers on the card, said to you
		{"on the card", "ask the customer to tell you the numbers on their card"},
		{"on the card", "ask them to read you the numbers on the front of the card"},
		{"on the card", "get them to tell you the three digits on the back"},
		{"on the card", "Ask for the numbers on the card"},
		{"on the card", "Ask the customer what the numbers on the card are"},
		{"on the card", "Ask the customer for the code on the back"},
		{"on the card", "Tell the customer to give you the card number"},
	}
	for _, c := range bad {
		if err := CheckAnswer(c.text); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %q was accepted", c.kind, c.text)
		} else if !strings.Contains(err.Error(), "card data") {
			t.Errorf("%s: %q refused for another reason: %v", c.kind, c.text, err)
		}
	}
	good := []string{
		"Ask the customer for the last 4 digits",
		"Confirm the card brand and the last four digits with the customer",
		"Tell the customer to check the numbers on the card are entered correctly",
		"Key in the amount again in the virtual terminal",
		"Write down the decline code and the time",
		"Get the customer to re-enter the card number on the checkout page",
		"Ask the customer to enter the card number on the checkout page",
		"Tell the customer to enter their card details on the hosted page",
		"Keep the card number out of chat and tickets.",
		"Note the card number is masked in the dashboard.",
		"Never write down a card number.", "Don't write down the card number.",
		"Ask the customer to call the number on the back of their card.",
		"Call the number on the card to reach the issuer.",
		"Get the decline code from the dashboard.",
		"Get the last four digits from the customer and search the dashboard",
		"Write down the payment ID and the time.", "Record the decline code and the amount",
		"Save the card with a SetupIntent for future payments.",
		"Verify the webhook signature before processing.", "Confirm the payment intent on the client.",
		"Confirm with the customer that the card is not expired.",
		"Ask the customer to verify the billing address.", "Collect the order ID and the decline code.",
		"Take the payment again after 24 hours.", "Enter the amount in cents",
		"The customer should key in their PIN at the terminal.",
		"Ask the customer to insert the card and enter the PIN.",
		"Ask the customer to check the card number field for spaces",
		"Account number on the ACH return is wrong: ask the merchant to update it.",
		"Get the card brand from the BIN lookup.", "Copy the decline message into the ticket.",
		"Keep the ticket number in the incident thread.", "Store the payment method id, never the card number.",
		"Ask the customer which card brand they used",
		"Tell the customer the code on the back is needed only at checkout",
		"Scan the QR code on the back of the terminal", "Check the code on the back of the receipt",
		`Show the customer: "The card on file has expired. Please enter the new card details and try again."`,
		// test cards are public: naming or typing one is no card data
		"Use the sixteen-digit test card 4242 4242 4242 4242 in sandbox",
		"Type the test card number 4242 4242 4242 4242 in test mode.",
	}
	for _, a := range good {
		if err := CheckAnswer(a); err != nil {
			t.Errorf("%q was refused: %v", a, err)
		}
	}
}

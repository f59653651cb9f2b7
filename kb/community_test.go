package kb

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openWithCorpus opens a temporary index with the starter articles and,
// when ../shared is present, the 854 reference codes.
func openWithCorpus(t *testing.T) *Index {
	t.Helper()
	ix, _ := openTemp(t)
	if dir := sharedDirNoSkip(); dir != "" {
		if f, err := os.Open(filepath.Join(dir, "corpus", "reference-codes.jsonl")); err == nil {
			docs, _ := ImportJSONL(f)
			f.Close()
			if err := ix.Upsert(context.Background(), docs...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ix
}

var t0 = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func TestLearnedAnswerIsFirstForItsQuestion(t *testing.T) {
	ctx := context.Background()
	ix := openWithCorpus(t)
	learned := map[string]string{
		"what is the paypal sandbox password?":                "Use the sandbox business account from the developer dashboard; the password is in the team vault under PayPal sandbox.",
		"who approves a refund above 5000 euros?":             "The finance lead approves refunds above 5,000 EUR; open a finance ticket with the charge id.",
		"stripe radar blocks our own test purchases":          "Add the office IPs to the Radar allow list and use test cards in test mode only.",
		"how do we retry a failed payout to a closed account": "Ask the merchant for new bank details, then re-create the payout from the dashboard.",
	}
	ids := map[string]string{}
	for q, a := range learned {
		d, err := ix.Learn(ctx, q, a, "slack:U1", "Ana", t0, Doc{})
		if err != nil {
			t.Fatal(err)
		}
		ids[q] = d.ID
	}
	for q, id := range ids {
		for _, asked := range []string{q, strings.TrimSuffix(q, "?"), "hey, " + strings.ToUpper(q[:1]) + q[1:]} {
			got, res := searchTop(t, ix, asked, 5)
			if len(got) == 0 || got[0] != id {
				t.Errorf("%q: top %v, want the learned answer %s first", asked, got, id)
				continue
			}
			if h := res.Hits[0]; h.Kind != KindCommunity || h.Author != "Ana" || h.Created == "" {
				t.Errorf("%q: hit %+v lacks kind, author or date", asked, h)
			}
		}
	}
}

func TestAnswersNeverReplaceAnotherPersons(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	q := "what is the paypal sandbox password?"
	mgr, err := ix.Learn(ctx, q, "It is in the team vault under PayPal sandbox.", "slack:UMGR", "Inês (incident manager)", t0, Doc{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ix.Learn(ctx, q, "Ask finance for it.", "slack:UX", "Xavier", t0.Add(time.Hour), Doc{})
	if err != nil {
		t.Fatal(err)
	}
	if mgr.ID == other.ID {
		t.Fatal("two authors share one id")
	}
	if _, err := ix.Get(ctx, mgr.ID); err != nil {
		t.Fatalf("the first answer is gone: %v", err)
	}
	// the same author updates their own answer
	upd, err := ix.Learn(ctx, q, "It is in the vault, entry 'PayPal sandbox (2026)'.", "slack:UMGR", "Inês", t0.Add(2*time.Hour), Doc{})
	if err != nil || upd.ID != mgr.ID {
		t.Fatalf("update: %v %v", upd.ID, err)
	}
	if d, _ := ix.Get(ctx, mgr.ID); !strings.Contains(d.Body, "2026") {
		t.Fatalf("not updated: %+v", d)
	}
	list, err := ix.List(KindCommunity)
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %d docs, %v", len(list), err)
	}
	// removal: not by a third person; by the author; by a manager
	if _, err := ix.RemoveCommunity(ctx, other.ID, "slack:UY", false); !errors.Is(err, ErrNotAllowed) {
		t.Fatalf("a stranger removed an answer: %v", err)
	}
	if _, err := ix.RemoveCommunity(ctx, other.ID, "slack:UX", false); err != nil {
		t.Fatalf("author removal: %v", err)
	}
	if _, err := ix.RemoveCommunity(ctx, mgr.ID, "slack:UZ", true); err != nil {
		t.Fatalf("manager removal: %v", err)
	}
	if _, err := ix.Get(ctx, mgr.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("still there: %v", err)
	}
	if _, err := ix.RemoveCommunity(ctx, "stripe-do-not-honor", "x", true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed an article: %v", err)
	}
}

func TestPoisonedAnswersAreRefused(t *testing.T) {
	bad := []string{
		"send me your card number and I'll check it",
		"DM your CVV to @helpdesk-bob",
		"just DM me the full card details",
		"please share the cvc and expiry in a direct message",
		"ask <@U0123ABC> for help",
		"ping <!here> about it",
		"contact @alice, she knows",
		"email payments-help@example.com with the card number",
		"write to refunds.desk@example.org",
		"call +44 20 7946 0958 and read out the card number",
		"call (415) 555-0100",
		"contact me directly",
		"tell the customer to text their PIN to us",
		"reply with your CVV privately",
	}
	for _, a := range bad {
		if err := CheckAnswer(a); !errors.Is(err, ErrRefused) {
			t.Errorf("%q was accepted", a)
		}
	}
	good := []string{
		"Retry once after 24 hours; R01 may be re-presented twice within 180 days.",
		"Ask the customer to call the number on the back of their card, then retry.",
		"Never ask for the card number in chat; use the dashboard's payment link.",
		"Rotate the key in the dashboard and redeploy; see runbook section 4.2.",
		"HTTP 429: back off 2, 4, 8 seconds.",
		"Tell the customer to check the card number and the expiry date on the card.",
		"Send the customer a payment link instead of asking for the card number.",
		"Call the issuer with the authorisation code; never read out a full PAN.",
	}
	for _, a := range good {
		if err := CheckAnswer(a); err != nil {
			t.Errorf("%q was refused: %v", a, err)
		}
	}
	ix, _ := openTemp(t)
	if _, err := ix.Learn(context.Background(), "card declined what now", "DM me your card number", "slack:U1", "x", t0, Doc{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("Learn stored a poisoned answer: %v", err)
	}
	if n, _ := ix.List(KindCommunity); len(n) != 0 {
		t.Fatal("a refused answer was stored")
	}
}

func TestResolvedIncidentFoundByRootCause(t *testing.T) {
	ctx := context.Background()
	ix := openWithCorpus(t)
	inc := Doc{
		ID: "incident:PAY-42", Kind: KindIncident, Title: "PAY-42: card payments failing at checkout",
		Body:      "Fix: rolled back the checkout release 4.2\nRoot cause: the new release sent the amount in euros instead of cents to the acquirer\nErrors: invalid_amount",
		Codes:     []string{"invalid_amount"},
		Fix:       "rolled back the checkout release 4.2",
		RootCause: "the new release sent the amount in euros instead of cents to the acquirer",
		Source:    "paybot",
	}
	if err := ix.Upsert(ctx, inc); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"amount sent in euros instead of cents",
		"release sent the amount in euros instead of cents to the acquirer",
		"acquirer got euros not cents",
	} {
		got, res := searchTop(t, ix, q, 3)
		found := -1
		for i, id := range got {
			if id == inc.ID {
				found = i
			}
		}
		if found < 0 {
			t.Errorf("%q: top 3 %v lacks %s", q, got, inc.ID)
			continue
		}
		if s := res.Hits[found].Snippet; !strings.Contains(s, "Fix: rolled back") || !strings.Contains(s, " · Root cause: the new release") {
			t.Errorf("%q: snippet %q does not separate fix and root cause", q, s)
		}
	}
}

// TestPoisonedAnswersInOtherWordings: mentions after punctuation or in
// full-width forms, card data named by its digits or in other languages,
// and first-person contact requests are refused like their plain forms;
// the last four digits and answers about the customer's own bank are not.
func TestPoisonedAnswersInOtherWordings(t *testing.T) {
	bad := []string{
		// mentions in other forms
		"ask <@U123> for it", "ping @here and someone will tell you", "post in <!channel>",
		"@everyone knows it", "ask <@!123456789012345678> on discord", "ask <@&987654321098765432>",
		`ask "@here" for it`, "ask:@everyone", "cc:@ana", "ask [@ana] for it", "ask `@here`",
		"ask—@ana for it", "ask ＠here", "(@bob) knows",
		// card data in other wordings
		"DM me the full PAN", "send the 16 digits to the support lead", "paste card number + CVV here",
		"send the 16-digit number and the expiry to the desk", "give me the long number on the front and the 3 digits on the back",
		"share the card's expiry date and security code in this channel", "type the digits on the back of the card here",
		"send me the card no and the CSC",
		"envoyez-moi le numéro de carte complet", "envoie le numéro de carte et le cryptogramme",
		"mándame el número de tarjeta y el código de seguridad", "schick mir die Kartennummer",
		"enviame los 16 dígitos", "ＤＭ ｍｅ ｔｈｅ ＣＶＶ",
		// contact requests
		"write to me", "drop me a message", "whatsapp me", "reach out to me directly", "get in touch with me", "hit me up",
		// a person by name, in private
		"ping ana on slack", "contact ana directly", "ask bob privately about it", "message sarah via whatsapp",
		"talk to dave directly, he knows", "text marco by sms",
		// card data named in one sentence and moved in the next
		"what's your ccv? send it over", "Card number and expiry please. Paste them here.", "I need the cvv. DM it.",
		// card data asked for, collected or read out, whoever is asked
		"Ask the customer for the card number.", "Request the customer's debit card PIN so the terminal can complete it.",
		"Collect the long number, the expiry and the security code from the customer by email.",
		"Have the customer read out the security code.", "Ask the customer for the card number minus spaces and the CVC.",
		"Ask the customer to type their PAN into the support chat so we can look it up.",
		"Ask the customer for the card's expiration date and the digits on the signature strip.",
		// people named with capitals
		"Ask Maria Gonzalez in accounts, she fixes these declines.", "Contact Sarah Chen at extension 4412.",
		"Talk to Mr. Patel at the acquirer, he owes us a favor.", "Just call Priya, she knows the workaround.",
		"Ask our colleague Tom Becker for the merchant login password.", "Ping John Smith on Slack.",
		"Message Maria Gonzalez directly.", "Ask Dave in accounts.",
		// other verbs of sending, and wanting the reader's card data
		"reply with the three digits on the back of your card", "respond with your card number and we will check",
		"include the full card number in your reply", "we need your card number to look it up",
		"what's your card number? I'll check the logs", "drop your card details below",
		"leave the 16 digits in the comments", "just reply with the card number", "submit your PAN and expiry",
		// mentions the Slack adapter kept from going live (a word joiner
		// after '<'), hidden by zero-width characters, Discord roles as text
		"ask <\u2060@U0ANA> she knows", "<\u2060!here> read it", "ask <\u2060@&456789012345678901> about it",
		"@\u200beveryone read the dashboard", "ask @&456789012345678901 role",
		// a person reached in private by the verb alone, at home, on their
		// phone, or by pronoun
		"DM ana", "dm bob about the refund", "whatsapp marco", "call ana at home", "call ana on her cell",
		"ana knows, ask her", "ask him on his phone",
		// an image of the card, and the reader's card named after the data
		"send a photo of the card", "upload a picture of the front and back of your card",
		"send a screenshot of your card", "email a scan of the card to us",
		"what are the digits on the front of your card?",
	}
	for _, a := range bad {
		if err := CheckAnswer(a); !errors.Is(err, ErrRefused) {
			t.Errorf("%q was accepted", a)
		}
	}
	good := []string{
		"Ask the customer for the last 4 digits and the date of the payment, then search the dashboard.",
		"Send the first 6 digits (the BIN) to the acquirer to check the issuer country.",
		"Tell the customer to call the number on the back of their card.",
		"Write the refund reason in the dashboard, then send the customer the receipt.",
		"Réessayez une fois après 24 heures; ne jamais demander le numéro de carte.",
		"Drop the retry rate to one per minute and reach out to the acquirer's risk desk.",
		"Use the 3DS challenge flow; 4 digits is the Amex CID length, 3 for other brands.",
		"Contact the issuer directly; call support on the phone if it is urgent.",
		"Contact Stripe support directly and ask the account manager on slack for the escalation.",
		"Ask the customer to check the card number. Then send the decline code to the issuer for review.",
		"Never ask for the CVV. Send them the hosted payment page link instead.",
		"Ask the customer to send a screenshot of the error message (not the card) to support.",
		"Tell the customer the full card number is never needed; send them the hosted payment link.",
		"Ask the customer to check the back of the card for the issuer phone number and call them.",
		"Call them and ask for the authorization code.", "Ask the customer for the last 4 digits and the order number.",
		"Contact Stripe support directly.", "Contact American Express, they handle Amex disputes themselves.",
		"Contact Wells Fargo directly about the ACH return.", "Ask the acquirer's risk desk to lift the hold.",
		"Tell the customer to re-enter the card number on the checkout page.",
		"Ask the customer for the last 4 digits of the card so you can find the payment in the dashboard.",
		"Ask for a screenshot of the decline message shown after the card was entered.",
		"Tell the customer to re-enter the card number on the checkout page.",
		"Ask the customer for the last 4 digits of the card so you can find the payment in the dashboard.",
		"Ask for a screenshot of the decline message shown after the card was entered.",
		"Have the customer enter their card details again on the payment page.",
		"Check the last 4 digits in the dashboard, then reply with the decline code.",
		"Ask them to retry, then ask the customer for the order number.", "DM the details to support.",
		"Signal strength at the terminal is low: move the reader.", "Whatsapp business api declines need a template.",
		"Call the issuer; call back later if the line is busy.", "Tag the on-call in the incident thread.",
		"Send a screenshot of the card decline in the dashboard to the provider.",
		"Attach a screenshot of the card payment page.", "Ask the customer to check the digits on the back of their card.",
		"Tell the customer the card number field rejects spaces.",
	}
	for _, a := range good {
		if err := CheckAnswer(a); err != nil {
			t.Errorf("%q was refused: %v", a, err)
		}
	}
}

// TestLearnedAnswerIsFirstForActionAndCodeQuestions: an article that holds
// the question's codes or says what to do still comes after the answer
// learned for that very question ("how do I…", "what should I do when…").
func TestLearnedAnswerIsFirstForActionAndCodeQuestions(t *testing.T) {
	ctx := context.Background()
	ix := openWithCorpus(t)
	learned := map[string]string{
		"how do I rotate the stripe webhook secret?":             "Roll it in the dashboard, then deploy the new whsec to every replica before the old one expires.",
		"what should I do when adyen refuses with CVC Declined?": "Let the shopper retype the code once, then offer PayPal.",
		"ACH return R01 on a payroll debit, what do we do?":      "Re-present once on the Friday after payday; never a third time.",
		"can we retry do_not_honor on subscription renewals?":    "Once after 24 hours with 3DS, then email the customer.",
	}
	for q, a := range learned {
		d, err := ix.Learn(ctx, q, a, "slack:U1", "Ana", t0, Doc{})
		if err != nil {
			t.Fatal(err)
		}
		for _, asked := range []string{q, strings.TrimSuffix(q, "?")} {
			if got, _ := searchTop(t, ix, asked, 5); len(got) == 0 || got[0] != d.ID {
				t.Errorf("%q: top %v, want the learned answer %s first", asked, got, d.ID)
			}
		}
	}
	// a different question that shares some words is not put first
	if got, _ := searchTop(t, ix, "stripe webhook signature secret mismatch", 5); len(got) > 0 && strings.HasPrefix(got[0], "community:") {
		t.Errorf("a merely related question put the learned answer first: %v", got)
	}
}

// TestImportedCommunityQuestionsAreChecked: an imported community answer
// meets the rules of a learned one for its question (the title) too, as
// Learn checks both: a question that mentions someone was imported.
func TestImportedCommunityQuestionsAreChecked(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "c1", "kind": "community", "title": "ping <@U123> about refunds?", "body": "Refund from the dashboard."}`,
		`{"id": "c2", "kind": "community", "title": "how do I verify a card?", "body": "send the 16 digits to the desk"}`,
		`{"id": "c3", "kind": "community", "title": "how do we refund a SEPA debit?", "body": "Refund from the dashboard; SEPA refunds take a few days."}`,
	}, "\n")
	docs, probs := ImportJSONL(strings.NewReader(in))
	if len(probs) != 2 || probs[0].Line != 1 || probs[1].Line != 2 || len(docs) != 1 || docs[0].ID != "c3" {
		t.Fatalf("docs %+v, problems %+v", docs, probs)
	}
	// a question that names someone, and a Markdown community answer, too
	in = `{"id": "c4", "kind": "community", "title": "can Bob Jones in finance approve a retry?", "body": "Yes, once."}`
	if docs, probs := ImportJSONL(strings.NewReader(in)); len(docs) != 0 || len(probs) != 1 || !strings.Contains(probs[0].Reason, "the question names a person") {
		t.Fatalf("docs %+v, problems %+v", docs, probs)
	}
	for _, md := range []string{
		"---\ntitle: can Bob approve a retry?\nkind: community\n---\nYes, once.\n",
		"---\ntitle: how do I verify a card?\nkind: community\n---\nWrite down the customer's card number first.\n",
	} {
		if _, err := ParseArticle("c5.md", []byte(md)); !errors.Is(err, ErrRefused) {
			t.Errorf("Markdown community answer %q: %v", md, err)
		}
	}
	if _, err := ParseArticle("c6.md", []byte("---\ntitle: how do we refund a SEPA debit?\nkind: community\n---\nRefund from the dashboard.\n")); err != nil {
		t.Fatal(err)
	}
}

// TestLearnedAnswerToAPersonalQuestionIsConfident: a question worded in the
// first person ("my") reads as someone's own money to the near-topic
// classes, but when the team learned an answer to that very question, the
// answer is confident.
func TestLearnedAnswerToAPersonalQuestionIsConfident(t *testing.T) {
	ctx := context.Background()
	ix, _ := openTemp(t)
	q := "how do I reset my 2fa device?"
	d, err := ix.Learn(ctx, q, "Ask IT for a reset link from the admin console.", "slack:U1", "Ana", t0, Doc{})
	if err != nil {
		t.Fatal(err)
	}
	got, res := searchTop(t, ix, q, 3)
	if len(got) == 0 || got[0] != d.ID || !res.Confident {
		t.Fatalf("top %v confident=%v, want the learned answer, confident", got, res.Confident)
	}
	if _, res := searchTop(t, ix, "how do I pay off my credit card debt faster", 3); res.Confident {
		t.Fatal("a personal-finance question became confident")
	}
}

// TestQuestionsNamingSomeoneAreRefused: the learned question becomes the
// answer's title, shown to everyone who finds it, so a question that names
// a person, mentions one or holds a contact is refused, with a reason that
// says it is the question; card numbers typed into it are still masked,
// and the questions people ask (the test sets) pass.
func TestQuestionsNamingSomeoneAreRefused(t *testing.T) {
	bad := []struct{ kind, q string }{
		{"full name", "can Bob Jones in finance approve a retry of R02?"},
		{"full name", "is Priya Sharma the refund approver?"},
		{"first name", "can Bob approve a retry of R02?"}, {"first name", "did Ana fix the R02 retries?"},
		{"first name", "can I retry after Julia's deploy?"},
		{"first name", "can bob in finance approve it?"}, {"first name", "bob approves refunds over 5000?"},
		{"contact", "should I ping ana about R02?"}, {"contact", "should we ask j.smith about R02?"},
		{"mention", "who is @ana?"}, {"mention", "ask <@U0ANA> about R02?"},
		{"email", "email ana@example.com about refunds?"}, {"phone", "call +44 20 7946 0958 for refunds?"},
		{"extension", "is ext. 4411 the refunds desk?"},
	}
	ix, _ := openTemp(t)
	for _, c := range bad {
		err := CheckQuestion(c.q)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the question ") {
			t.Errorf("%s: %q: %v, want a refusal of the question", c.kind, c.q, err)
		}
		if _, err := AnswerDoc(c.q, "Retry once after 24 hours.", "slack:U1", "x", t0, Doc{}); !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "the question ") {
			t.Errorf("%s: AnswerDoc(%q): %v", c.kind, c.q, err)
		}
		if _, err := ix.Learn(context.Background(), c.q, "Retry once after 24 hours.", "slack:U1", "x", t0, Doc{}); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: Learn(%q): %v", c.kind, c.q, err)
		}
	}
	if n, _ := ix.List(KindCommunity); len(n) != 0 {
		t.Fatalf("a refused question was stored: %+v", n)
	}
	good := []string{
		"what does Chase decline code 05 mean?", "why do Apple Pay payments fail in Safari?", "Will the retry on Monday work?",
		"Can Stripe retry R01?", "what is the San Francisco office's payout account?", "is Visa Account Updater on?",
		"Why does Adyen return Refused?", "why did the payout to Paris fail?", "what does payment_intent.succeeded mean?",
		"why does São Paulo acquiring fail?", "Does Mercado Pago support Pix refunds?", "What does Klarna's Pay Later need?",
		"Why did the payout fail on May 3?", "can finance approve a retry of R02?", "who approves a refund above 5000 euros?",
	}
	for _, q := range good {
		if err := CheckQuestion(q); err != nil {
			t.Errorf("%q was refused: %v", q, err)
		}
	}
	// the test sets' questions name nobody (some that describe card data
	// pasted somewhere are refused as card data, as before)
	files, _ := filepath.Glob(filepath.Join("testdata", "*questions*.jsonl"))
	n := 0
	for _, fn := range files {
		b, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			var j struct {
				Q string `json:"q"`
			}
			if json.Unmarshal([]byte(line), &j) != nil || j.Q == "" {
				continue
			}
			n++
			if k := refusal(j.Q, true); k != refuseNone && k != refuseCard {
				t.Errorf("%s: %q refused: %v", filepath.Base(fn), j.Q, CheckQuestion(j.Q))
			}
		}
	}
	if n < 300 {
		t.Fatalf("read %d questions from %v", n, files)
	}
	// a card number in the question is masked in the stored title
	d, err := ix.Learn(context.Background(), "why is card 4242 4242 4242 4242 declined?", "Retry once after 24 hours.", "slack:U1", "x", t0, Doc{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ix.Get(context.Background(), d.ID); err != nil || strings.Contains(got.Title, "4242 4242 4242 4242") {
		t.Fatalf("stored title %q, %v", got.Title, err)
	}
}

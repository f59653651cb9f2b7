package kb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Community answers.
//
// Anyone in a chat can teach the bot an answer, so what they teach is
// checked before it is stored: an answer that mentions people (so that a
// reader would contact a stranger) or asks for card data is refused with a
// reason. Every answer carries its author and date; one author's answer to
// a question never replaces another author's (each has its own id), and
// only its author or an incident manager may remove it.

// ErrRefused wraps the reason an answer was not accepted.
var ErrRefused = errors.New("answer refused")

// ErrNotFound is returned for an unknown document id.
var ErrNotFound = errors.New("no such knowledge-base document")

// ErrNotAllowed is returned when someone other than the author (or a
// manager) tries to remove a community answer.
var ErrNotAllowed = errors.New("only the author of an answer or an incident manager can remove it")

var (
	// A mention: a platform sequence (<@U1>, <!here>, <#C1>, <@&role>), or
	// '@' (or Discord's '@&' of a role) and a name after anything but the local part of an email address
	// (so "cc:@ana", "\"@here\"" and "[@bob]" are mentions, "a@b.io" is not).
	reMention = regexp.MustCompile(`<[@!#][^>]*>|(^|[^A-Za-z0-9._%+-])@[&!]?[A-Za-z0-9._-]{2,}`)
	reEmail   = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b`)
	rePhone   = regexp.MustCompile(`(?:\+|\b00)\d[\d\s().-]{7,}\d|\(\d{3}\)\s*\d{3}[\s.-]\d{4}|\b\d{3}[\s.-]\d{3}[\s.-]\d{4}\b`)
	// an internal line: "ext. 4411", "extension #12", "x4411", "call 4411"
	reExtension = regexp.MustCompile(`(?i)(?:^|[\s(])x\.?\d{3,5}\b|\b(?:ext|extn|extension)\b\.?\s*(?:no\.?\s*|#\s*)?\d{2,6}\b|\b(?:call|dial|ring|phone)\s+(?:us\s+|me\s+|him\s+|her\s+)?(?:at\s+|on\s+)?\d{3,6}\b(?:[^\d.,-]|[.,]\D|[.,]?$)`)
	// "cc#", "card #", "acct#": a number sign after a card word
	reNumberSign = regexp.MustCompile(`\b(cc|card|cards|acct|account)\s?#`)
)

// CheckAnswer returns nil when text may be stored as a community answer, or
// an error wrapping ErrRefused that says why not: it mentions or points to a
// person (@someone, <@U…>, an email address, a phone number or extension,
// "contact me", "ask Ana", "see John Smith"), or it asks for card data or
// has it handled ("send me your card number", "DM your CVV", "write down
// the customer's card number").
func CheckAnswer(text string) error {
	switch refusal(text, false) {
	case refuseCard:
		return fmt.Errorf("%w: it asks people for card data or has it handled (card number, CVV, PIN or expiry); nobody should ask for, send, write down or key in those", ErrRefused)
	case refuseMention:
		return fmt.Errorf("%w: it mentions a person or a channel; write what to do, and use /payissue escalate to reach people", ErrRefused)
	case refuseEmail:
		return fmt.Errorf("%w: it holds an email address; answers say what to do, contacts live in the escalation policy", ErrRefused)
	case refusePhone:
		return fmt.Errorf("%w: it holds a phone number or an extension; answers say what to do, contacts live in the escalation policy", ErrRefused)
	case refusePerson:
		return fmt.Errorf("%w: it sends people to someone by name; write what to do, and use /payissue escalate to reach people", ErrRefused)
	case refuseUnchecked:
		return fmt.Errorf("%w: it could not be checked (an internal error); rephrase it", ErrRefused)
	}
	return nil
}

// CheckQuestion is CheckAnswer for the question a community answer is
// learned for: the question becomes the answer's title, shown to everyone
// who finds the answer, so it may not mention, name or give the contact of
// a person either ("can Bob Jones in finance approve a retry?", "can Bob
// approve it?"), nor ask for card data. Card numbers typed into it are
// masked when it is stored (RedactDoc), as in answers. Errors: one
// wrapping ErrRefused whose reason starts "the question".
func CheckQuestion(text string) error {
	what := ""
	switch refusal(text, true) {
	case refuseNone:
		return nil
	case refuseCard:
		what = "asks people for card data or has it handled (card number, CVV, PIN or expiry)"
	case refuseMention:
		what = "mentions a person or a channel"
	case refuseEmail:
		what = "holds an email address"
	case refusePhone:
		what = "holds a phone number or an extension"
	case refusePerson:
		what = "names a person"
	case refuseUnchecked:
		what = "could not be checked (an internal error)"
	}
	return fmt.Errorf("%w: the question %s; it becomes the answer's title, which everyone who finds the answer sees, so ask it without names, contacts or card data", ErrRefused, what)
}

// Why a text is refused (refusal).
const (
	refuseNone = iota
	refuseCard
	refuseMention
	refuseEmail
	refusePhone
	refusePerson
	refuseUnchecked // a check failed: refused, to be safe
)

// refusal is why text may not be stored (refuseNone when it may). A
// question is held to one more rule than an answer: it names nobody at all
// (namesAnyone), since it is shown as the answer's title.
//
// A bug in one of the checks (a panic) refuses the text rather than
// taking down the chat worker or an import: refuseUnchecked.
func refusal(text string, question bool) (why int) {
	defer func() {
		if recover() != nil {
			why = refuseUnchecked
		}
	}()
	return checkText(text, question)
}

func checkText(text string, question bool) int {
	// Cheap tests first: imports run this on every community line.
	if !isASCII(text) {
		// accents and full-width forms fold to what the tests read:
		// "numéro de carte", "＠here", "ｃｖｖ"
		text = foldText(text)
	}
	low := strings.ToLower(text)
	if strings.IndexByte(low, '#') >= 0 {
		// "CC#", "card #": the number of the card
		low = reNumberSign.ReplaceAllString(low, "$1 number")
	}
	at := strings.ContainsAny(text, "@<")
	digits := 0
	for i := 0; i < len(text); i++ {
		if text[i] >= '0' && text[i] <= '9' {
			digits++
		}
	}
	switch {
	case asksForCardData(low) || movesCardData(low) || handlesCardData(low):
		return refuseCard
	case at && reMention.MatchString(text):
		return refuseMention
	case at && reEmail.MatchString(text):
		return refuseEmail
	case digits >= 9 && rePhone.MatchString(text), digits >= 2 && reExtension.MatchString(text):
		return refusePhone
	case asksToContact(low) || namesAPerson(text) || namesSomeone(text) || reachesHandle(text):
		return refusePerson
	case question && namesAnyone(text):
		return refusePerson
	}
	return refuseNone
}

// CommunityID is the id of author's answer to question: one per question
// and author, so a second author adds an answer instead of replacing one,
// and an author who answers again updates their own.
func CommunityID(question, author string) string {
	q := sha256.Sum256([]byte(strings.ToLower(strings.Join(strings.Fields(question), " "))))
	a := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(author))))
	return "community:" + hex.EncodeToString(q[:6]) + "-" + hex.EncodeToString(a[:3])
}

// Learn stores author's answer to question as a community answer, after
// CheckAnswer on the answer and CheckQuestion on the question. at is the
// time of the answer. It returns the stored document. Errors: one wrapping
// ErrRefused, or the index's.
//
// authorID is the author's identity ("slack:U123"), authorName the name
// shown with the answer.
func (ix *Index) Learn(ctx context.Context, question, answer, authorID, authorName string, at time.Time, extra Doc) (Doc, error) {
	d, err := AnswerDoc(question, answer, authorID, authorName, at, extra)
	if err != nil {
		return Doc{}, err
	}
	return d, ix.Upsert(ctx, d)
}

// AnswerDoc checks an answer as Learn does and returns the community
// document Learn would store, without storing it (kb/kbstore writes it to
// the store instead). Errors: one wrapping ErrRefused.
func AnswerDoc(question, answer, authorID, authorName string, at time.Time, extra Doc) (Doc, error) {
	question, answer, author := strings.TrimSpace(question), strings.TrimSpace(answer), strings.TrimSpace(authorID)
	if question == "" || answer == "" {
		return Doc{}, fmt.Errorf("%w: a question and an answer are both needed", ErrRefused)
	}
	if author == "" {
		return Doc{}, fmt.Errorf("%w: an answer needs its author", ErrRefused)
	}
	if err := CheckAnswer(answer); err != nil {
		return Doc{}, err
	}
	if err := CheckQuestion(question); err != nil {
		return Doc{}, err
	}
	d := extra
	d.ID = CommunityID(question, author)
	d.Kind = KindCommunity
	d.Title = question
	d.Body = answer
	d.AuthorID = author
	d.Author = strings.TrimSpace(authorName)
	if d.Author == "" {
		d.Author = author
	}
	d.Created = at.UTC().Format(time.RFC3339)
	if d.Source == "" {
		d.Source = "chat"
	}
	return d, nil
}

// Get returns the stored document with id, as indexed (codes are in their
// canonical form). Errors: ErrNotFound, ErrClosed.
func (ix *Index) Get(ctx context.Context, id string) (Doc, error) {
	if ix.closed.Load() {
		return Doc{}, ErrClosed
	}
	if strings.TrimSpace(id) == "" {
		return Doc{}, ErrNotFound
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery([]string{id}), 1, 0, false)
	req.Fields = append(append([]string{}, hitFields...), "author_id")
	sr, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return Doc{}, err
	}
	if len(sr.Hits) == 0 || fieldString(sr.Hits[0], "kind") == KindPassage {
		return Doc{}, fmt.Errorf("%w: %q", ErrNotFound, id) // a passage is part of its article
	}
	h := sr.Hits[0]
	return Doc{
		ID: h.ID, Title: fieldString(h, "title"), Body: fieldString(h, "body"), Kind: fieldString(h, "kind"),
		Tags: fieldStrings(h, "tags"), Codes: fieldStrings(h, "codes"), Provider: fieldString(h, "provider"),
		URL: fieldString(h, "url"), Source: fieldString(h, "source"), Author: fieldString(h, "author"),
		AuthorID: fieldString(h, "author_id"), Created: fieldString(h, "created"), Fix: fieldString(h, "fix"), RootCause: fieldString(h, "rootcause"),
	}, nil
}

// List returns the documents of one kind ("" for all) that the index is
// built from, sorted by id.
func (ix *Index) List(kind string) ([]Doc, error) {
	docs, err := ix.Docs()
	if err != nil {
		return nil, err
	}
	out := docs[:0]
	for _, d := range docs {
		if kind == "" || d.Kind == kind {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// RemoveCommunity deletes a community answer. by is the person asking;
// manager says they hold an incident-manager role. Errors: ErrNotFound (no
// such community answer), ErrNotAllowed, ErrClosed.
func (ix *Index) RemoveCommunity(ctx context.Context, id, by string, manager bool) (Doc, error) {
	d, err := ix.MayRemoveCommunity(ctx, id, by, manager)
	if err != nil {
		return Doc{}, err
	}
	return d, ix.Delete(ctx, id)
}

// MayRemoveCommunity checks what RemoveCommunity checks and returns the
// answer, without removing it (kb/kbstore removes it through the store).
// Errors: as RemoveCommunity.
func (ix *Index) MayRemoveCommunity(ctx context.Context, id, by string, manager bool) (Doc, error) {
	d, err := ix.Get(ctx, id)
	if err != nil {
		return Doc{}, err
	}
	if d.Kind != KindCommunity {
		return Doc{}, fmt.Errorf("%w: %q is not a community answer", ErrNotFound, id)
	}
	if !manager && (d.AuthorID == "" || !strings.EqualFold(d.AuthorID, strings.TrimSpace(by))) {
		return Doc{}, ErrNotAllowed
	}
	return d, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// foldText folds full-width forms to ASCII, strips accents and drops
// invisible format characters (word joiners, zero-width spaces): the Slack
// adapter keeps a typed "<@U1>" from becoming live with a word joiner
// after '<', and "@\u200beveryone" is still @everyone to a reader.
func foldText(s string) string {
	t := transform.Chain(width.Fold, norm.NFD, runes.Remove(runes.In(unicode.Mn)), runes.Remove(runes.In(unicode.Cf)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// Words of a request to send something, and of card data.
var (
	askVerbs = toSet(strings.Fields(`send dm dms pm message msg email e-mail mail text whatsapp telegram signal share
		give tell post paste forward provide read call type write reply respond answer include drop leave submit
		enter input need needs want require what whats` + " " + foreignSendVerbs))
	// verbs that by themselves mean "privately, to a person"
	privateVerbs = toSet(strings.Fields(`dm dms pm whatsapp telegram signal`))
	// a word between the verb and the data that makes it a request to the
	// reader for their own card ("send me your card number")
	recipientCue = toSet(strings.Fields(`me us your yours my our moi nous votre vos ton ta tes tu tus su sus mir mich uns dein deine deinen ihre ihren seu sua teu tua mi`))
	cardData     = toSet(strings.Fields(`pan cvv cvv2 cvc cvc2 cid pin pins expiry`))
	cardNext     = toSet(strings.Fields(`number numbers no num details data info verification`))
	privacy      = toSet(strings.Fields(`me us privately dm dms pm inbox direct whatsapp telegram moi mir`))
)

// foreignSendVerbs are "send", "give", "share" and "write" in French,
// Spanish, Portuguese, Italian, German and Dutch, without accents.
const foreignSendVerbs = `envoyer envoyez envoie envoies donne donnez donner partage partagez ecris ecrivez
	envia envie enviar enviame manda mandame mandar dame da comparte compartir escribe escribeme
	manda mandami invia inviami dammi condividi scrivi
	schick schicke schicken sende senden gib geben teile teilen schreib schreibe
	stuur geef deel`

var (
	// words that are card data by themselves (any language)
	cardDataWords = toSet(strings.Fields(`pan pans cvv cvv2 cvc cvc2 cid ccv csc cvn cvd pin pins expiry ccnum
		kartennummer kreditkartennummer kartnummer kaartnummer kortnummer creditcardnummer pruefnummer pruefziffer
		cryptogramme`))
	// "numero de carte", "numero de tarjeta", "numero della carta"
	cardForeign = toSet(strings.Fields(`carte carta tarjeta cartao karte kaart kreditkarte credito`))
	// numbers of digits that make a card number or a security code
	digitCounts = toSet(strings.Fields(`3 4 13 14 15 16 17 18 19 three four fifteen sixteen nineteen trois quatre seize
		tres cuatro dieciseis quatro dezesseis drei vier sechzehn tre quattro sedici`))
	digitWords = toSet(strings.Fields(`digit digits chiffres chiffre digitos digitos ziffern stellen cifre`))
	// words that may stand between "a photo of" and "card" when the
	// picture is of the card ("a photo of the front and back of your card")
	imageOfCard = toSet(strings.Fields(`the a your their his her my our customer's customers front back and both sides
		side of whole full physical credit debit payment bank`))
	// an image of a card shows its number
	imageWords = toSet(strings.Fields(`photo photos picture pictures pic pics image images screenshot screenshots
		scan scans copy copies snapshot foto fotos`))
	// words after "card" that make it something other than the card itself
	cardNounNext = toSet(strings.Fields(`decline declines declined error errors statement statements payment payments
		dashboard page form field fields network networks brand brands issuer type testing test terminal reader
		details data number numbers info settings list history transaction transactions`))
)

var (
	numberWords = toSet(strings.Fields(`number numbers no num nr nbr`))
	// words that may stand between "full" and the card's number
	fullCardWords = toSet(strings.Fields(`primary account acct credit debit long 13 14 15 16 17 18 19 sixteen fifteen
		nineteen digit digits card card's s customer customers cardholder cardholder's their your his her`))
	// a card named a test card is public ("the test card number 4242…")
	testCardWords = toSet(strings.Fields(`test testing sandbox dummy sample example fake`))
	// words between "the numbers" and "card": "the numbers on the front
	// of their card"
	onCardWords = toSet(strings.Fields(`on of the their your his her a customer customers customer's cardholder
		cardholders s front back face credit debit physical`))
	// verbs that use a number on a card as a phone number
	dialVerbs = toSet(strings.Fields(`call calls calling dial dials dialing ring phone`))
)

// numberOnCard reports whether the number (or code) at words[i] is one
// printed on a card: "the numbers on their card", "the number on the front
// of the card", "the code on the back". A single number on the back of a
// card, or one called or dialled, is the issuer's phone number ("call the
// number on the back of their card").
func numberOnCard(words []string, i int) bool {
	on, back := false, false
	for k := i + 1; k < len(words) && k <= i+6; k++ {
		switch n := words[k]; {
		case n == "card" || n == "cards":
			if !on || k+1 < len(words) && cardNounNext[words[k+1]] {
				return false
			}
			if words[i] == "numbers" {
				return true
			}
			if back {
				return false
			}
			for m := i - 1; m >= 0 && m >= i-4; m-- {
				if dialVerbs[words[m]] {
					return false
				}
			}
			return true
		case n == "on" || n == "of":
			on = true
		case n == "back":
			back = true
		case !onCardWords[n]:
			return false
		}
		if on && back && (words[i] == "code" || words[i] == "codes") {
			return true // "the code on the back": the CVV
		}
	}
	return false
}

// lastOrFirst reports whether the digits at words[i] are the last or the
// first few ("the last 4 digits", "last four digits", "les derniers
// chiffres"), which may be shared: the word before, or the one before a
// count.
func lastOrFirst(words []string, i int) bool {
	for k := i - 1; k >= 0 && k >= i-2; k-- {
		switch words[k] {
		case "last", "first", "ultimos", "derniers", "letzten", "ultimi", "primeros", "premiers", "ersten":
			return true
		}
		if !digitCounts[words[k]] {
			return false
		}
	}
	return false
}

// cardDataAt reports whether words[i] starts a name of card data: card
// number, full card, card details, CVV/CVC/CSC, PIN, expiry, security
// code, "the 16 digits", "the 3 digits on the back", "the long number", and
// their French, Spanish, Portuguese, Italian and German names. "The last 4
// digits" (and the first 6) may be shared, so they are not card data.
func cardDataAt(words []string, i int) bool {
	w := words[i]
	at := func(k int) string {
		if i+k < len(words) {
			return words[i+k]
		}
		return ""
	}
	if i > 0 && testCardWords[words[i-1]] {
		// "the test card number", "a sandbox PAN": test cards are public
		return false
	}
	switch {
	case cardData[w] || cardDataWords[w]:
		return true
	case (w == "card" || w == "card's" || w == "cc") && (cardNext[at(1)] || at(1) == "s" && cardNext[at(2)]):
		return true
	case w == "card" && (at(1) == "account" || at(1) == "acct") && numberWords[at(2)]:
		// "the card account number"
		return true
	case w == "primary" && at(1) == "account" && numberWords[at(2)]:
		// "the primary account number": the PAN spelt out
		return true
	case (w == "account" || w == "acct") && numberWords[at(1)] && (at(2) == "of" || at(2) == "on") &&
		(at(3) == "card" || at(4) == "card" || at(5) == "card"):
		// "the account number of the card"
		return true
	case w == "full":
		// "full card", "full PAN", "full number", "the full 16-digit card
		// number", "the full primary account number"
		for k := 1; k <= 4; k++ {
			n := at(k)
			if n == "card" || n == "pan" || n == "cc" || numberWords[n] && n != "no" || n == "details" {
				return true
			}
			if !fullCardWords[n] {
				return false
			}
		}
	case (numberWords[w] || w == "code" || w == "codes") && numberOnCard(words, i):
		return true
	case (w == "security" || w == "verification") && (at(1) == "code" || at(1) == "number"):
		return true
	case (w == "expiration" || w == "exp") && at(1) == "date", w == "long" && at(1) == "number":
		return true
	case w == "numero" || w == "num" || w == "nummer" || w == "code" || w == "codigo" || w == "codice":
		// numero de carte, codigo de seguridad, code de securite
		n := at(1)
		if n == "de" || n == "di" || n == "da" || n == "do" || n == "della" || n == "del" || n == "der" {
			n = at(2)
		}
		return cardForeign[n] || n == "securite" || n == "seguridad" || n == "sicurezza" || n == "seguranca"
	case digitCounts[w] && (digitWords[at(1)] || at(1) == "numbers" || at(1) == "figures"):
		// "the sixteen digits", "the 16 numbers"; not the digits of a test
		// card ("the sixteen-digit test card")
		return !lastOrFirst(words, i+1) && !testCardWords[at(2)]
	case imageWords[w] && (at(1) == "of" || at(1) == "showing"):
		// a photo, picture or screenshot of the card shows its number:
		// "send a photo of your card", "a picture of the front and back of
		// the card" (not "a screenshot of the card decline")
		// the picture is of the card itself when only words of which
		// card and which side stand before it ("of the error message
		// shown after the card was entered" is a picture of a message)
		for k := 2; k <= 8; k++ {
			n := at(k)
			if n == "card" || n == "cards" {
				return !cardNounNext[at(k+1)]
			}
			if !imageOfCard[n] {
				return false
			}
		}
	case digitWords[w] && !lastOrFirst(words, i):
		// "the digits on the back", "digits of the card"
		for k := 1; k <= 3; k++ {
			if n := at(k); n == "back" || n == "front" || n == "card" || n == "reverse" || n == "signature" || n == "strip" {
				return true
			}
		}
	}
	return false
}

// asksForCardData reports whether a lower-case text asks someone to send
// card data: within one sentence, a request verb (send, DM, email, tell…)
// followed within 10 words by card data (card number, full card, CVV,
// CVC, PIN, expiry, security code) with "me", "us" or "your" between them
// (or a verb such as DM that is private by itself); or card data followed
// within 8 words by "to me", "to us", "privately" or "in a DM". "Tell the
// customer to check the card number" is not such a request.
func asksForCardData(low string) bool {
	sentences := strings.FieldsFunc(low, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' })
	for _, sn := range sentences {
		words := strings.FieldsFunc(sn, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		verb, data, askTo := -1, -1, -1
		cue, negated := false, false
		for i, w := range words {
			negated = negated || negations[w]
			if w == "to" {
				// "ask the customer to …", "get them to …"
				for k := i - 1; k >= 0 && k >= i-5; k-- {
					if askers[words[k]] {
						askTo = i
						break
					}
				}
			}
			switch {
			case requestsData(words, i) || confirmVerbs[w]:
				// "request the PIN", "collect the long number", "ask the
				// customer for the CVV", "have them read out the code",
				// "confirm the full card number": asking for the data,
				// or having it said back, is the request, whoever is asked
				verb, cue = i, true
			case askVerbs[w]:
				// "send me …" waits for its cue; "tell you the numbers",
				// and "ask the customer to give the card number", hand it
				// over; a request just made still holds ("ask the
				// customer what the card number is")
				c := privateVerbs[w] || i+1 < len(words) && words[i+1] == "you" && youVerbs[w] ||
					askTo >= 0 && askTo == i-1 && handOverVerbs[w]
				if !cue || i-verb > 5 || c {
					verb, cue = i, c
				}
			case verb >= 0 && recipientCue[w]:
				cue = true
			}
			if cardDataAt(words, i) && !negated {
				if verb >= 0 && cue && i-verb <= 10 {
					return true
				}
				// the reader's own card named after the data: "what are
				// the digits on the front of your card?"
				if verb >= 0 && i-verb <= 10 {
					for k := i + 1; k < len(words) && k <= i+5; k++ {
						if words[k] == "your" || words[k] == "yours" {
							return true
						}
					}
				}
				data = i
			}
			if data >= 0 && i > data && i-data <= 8 && privacy[w] &&
				(w != "me" && w != "us" || words[i-1] == "to" || words[i-1] == "with") {
				return true
			}
		}
	}
	return false
}

var (
	// verbs that have card data said back: "confirm the full card number"
	confirmVerbs = toSet(strings.Fields(`confirm confirms confirming verify verifies verifying repeat repeats
		recite recites dictate dictates spell spells`))
	// verbs that ask someone to do what follows "to": "ask the customer
	// to …", "get them to …", "tell the cardholder to …"
	askers = toSet(strings.Fields(`ask asks asking tell tells get gets need needs want wants have has instruct
		invite encourage remind request require expect let`))
	// verbs that hand data over when someone is asked to do them ("ask
	// the customer to give the card number"); not enter, type or check,
	// which the customer does on the payment page
	handOverVerbs = toSet(strings.Fields(`tell give send share provide read say forward email mail text message
		msg dm pm post paste reply respond submit whatsapp`))
	// verbs of handing over to "you": "tell you the numbers"
	youVerbs = toSet(strings.Fields(`tell give send share read email text message msg dm pm forward provide`))
)

// requestsData reports whether words[i] asks for something to be handed
// over: request, collect, obtain, gather or note down; "ask" with a "for",
// "what" or "which" after it ("ask the customer for the CVV", not "ask the
// customer to check the card number"); "read" with "out", "back" or
// "aloud" after it.
func requestsData(words []string, i int) bool {
	w := words[i]
	switch w {
	case "request", "requests", "requesting", "collect", "collects", "collecting", "obtain", "obtains", "gather", "note", "jot":
		return w != "note" && w != "jot" || i+1 < len(words) && words[i+1] == "down"
	case "ask", "asks", "asking":
		// "ask the customer for …", "ask the customer what the card
		// number is"
		for k := i + 1; k < len(words) && k <= i+5; k++ {
			if words[k] == "for" || words[k] == "what" || words[k] == "which" {
				return true
			}
			if words[k] == "to" {
				return false
			}
		}
	case "read", "reads":
		// "read out the code", "read the card number out loud"
		for k := i + 1; k < len(words) && k <= i+6; k++ {
			if words[k] == "out" || words[k] == "back" || words[k] == "aloud" {
				return true
			}
		}
	}
	return false
}

// Words of moving card data somewhere, and of chat as a destination.
var (
	moveVerbs = toSet(strings.Fields(`send sends share shares paste pastes forward dm email upload attach post posts
		reply replies respond responds include includes drop drops leave leaves submit submits` + " " + foreignSendVerbs))
	negations    = toSet(strings.Fields(`never not don't dont no nobody without instead avoid rather ne pas jamais nunca nie niemals nicht kein keine mai`))
	chatPlaces   = toSet(strings.Fields(`thread chat channel here slack discord ticket`))
	placeLinkers = toSet(strings.Fields(`in into to on`))
	determiners  = toSet(strings.Fields(`the this that our a your their`))
	// what stands for card data named in the sentence before ("send it")
	pronounsOfData = toSet(strings.Fields(`it them these those over both`))
)

// movesCardData reports whether a lower-case text tells anyone to move card
// data (card number, full card, card details, CVV, PIN, expiry) by sending,
// sharing, posting or typing it, or to put it into the thread or the chat,
// unless the sentence says not to ("never paste the card number"). Whoever
// is asked, card data has no business in a ticket or a chat: PCI DSS keeps
// it out of every system that is not built to hold it.
func movesCardData(low string) bool {
	sentences := strings.FieldsFunc(low, func(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' })
	// named is whether the sentence before named card data without saying
	// not to: "what's your cvv? send it over" moves it across two
	// sentences.
	named := false
	for _, sn := range sentences {
		words := strings.FieldsFunc(sn, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '\'')
		})
		negated := false
		verb, data := -1, -1
		prevNamed := named
		named = false

		for i, w := range words {
			if negations[w] {
				negated = true
			}
			if moveVerbs[w] {
				verb = i
				if prevNamed && !negated && i+1 < len(words) && pronounsOfData[words[i+1]] {
					return true
				}
			}
			if cardDataAt(words, i) {
				data = i
				named = !negated
				if verb >= 0 && i-verb <= 10 && !negated {
					return true
				}
			}
			if data >= 0 && i > data && i-data <= 8 && chatPlaces[w] && !negated && (w == "here" || linkedPlace(words, i)) {
				return true
			}
		}
		// a sentence that says not to ("the full card number is never
		// needed") names no data for the next one to move
		named = named && !negated
	}
	return false
}

var (
	// verbs of getting card data from someone: "get the sixteen digits
	// from the customer", "take the card number over the phone"
	acquireVerbs = toSet(strings.Fields(`get grab take fetch obtain collect gather pull receive`))
	// verbs of handling card data yourself: writing it down, keeping it,
	// keying it in ("write down the card number", "key in the full PAN
	// yourself in the virtual terminal")
	handleVerbs = toSet(strings.Fields(`write note jot copy keep save store record log retain memorize memorise
		remember screenshot key type punch enter input put stash transcribe`))
	// words after card data that make it the name of a thing on a screen
	// ("type the test number in the card number field")
	cardUIWords = toSet(strings.Fields(`field fields form forms box boxes input inputs element elements iframe page
		pages reader readers screen`))
	// words after card data that make it the subject of what follows
	// ("note the card number is masked"), or keep it away ("keep the card
	// number out of chat")
	cardDataThen = toSet(strings.Fields(`is are was were must should will can may might has have gets does out away off
		never isn't aren't`))
	// words of a card's name that the data may run on with ("the card
	// number field")
	cardNameWords = toSet(strings.Fields(`card cards card's s cc number numbers no num pan cvv cvc expiry date
		security code details data info verification`))
	// words that end "don", "can" and "won" as "don't", "can't", "won't"
	negatedT = toSet(strings.Fields(`don can won shouldn mustn didn doesn isn aren wouldn couldn`))
)

// handlesCardData reports whether a lower-case text tells the reader to get
// card data from someone or to handle it themselves: an instruction (a verb
// that starts a clause, or follows "then", "just", "you"…) to get, take or
// collect it, or to write, note, copy, keep, save, record, key in, type in
// or put it somewhere, with the data as its object within 8 words ("Get the
// sixteen digits from the customer", "Write down the customer's card
// number", "key in the full PAN yourself"). Not: what someone is got to do
// ("get the customer to re-enter the card number"), the customer's own card
// ("enter your card details"), a field of a form ("type it in the card
// number field"), the data as the subject of a clause ("note the card
// number is masked") or kept away ("keep the card number out of chat"), or
// an instruction that says not to.
func handlesCardData(low string) bool {
	if strings.ContainsAny(low, "\"\u201c") {
		// a quoted message to the customer ("Please enter the new card
		// details and try again") has them enter their own card on the
		// payment page; a quoted instruction to the reader ("key in the
		// customer's PAN yourself") is still one
		low = reQuoted.ReplaceAllStringFunc(low, func(q string) string {
			if toTheCustomer(q) {
				return "."
			}
			return q
		})
	}
	clauses := strings.FieldsFunc(low, func(r rune) bool {
		return r == '.' || r == '!' || r == '?' || r == '\n' || r == ';' || r == ',' || r == ':' || r == '(' || r == ')' || r == '"'
	})
	for _, cl := range clauses {
		words := strings.FieldsFunc(cl, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		negated := false
		for v, w := range words {
			if negations[w] || w == "t" && v > 0 && negatedT[words[v-1]] {
				negated = true
			}
			if negated || !acquireVerbs[w] && !handleVerbs[w] {
				continue
			}
			if v > 0 && !imperativeLead[words[v-1]] && words[v-1] != "ll" || v > 0 && words[v-1] == "to" && toSomeoneElse(words, v-1) {
				// not the reader's instruction: "the customer keys in…",
				// "tell the customer to enter the card number on the
				// checkout page"
				continue
			}
			if v > 0 && andOr[words[v-1]] && toSomeoneElseBefore(words, v) {
				continue // "ask the customer to insert the card and enter the PIN"
			}
		object:
			for k := v + 1; k < len(words) && k <= v+8; k++ {
				switch n := words[k]; {
				case n == "to" || negations[n]:
					break object // "get the customer to re-enter the card number"
				case n == "your" || n == "yours":
					break object // the customer's own card: "enter your card details"
				case cardDataAt(words, k):
					if !dataNamesAThing(words, k) && !(words[k] == "pin" && enterVerbs[w]) {
						// the PIN is entered by its cardholder on a PIN pad
						return true
					}
					break object
				}
			}
		}
	}
	return false
}

var (
	reQuoted = regexp.MustCompile(`"[^"]*"|\x{201c}[^\x{201d}]*\x{201d}`)
	andOr    = toSet(strings.Fields(`and or then`))
	// verbs of entering: a PIN is entered by its cardholder
	enterVerbs = toSet(strings.Fields(`enter key type input punch`))
)

// toTheCustomer reports whether a quoted lower-case text is a message to
// the customer about their own card: it says "please", "you" or "your",
// and names nobody else's card, no terminal and no "yourself".
func toTheCustomer(q string) bool {
	ws := strings.FieldsFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	polite := false
	for _, w := range ws {
		switch w {
		case "please", "you", "your":
			polite = true
		case "yourself", "customer", "customers", "cardholder", "cardholders", "caller", "their", "his", "her",
			"terminal", "virtual", "moto":
			return false
		}
	}
	return polite
}

// toSomeoneElseBefore reports whether the verb at words[v], after "and" or
// "or", goes on with what someone else was asked to do before it ("ask the
// customer to insert the card and enter the PIN").
func toSomeoneElseBefore(words []string, v int) bool {
	for k := v - 1; k >= 0; k-- {
		if words[k] == "to" && toSomeoneElse(words, k) {
			return true
		}
	}
	return false
}

// whoElse are the people an instruction may be for, other than the reader.
var whoElse = toSet(strings.Fields(`customer customers cardholder cardholders them they shopper shoppers buyer buyers
	user users caller callers client clients him her payer payers merchant merchants`))

// toSomeoneElse reports whether the "to" at words[i] follows someone other
// than the reader ("tell the customer to", "get them to"), not "you need
// to" or "remember to".
func toSomeoneElse(words []string, i int) bool {
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		if whoElse[words[k]] {
			return true
		}
	}
	return false
}

// dataNamesAThing reports whether the card data named at words[i] is the
// name of a field or a page, the subject of what follows, or kept away:
// "the card number field", "the card number is masked", "the PAN out of
// the logs".
func dataNamesAThing(words []string, i int) bool {
	for k := i + 1; k < len(words) && k <= i+4; k++ {
		switch n := words[k]; {
		case cardUIWords[n] || cardDataThen[n]:
			return true
		case !cardNameWords[n]:
			return false
		}
	}
	return false
}

// linkedPlace reports whether the chat place words[i] is a destination: a
// linker (in, into, to, on) before it, with up to two words between ("in
// the thread", "into the support chat").
func linkedPlace(words []string, i int) bool {
	for k := i - 1; k >= 0 && k >= i-3; k-- {
		if placeLinkers[words[k]] {
			return true
		}
	}
	return false
}

var (
	contactVerbs = toSet(strings.Fields(`contact ping call dm pm message msg text email mail reach write drop hit
		whatsapp telegram signal ring phone buzz touch`))
	// a person: "them" is left out, since in advice it is the issuer or
	// the customer ("call them and ask for the authorization code")
	persons = toSet(strings.Fields(`me him her`))
	// words that may stand between a contact verb and the person: "write
	// to me", "drop me a line", "reach out to me", "get in touch with me"
	contactFillers = toSet(strings.Fields(`to out with a an up`))
)

// asksToContact reports whether a lower-case text asks the reader to
// contact a person ("contact me", "ping him", "reach this person", "write
// to me", "reach out to me", "get in touch with me", "whatsapp me"), or
// someone by name in private ("ping ana on slack", "contact ana directly",
// "ask bob privately"): a name is a word that is not a role, a company or a
// team (contactRoles), followed by a private channel (privateWays).
func asksToContact(low string) bool {
	words := strings.FieldsFunc(low, func(r rune) bool { return !(r >= 'a' && r <= 'z') })
	for i := 0; i+1 < len(words); i++ {
		if !contactVerbs[words[i]] && !nameVerbs[words[i]] {
			continue
		}
		for j := i + 1; j < len(words) && j <= i+3; j++ {
			if contactVerbs[words[i]] && (persons[words[j]] || (words[j] == "this" && j+1 < len(words) && words[j+1] == "person")) {
				return true
			}
			// "ask her", "talk to him"
			if nameVerbs[words[i]] && persons[words[j]] {
				return true
			}
			// "dm ana", "whatsapp bob": private by the verb alone
			if j == i+1 && privateVerbs[words[i]] && words[i] != "signal" && !contactRoles[words[j]] && !persons[words[j]] && !contactFillers[words[j]] && !notNames[words[j]] {
				return true
			}
			if !contactFillers[words[j]] {
				if j+1 < len(words) && !contactRoles[words[j]] && !persons[words[j]] && privateWay(words[j+1:]) {
					return true
				}
				break
			}
		}
	}
	return false
}

var (
	// verbs that ask someone by name ("ask ana on slack", "talk to bob
	// directly"), besides contactVerbs
	nameVerbs = toSet(strings.Fields(`ask talk speak tag`))
	// words after a private verb that are not a person ("dm details",
	// "whatsapp business")
	notNames = toSet(strings.Fields(`business api group groups channel channels chat message messages link links number
		details detail info it back them us me him her you all`))
	// who an answer may rightly send people to: roles, companies, teams
	contactRoles = toSet(strings.Fields(`the a an your our their this that its support issuer issuers bank banks
		customer customers cardholder cardholders merchant merchants buyer shopper provider providers gateway acquirer
		processor psp team teams account manager managers desk oncall on call security fraud risk engineering
		finance ops operations stripe adyen paypal braintree checkout square worldpay klarna visa mastercard amex
		them us it developer developers someone anyone everyone lead owner admin admins help helpdesk network`))
)

// namesAPerson reports whether text sends the reader to a person named
// with capitals ("Ask our colleague Tom Becker", "Talk to Mr. Patel",
// "Just call Priya, she knows", "Ask Dave in accounts", "Contact Sarah
// Chen at extension 4412", "Ping John Smith on Slack"): a contact verb,
// then a capitalised name that is not a role or a company, with a sign
// that it is a person: a title or "colleague" before it, or after it a
// private way (privateWay), a pronoun (he, she), an extension, or a team
// it sits in ("in accounts"). "Contact Stripe support directly" and
// "Contact American Express" name companies.
func namesAPerson(text string) bool {
	toks := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	low := make([]string, len(toks))
	for i, t := range toks {
		low[i] = strings.ToLower(t)
	}
	for i := range toks {
		if !contactVerbs[low[i]] && !nameVerbs[low[i]] {
			continue
		}
		j, titled := i+1, false
		for ; j < len(toks) && j <= i+4 && (contactFillers[low[j]] || personIntro[low[j]]); j++ {
			titled = titled || personIntro[low[j]] && low[j] != "our" && low[j] != "my"
		}
		k := j
		for k < len(toks) && k < j+3 && nameShaped(toks[k]) && !contactRoles[low[k]] && !companyWords[low[k]] {
			k++
		}
		if k == j {
			continue
		}
		if titled || privateWay(low[k:]) {
			return true
		}
		for m := k; m < len(low) && m < k+8; m++ {
			if personCues[low[m]] || (low[m] == "in" || low[m] == "from") && m+1 < len(low) && teamWords[low[m+1]] {
				return true
			}
		}
	}
	return false
}

// nameShaped reports whether a word is written as a name: a capital, then
// at least one lower-case letter and no other capital ("Priya", not "ATM").
func nameShaped(w string) bool {
	rs := []rune(w)
	if len(rs) < 2 || !unicode.IsUpper(rs[0]) {
		return false
	}
	for _, r := range rs[1:] {
		if !unicode.IsLower(r) {
			return false
		}
	}
	return true
}

var (
	// words before a name: a title, or who the person is to the writer
	personIntro = toSet(strings.Fields(`our my colleague colleagues coworker co worker teammate friend mr mrs ms miss dr`))
	// words after a name that make it a person
	personCues = toSet(strings.Fields(`he she him her his extension ext`))
	// teams a person sits in ("Dave in accounts")
	teamWords = toSet(strings.Fields(`accounts accounting finance billing ops operations engineering support risk sales
		legal it security compliance payments treasury`))
	// companies people are rightly sent to (besides contactRoles)
	companyWords = toSet(strings.Fields(`american express wells fargo capital one chase citi citibank barclays hsbc
		santander revolut monzo wise discover jcb unionpay apple google amazon shopify mollie razorpay authorize net
		global payments first data fiserv elavon nuvei rapyd ebanx dlocal payoneer bank of america worldline nexi
		ingenico cybersource paysafe bluesnap paymentech tsys heartland moneris paystack flutterwave mercado pago
		pagseguro alipay wechat paytm cashfree gocardless plaid dwolla marqeta airwallex payu ccbill opayo sagepay
		trustly sofort ideal bancontact twint swish vipps mobilepay blik pix upi sepa nacha fedwire swift venmo zelle
		affirm afterpay sezzle zip recurly chargebee zuora paddle fastspring chase amex mastercard maestro diners
		unionpay cielo stone getnet redsys computop payone unzer concardis evo worldpay vantiv tabby tamara checkout
		schwab fidelity vanguard morgan stanley`))
)

// privateWay reports whether words begin with a private way of reaching a
// person: directly, privately, personally, at home, on their own phone, or
// on/via/in a chat or phone app (on slack, via whatsapp, in a dm).
func privateWay(words []string) bool {
	if len(words) == 0 {
		return false
	}
	// on her phone, on his cell
	if len(words) > 2 && words[0] == "on" && (words[1] == "her" || words[1] == "his" || words[1] == "their" || words[1] == "my") {
		switch words[2] {
		case "phone", "cell", "mobile", "number", "whatsapp", "slack", "discord":
			return true
		}
	}
	switch words[0] {
	case "directly", "privately", "personally", "offline":
		return true
	case "at":
		return len(words) > 1 && words[1] == "home"
	case "on", "via", "in", "over", "by":
		if len(words) > 1 {
			switch words[1] {
			case "slack", "discord", "teams", "whatsapp", "telegram", "signal", "dm", "dms", "pm", "phone", "sms", "wechat", "skype":
				return true
			}
		}
	}
	return false
}

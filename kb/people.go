package kb

import (
	"strings"
	"unicode"
)

// People named without a title or a mention.
//
// namesAPerson (community.go) catches a name with a sign that it is a
// person (a title, "she", "on slack", "in accounts"). An answer that sends
// readers to someone by first name alone ("Ask Ana.", "ping bob", "speak
// with Carlos", "Give Sarah a call", "John Smith knows how to fix this")
// points them at one person just as much; these rules catch that shape
// while letting the roles, teams, companies and API calls that answers
// rightly name through ("Contact Stripe support", "ask the issuer", "call
// capture after shipping", "email receipts to customers").

// clauseWord is a word of an answer and whether a clause ends after it
// (a full stop, a comma, a semicolon, a question or exclamation mark, a
// line end or the end of the text).
type clauseWord struct {
	text, low string
	end       bool
	stop      bool // a sentence ends after it (not a comma or a colon)
}

func clauseWords(text string) []clauseWord {
	var out []clauseWord
	start := -1
	flush := func(i int) {
		if start >= 0 {
			w := text[start:i]
			out = append(out, clauseWord{text: w, low: strings.ToLower(w)})
			start = -1
		}
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		switch r {
		case '.', ',', ';', ':', '!', '?', '\n', '(', ')', '"':
			if n := len(out); n > 0 {
				out[n-1].end = true
				out[n-1].stop = out[n-1].stop || r != ',' && r != ':'
			}
		}
	}
	flush(len(text))
	if n := len(out); n > 0 {
		out[n-1].end, out[n-1].stop = true, true
	}
	return out
}

var (
	// verbs that send the reader to whoever is named next
	toSomeoneVerbs = toSet(strings.Fields(`ask ping dm pm message msg email mail text call phone ring contact reach
		talk speak tag check consult loop cc`))
	// words between such a verb and the one it names: "reach out to",
	// "talk to", "speak with", "check with", "loop in"
	toSomeoneFillers = toSet(strings.Fields(`out to with in up`))
	// what may follow a person's name and still be about that person
	// ("ask ana about it", "ping bob for help", "email ana and wait")
	afterName = toSet(strings.Fields(`about for on at re regarding and or if who she he they before after when so
		whether from in asap now today first`))
	// lower-case words that such verbs take that are not people: the
	// things one emails or calls (receipts, the capture call) and adverbs
	notPeople = toSet(strings.Fields(`around again later back first now today tomorrow soon instead anyway quickly
		later questions receipts receipt invoices invoice reports report logs log details updates update alerts alert
		notifications reminders statements confirmations confirmation permission approval help advice
		capture refund refunds void cancel confirm authorize authorise retrieve list create delete charge charges
		payment payments payout payouts webhook webhooks endpoint endpoints api apis sdk server servers service
		services status health url urls host hosts dns gateway ahead everyone anyone someone somebody nobody
		yourself ourselves themselves people whoever everybody customer customers cardholder cardholders home
		internally externally out in up off over legal compliance domain domains address addresses age digest
		digests thread threads template templates body subject link links number numbers field fields`))
	// what the "give … a call" shape gives
	giveWhat = toSet(strings.Fields(`call ring shout ping buzz message email text heads`))
	// verbs after a name that make it someone who helps
	personVerbs = toSet(strings.Fields(`knows know can will handles handled owns owned fixed fixes sorted sorts
		helped helps has had is was`))
)

// namesSomeone reports whether text sends the reader to a person by name
// alone (see above).
func namesSomeone(text string) bool {
	ws := clauseWords(text)
	isName := func(i int) bool {
		return i < len(ws) && nameShaped(ws[i].text) && !contactRoles[ws[i].low] && !companyWords[ws[i].low] &&
			!teamWords[ws[i].low] && !toSomeoneVerbs[ws[i].low] && !notPeople[ws[i].low] && !weekdayOrMonth[ws[i].low] && !pronouns[ws[i].low]
	}
	// nameRun is the end of a run of up to three names starting at i.
	nameRun := func(i int) int {
		k := i
		for k < len(ws) && k < i+3 && isName(k) {
			if ws[k].end {
				return k + 1
			}
			k++
		}
		return k
	}
	for i := 0; i < len(ws); i++ {
		w := ws[i]
		// "Give Sarah a call", "give ana a ring"
		if w.low == "give" && i+3 < len(ws) {
			if k := nameRun(i + 1); k > i+1 && k+1 < len(ws) && ws[k].low == "a" && giveWhat[ws[k+1].low] {
				return true
			}
			if j := i + 1; !w.end && !isRoleWord(ws[j].low) && !notPeople[ws[j].low] && ws[j+1].low == "a" && giveWhat[ws[j+2].low] {
				return true
			}
		}
		// "John Smith knows how to fix this", "Priya can help"
		if k := nameRun(i); k > i && k < len(ws) && !ws[k-1].end && personVerbs[ws[k].low] &&
			(i == 0 || ws[i-1].end || !nameShaped(ws[i-1].text)) && !(i == 0 && k == i+1 && ws[k].low != "knows" && ws[k].low != "can") {
			// a lone capitalised first word ("Retry is safe") is not a
			// name unless a helping verb follows it
			if ws[k].low == "knows" || ws[k].low == "can" || ws[k].low == "will" || ws[k].low == "owns" ||
				ws[k].low == "handles" || k > i+1 {
				return true
			}
		}
		if !toSomeoneVerbs[w.low] || w.end || (i > 0 && !ws[i-1].end && !imperativeLead[ws[i-1].low]) {
			// not the verb of an instruction: "the decline message
			// shown", "an email arrives"
			continue
		}
		j := i + 1
		for j < len(ws) && j < i+3 && toSomeoneFillers[ws[j].low] && !ws[j].end {
			j++
		}
		if j >= len(ws) || (j > i+1 && ws[j-1].end) {
			continue
		}
		// a capitalised name that no role word follows: "Ask Ana.",
		// "Ping Bob on the bridge", "speak with Carlos"; "Contact Nexi
		// support" and "Ask Stripe's team" name a company's desk
		if k := nameRun(j); k > j {
			if ws[k-1].end || k >= len(ws) {
				return true
			}
			next := ws[k].low
			if next == "s" && k+1 < len(ws) { // possessive: "Stripe's team"
				next = ws[k+1].low
			}
			// a desk's word, not a company's ("first", of First Data,
			// would pass "Talk to Mateo first")
			if !contactRoles[next] && !teamWords[next] && !roleNouns[next] {
				return true
			}
			continue
		}
		// a lower-case word that is not a role, a thing or a pronoun,
		// ending the clause or followed by what is said to a person:
		// "ask ana", "reach out to bob about it", "message ana for help"
		c := ws[j]
		if i > 0 && !ws[i-1].stop && !imperativeLead[ws[i-1].low] {
			continue // "signals: email age, IP country", a list of things
		}
		if len(c.low) < 2 || !isLetters(c.low) || isRoleWord(c.low) || notPeople[c.low] || persons[c.low] ||
			notNames[c.low] || contactFillers[c.low] || personIntro[c.low] || weekdayOrMonth[c.low] {
			continue
		}
		if c.end || (j+1 < len(ws) && afterName[ws[j+1].low]) {
			return true
		}
	}
	return false
}

// isRoleWord reports whether a lower-case word names a role, a team or a
// company that answers may send readers to.
func isRoleWord(w string) bool {
	return contactRoles[w] || teamWords[w] || companyWords[w] || roleNouns[w]
}

var (
	// more nouns for a desk or a function, besides contactRoles
	roleNouns = toSet(strings.Fields(`desk helpdesk hotline line center centre department dept partner partners
		rep reps representative representatives agent agents specialist specialists contact contacts office
		underwriting underwriter underwriters chargebacks disputes billing treasury settlement reconciliation
		product products platform services service vendor vendors partner dashboard portal documentation docs`))
	// words before a verb that still make it an instruction ("then ask
	// ana", "please ping bob", "you should email ana")
	imperativeLead = toSet(strings.Fields(`then and please pls plz just to should can could must will you first also
		simply quickly we i always so instead otherwise else best better try maybe`))
	pronouns = toSet(strings.Fields(`i you we they it he she this that these those there here who what which
		everyone someone anyone nobody each both all most some many one none`))
	weekdayOrMonth = toSet(strings.Fields(`monday tuesday wednesday thursday friday saturday sunday january february
		march april may june july august september october november december`))
)

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

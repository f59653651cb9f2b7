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
// points them at one person just as much; so do a chat app used as a verb
// ("slack ana"), a handle without its '@' ("ask j.smith"), a case handed on
// to someone ("Escalate to Ana from Payments Ops"), a job followed by a
// name ("the on-call engineer Ana"), and a known first name with a surname
// anywhere ("see John Smith", "Ana Gomez"). These rules catch those shapes
// while letting the roles, teams, companies, products, documents and API
// calls that answers rightly name through ("Contact Stripe support", "ask
// the issuer", "Escalate to the on-call", "See Radar Rules", "call capture
// after shipping", "email receipts to customers"). A known first name is
// one of givenNames (names.go).

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
		talk speak tag check consult loop cc slack discord teams page nudge poke chase notify inform assign`))
	// verbs that name a person only by a known first name or a handle:
	// "see John Smith", "mention ana in #payments" (not "See Radar Rules")
	weakToSomeoneVerbs = toSet(strings.Fields(`see mention`))
	// verbs that send a case on "to" someone: "escalate to Ana", "hand it
	// over to Priya", "forward the ticket to bob"
	sendOnVerbs = toSet(strings.Fields(`escalate hand handover defer forward pass transfer assign reassign route send`))
	// of those, the ones whose "to" is a person or a team, never a system:
	// a capitalised name after them is a person ("Escalate to Kwame from
	// Payments Ops"), not a product ("pass the token to Elements"); so is
	// one right after "forward to", "send to"
	toPersonVerbs = toSet(strings.Fields(`escalate hand handover defer assign reassign`))
	// nouns of a job, after which a name is that person's: "the on-call
	// engineer Ana", "our account manager Tom"
	jobNouns = toSet(strings.Fields(`engineer engineers manager managers lead leads analyst analysts colleague
		coworker teammate rep representative agent specialist person guy contact owner admin developer dev sre boss
		supervisor director head officer expert champion buddy approver reviewer`))
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
		return i < len(ws) && nameShaped(ws[i].text) && !isRoleWord(ws[i].low) && !toSomeoneVerbs[ws[i].low] &&
			!notPeople[ws[i].low] && !weekdayOrMonth[ws[i].low] && !pronouns[ws[i].low] && !productWords[ws[i].low]
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
	if len(ws) == 1 && isGivenName(ws[0].text) || len(ws) > 1 && isGivenName(ws[0].text) && nameShaped(ws[0].text) && nameRun(0) == len(ws) {
		return true // "Ana.", "ana", "Ana Gomez": a name is the whole answer
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
		// "Ana Gomez", "Talk to Priya Sharma": a known first name and a
		// surname name a person wherever they stand
		if isGivenName(w.text) && nameShaped(w.text) && !w.end && i+1 < len(ws) && isName(i+1) &&
			!notSurname[ws[i+1].low] && (ws[i+1].end || i+2 >= len(ws) || !isRoleWord(ws[i+2].low)) {
			// (not "Charles Schwab support": a company's desk)
			return true
		}
		// "Ana from payments ops can help", "bob in finance knows"
		if isGivenName(w.text) && !w.end && i+2 < len(ws) && (ws[i+1].low == "from" || ws[i+1].low == "in" || ws[i+1].low == "at") &&
			(teamWords[ws[i+2].low] || determiners[ws[i+2].low] && i+3 < len(ws) && teamWords[ws[i+3].low]) {
			return true
		}
		if !toSomeoneVerbs[w.low] && !weakToSomeoneVerbs[w.low] && !sendOnVerbs[w.low] || w.end ||
			(i > 0 && !ws[i-1].end && !imperativeLead[ws[i-1].low]) {
			// not the verb of an instruction: "the decline message
			// shown", "an email arrives"
			continue
		}
		j := i + 1
		if sendOnVerbs[w.low] {
			// "escalate to", "hand it over to", "forward the ticket to":
			// whoever comes after "to"
			j = -1
			for k := i + 1; k < len(ws) && k <= i+5; k++ {
				if ws[k].low == "to" && !ws[k].end {
					j = k + 1
					break
				}
				if ws[k].end {
					break
				}
			}
			if j < 0 || j >= len(ws) {
				continue
			}
			if isGivenName(ws[j].text) && !(j+1 < len(ws) && !ws[j].end && isRoleWord(ws[j+1].low)) || roleThenName(ws, j, isName) {
				return true
			}
			if !toPersonVerbs[w.low] && j != i+2 {
				// "pass the token to Elements", "send it to ops"; but
				// "forward to Ngozi" sends the case itself
				continue
			}
			if k := nameRun(j); k > j && (ws[k-1].end || k >= len(ws) || !isRoleWord(ws[k].low) && ws[k].low != "s") {
				return true // "Escalate to Kwame from Payments Ops"
			}
			continue
		}
		for j < len(ws) && j < i+3 && toSomeoneFillers[ws[j].low] && !ws[j].end {
			j++
		}
		if j >= len(ws) || (j > i+1 && ws[j-1].end) {
			continue
		}
		// a known first name, in any case: "see John Smith", "mention ana
		// in #payments", "slack ana"
		if isGivenName(ws[j].text) && !(j+1 < len(ws) && !ws[j].end && isRoleWord(ws[j+1].low)) {
			return true
		}
		// a job, then a name: "Ask the on-call engineer Ana"
		if roleThenName(ws, j, isName) {
			return true
		}
		if weakToSomeoneVerbs[w.low] {
			continue // "See Radar Rules", "mention the order ID"
		}
		// a capitalised name that no role word follows: "Ask Ana.",
		// "Ping Bob on the bridge", "speak with Carlos"; "Contact Nexi
		// support" and "Ask Stripe's team" name a company's desk
		if k := nameRun(j); k > j {
			if ws[k-1].end || k >= len(ws) {
				return true
			}
			n := k
			if ws[n].low == "s" && n+1 < len(ws) { // possessive: "Stripe's team"
				n++
			}
			// a desk's word, or a company's written as a name ("Contact
			// Charles Schwab support"); not "first", of First Data, in
			// "Talk to Mateo first"
			next := ws[n].low
			if !contactRoles[next] && !teamWords[next] && !roleNouns[next] && !(companyWords[next] && nameShaped(ws[n].text)) {
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

// roleThenName reports whether ws[j:] is a job and then a name: determiners
// and role words with a job noun among them, then a capitalised name that
// is a known first name or ends the clause ("the on-call engineer Ana",
// "our account manager, Tom."). isName tells a name from a role.
func roleThenName(ws []clauseWord, j int, isName func(int) bool) bool {
	job := false
	for k := j; k < len(ws) && k < j+6; k++ {
		if k > j && job && isName(k) {
			return isGivenName(ws[k].text) || ws[k].end ||
				k+1 < len(ws) && (afterName[ws[k+1].low] || personCues[ws[k+1].low] || personVerbs[ws[k+1].low])
		}
		if ws[k].stop {
			return false
		}
		switch lw := ws[k].low; {
		case jobNouns[lw]:
			job = true
		case !isRoleWord(lw) && !determiners[lw] && lw != "on" && lw != "call" && lw != "duty":
			return false
		}
	}
	return false
}

// productWords are capitalised words of chat and payment products that
// follow a verb without being a person: "Slack Connect channels", "Teams
// Workflows".
var productWords = toSet(strings.Fields(`connect workflow workflows huddle huddles app apps bot bots integration
	integrations canvas canvases lists`))

// notSurname are capitalised words that may follow a first name without
// being a surname: a product's or a place's words ("Santa Clara" has no
// first name, but "Julia Set", "Ana Support" are no people either).
var notSurname = toSet(strings.Fields(`support team ops desk pay app set city street st rd avenue ave road`))

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
		product products platform services service vendor vendors partner dashboard portal documentation docs
		acquirers processors gateways networks schemes stakeholders management leadership sre devops infra
		infrastructure noc soc hr cto cfo ceo coo cio ciso supervisor supervisors tier level incident command
		commander escalation escalations trust safety success sales marketing qa engineer engineers analyst
		analysts duty rota pager rotation manager lead leads owners approver approvers`))
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

var (
	// the last part of a dotted word that makes it a domain or a file
	// ("checkout.com", "report.csv"), not a handle
	domainEnds = toSet(strings.Fields(`com net org io co uk de fr es it nl eu us ca au in br mx jp ch at be se no dk
		fi pl pt ie app dev ai me info biz tech cloud pay money bank local internal corp json csv yaml yml md txt
		log go py js ts html pdf zip xml sql sh png jpg`))
	// verbs after which a #channel makes the word before it a person:
	// "mention ana in #payments"
	mentionVerbs = toSet(strings.Fields(`mention tag cc notify`))
)

// reachesHandle reports whether text sends the reader to a chat or email
// handle without its "@": a dotted or underscored name after a verb of
// reaching someone ("ping ana.gomez", "ask j.smith", "email ana_gomez"),
// or a name that a verb of mentioning puts in a #channel ("Mention Kofi in
// #payments"). Domains ("ask checkout.com"), file names and API calls
// ("call refunds.create()") are not handles.
func reachesHandle(text string) bool {
	toks := strings.Fields(text)
	start := true
	for i := 0; i < len(toks); i++ {
		t := strings.Trim(toks[i], "\"'`*~[]{}<>")
		core := strings.TrimRight(t, ".,;:!?)")
		low := strings.ToLower(core)
		atStart := start
		start = core != t && strings.ContainsAny(t[len(core):], ".;:!?")
		if core != t || !atStart && !imperativeLead[prevWord(toks, i)] {
			continue
		}
		if !toSomeoneVerbs[low] && !weakToSomeoneVerbs[low] && !sendOnVerbs[low] {
			continue
		}
		j := i + 1
		if sendOnVerbs[low] {
			// "escalate to", "hand it over to": whoever comes after "to"
			to := -1
			for k := i + 1; k < len(toks) && k <= i+5; k++ {
				if f := strings.ToLower(toks[k]); f == "to" {
					to = k
					break
				} else if strings.ContainsAny(f, ",;:!?") {
					break
				}
			}
			if to < 0 {
				continue
			}
			j = to + 1
		} else {
			for j < len(toks) && j <= i+3 && toSomeoneFillers[strings.ToLower(toks[j])] {
				j++
			}
		}
		if j >= len(toks) {
			continue
		}
		target := strings.TrimLeft(strings.Trim(toks[j], "\"'`*~[]{}<>"), "(")
		if strings.Contains(target, "(") {
			continue // an API call: "call refunds.create()"
		}
		if isHandle(strings.TrimRight(target, ".,;:!?)")) {
			return true
		}
		if mentionVerbs[low] && j+2 < len(toks) && (toks[j+1] == "in" || toks[j+1] == "on" || toks[j+1] == "to") &&
			strings.HasPrefix(toks[j+2], "#") && len(toks[j+2]) > 1 {
			name := strings.TrimRight(target, ".,;:!?)")
			if nameShaped(name) && !isRoleWord(strings.ToLower(name)) && !companyWords[strings.ToLower(name)] || isGivenName(name) {
				return true
			}
		}
	}
	return false
}

// prevWord is the word before toks[i], in lower case without punctuation.
func prevWord(toks []string, i int) string {
	if i == 0 {
		return ""
	}
	return strings.ToLower(strings.Trim(toks[i-1], "\"'`*~[]{}<>.,;:!?()"))
}

// isHandle reports whether s is a user name with dots or underscores:
// "ana.gomez", "j.smith", "Ana_Gomez"; not a domain ("checkout.com"), a
// file ("report.csv"), an abbreviation ("e.g") or a word of payments or a
// team ("finance.ops", "charge.refunded").
func isHandle(s string) bool {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '_' })
	if len(parts) < 2 || len(parts) > 3 || strings.Trim(s, "._") != s || strings.Contains(s, "..") {
		return false
	}
	for i, p := range parts {
		lp := strings.ToLower(p)
		if !isLetters(p) || p != lp && !nameShaped(p) && len(p) > 1 || isRoleWord(lp) || notPeople[lp] ||
			persons[lp] || pronouns[lp] || determiners[lp] {
			return false
		}
		if i == len(parts)-1 && (len(p) < 2 || domainEnds[lp]) {
			return false
		}
	}
	return true
}

// placeBefore are words before a first name that make it a place: "San
// Francisco", "São Paulo", "St. Louis".
var placeBefore = toSet(strings.Fields(`san santa sao st saint los las port fort lake mount mt`))

// namesAnyone reports whether text names a person at all, the rule for a
// learned question, which is shown to everyone as the answer's title: a
// known first name written as a name ("can Bob approve it?", "Ana said to
// retry"), or in lower case followed by what a person does or where they
// sit ("can bob approve it", "bob in finance"), or any full name (see
// namesSomeone). Places named after people ("San Francisco") are not
// people.
func namesAnyone(text string) bool {
	ws := clauseWords(text)
	for i, w := range ws {
		if !isGivenName(w.text) || i > 0 && placeBefore[ws[i-1].low] && (!ws[i-1].stop || ws[i-1].low == "st" || ws[i-1].low == "mt") {
			continue
		}
		if nameShaped(w.text) {
			return true
		}
		if i+1 < len(ws) && !w.end {
			n := ws[i+1].low
			if personVerbs[n] || personDoes[n] || n == "s" ||
				(n == "in" || n == "from" || n == "on") && i+2 < len(ws) && teamWords[ws[i+2].low] {
				return true
			}
		}
	}
	return false
}

// personDoes are verbs that only a person does, after a first name in
// lower case: "bob approves refunds", "ana said to retry".
var personDoes = toSet(strings.Fields(`approve approves approved said says told tells thinks asked wrote signs signed
	decides decided knows owns manages runs`))

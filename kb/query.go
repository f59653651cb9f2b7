package kb

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/english"
	"github.com/paybot/paybot/incidents/paycode"
)

// Query understanding: turns a chat question into a plan of weighted terms.
//
//   - Chatty phrasing and stop words are dropped ("hey why is my ...").
//   - Codes are recognised whatever their spelling (see canonCode) and looked
//     up in the codes field with a strong boost; a code system named in the
//     question ("DE39", "action code", "transStatusReason", "ACH", "square")
//     adds a stronger boost for that system's record.
//   - Phrases are joined into code candidates ("do not honor" ->
//     do_not_honor), and SCREAMING_SNAKE codes are split into words, so both
//     spellings meet.
//   - Payment synonyms are expanded (3DS / 3-D Secure / SCA, NSF /
//     insufficient funds, chargeback / dispute, ACH / eCheck, webhook / IPN /
//     callback, ...), with a lower weight than the words typed.
//   - Words of 5+ letters unknown to the index get one-typo correction
//     (insert, delete, substitute or swap two neighbours) towards the most
//     frequent indexed term.

const maxQueryTokens = 48

type codeTerm struct {
	term   string
	boost  float64 // query-time boost on the codes field
	bonus  float64 // re-ranking bonus for a document holding this code
	strong bool    // counts as a code match for the confidence decision
}

type queryPlan struct {
	words   []string // content words typed (lower case, typo-corrected)
	extra   []string // original spellings of corrected words
	syn     []string // synonym expansion words
	codes   []codeTerm
	systems []string
	// named are the systems the question names outright ("ACH", "DE39",
	// "square"); documents of those systems get a small re-ranking bonus.
	named    map[string]bool
	families map[string]bool // systemFamily of every named system
	// content is the list of units that the confidence decision measures
	content []contentUnit
	// action: the question asks what to do (passage.go's questionIntent)
	action bool
}

type contentUnit struct {
	word  string // lower-case word as typed or corrected
	stem  string
	code  string // canonical code when the unit is an explicit code
	fixed bool   // typo-corrected
	weak  bool   // a bare number without a code context
	// alts are synonym phrases (as stems) that also count as a match
	alts [][]string
}

// termStats is what query analysis needs from the index.
type termStats interface {
	// known reports whether the stemmed term occurs in the text fields.
	known(stem string) bool
	// df returns the document frequency of a stemmed term in the text fields.
	df(stem string) int
	// knownCode reports whether a canonical code is in the codes field.
	knownCode(code string) bool
	// candidate returns the document frequency of a stemmed term for typo
	// correction (0: unknown); it may answer from a slightly stale vocabulary.
	candidate(stem string) int
}

var stopWords = toSet(strings.Fields(`
a about above after again against all also am an and any anyone anything are aren't as at
be because been before being below between both but by can can't cannot could couldn't
did didn't do does doesn't doing don't down during each few for from further get gets getting got
had hadn't has hasn't have haven't having he her here hers herself him himself his how how's
i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't my myself
no nor not now of off on once only or other ought our ours ourselves out over own same shan't she
should shouldn't so some such than that that's the their theirs them themselves then there there's
these they they'd they'll they're they've this those through to too under until up very was wasn't
we we'd we'll we're we've were weren't what what's when when's where where's which while who who's
whom why why's will with won't would wouldn't you you'd you'll you're you've your yours yourself
hey hi hello hiya yo folks guys team everyone anybody somebody someone please pls plz thanks thank
thx cheers ok okay ya yeah yes hmm um uh lol
mean means meaning meant say says said saying tell telling told know knows known idea ideas
help helping wondering wonder question questions quick anyone seeing see seen saw keep keeps kept
happen happens happening happened going go goes gone come comes came coming look looks looking
like need needs needed want wants wanted try trying tried get gets think thought guess maybe
really actually just still even already lot lots thing things stuff way something anything
today yesterday tomorrow now currently recently right also again sure kind sort
bot paybot us im ive id dont doesnt didnt cant wont isnt whats hows
one two
`))

func toSet(ws []string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// synonymGroups: each group lists phrases (lower case, words separated by
// spaces) that mean the same thing to a payments person.
var synonymGroups = [][]string{
	{"3ds", "3d secure", "3 d secure", "three d secure", "threeds", "3dsecure", "3ds2", "sca", "strong customer authentication", "emv 3ds"},
	{"nsf", "insufficient funds", "not sufficient funds", "non sufficient funds"},
	{"chargeback", "chargebacks", "dispute", "disputes", "charge back", "charged back", "charge backs"},
	{"ach", "echeck", "e check", "electronic check"},
	{"webhook", "webhooks", "ipn", "callback", "callbacks", "instant payment notification", "web hook", "event notification"},
	{"cvv", "cvc", "cvv2", "cvc2", "cid", "security code", "card verification"},
	{"avs", "address verification", "zip mismatch", "postcode"},
	{"rate limit", "rate limited", "rate limiting", "too many requests", "throttled", "throttling", "429"},
	{"timeout", "timeouts", "timed out", "time out"},
	{"tls", "ssl", "handshake", "certificate"},
	{"api key", "secret key", "api keys", "credentials"},
	{"payout", "payouts", "settlement", "bank transfer"},
	{"apple pay", "applepay"},
	{"google pay", "gpay", "googlepay"},
	{"recurring", "subscription", "subscriptions", "rebill", "renewal"},
	{"card updater", "account updater"},
	{"sandbox", "test mode", "testmode"},
	{"expired", "expiry", "expiration"},
	{"duplicate", "dup", "duplicated", "double", "twice"},
	{"idempotency", "idempotent", "idempotency key"},
	{"outage", "down", "unavailable", "status page"},
	{"refund", "refunds", "refunded"},
	{"slow", "latency", "sluggish"},
	{"small", "tiny", "micro", "low value"},
	{"many", "hundreds", "thousands", "dozens", "burst", "flood"},
	{"sepa", "sepa direct debit", "sdd"},
	{"card number", "pan"},
	{"notification of change", "noc"},
	{"transstatusreason", "trans status reason"},
	{"transstatus", "trans status"},
	{"iso8583", "iso 8583"},
	{"de39", "field 39", "field39"},
	{"fraud", "fraudulent"},
	{"lost", "stolen"},
	{"declined", "decline", "refused", "denied"},
	// a sudden rise, however people put it
	{"spike", "spikes", "spiking", "spiked", "surge", "surging", "through the roof", "skyrocketed", "skyrocketing",
		"shot up", "jumped", "sudden increase", "went up", "up sharply", "exploded", "ballooned"},
	// a fall of a rate
	{"dropped", "drop", "fell", "plunged", "plummeted", "tanked", "went down", "decreased", "crashed"},
	// a currency named in words is a question about currencies (articles
	// say "currency" and the ISO 4217 code, people the name)
	{"currency", "brazilian real", "brazilian reais", "reais", "us dollars", "euros", "pound sterling", "pounds sterling",
		"japanese yen", "mexican pesos", "indian rupees", "canadian dollars", "australian dollars", "swiss francs", "korean won"},
}

// systemPhrases map words of a question to the code systems they name (the
// id prefixes of reference records, or a provider).
var systemPhrases = []struct {
	phrase  string
	systems []string
	strong  bool // names the system outright (not just a hint)
}{
	{"de39", []string{"iso8583_1987_field39"}, true},
	{"field 39", []string{"iso8583_1987_field39"}, true},
	{"field39", []string{"iso8583_1987_field39"}, true},
	{"1987", []string{"iso8583_1987_field39"}, false},
	{"action code", []string{"iso8583_1993_action_code"}, true},
	{"1993", []string{"iso8583_1993_action_code"}, false},
	{"iso", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"iso8583", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, true},
	{"8583", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, true},
	{"response code", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"rc", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"resp code", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"reason code", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"issuer", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"acquirer", []string{"iso8583_1987_field39", "iso8583_1993_action_code"}, false},
	{"transstatusreason", []string{"3ds-transstatusreason"}, true},
	{"trans status reason", []string{"3ds-transstatusreason"}, true},
	{"status reason", []string{"3ds-transstatusreason"}, true},
	{"transstatus", []string{"3ds-transstatus"}, true},
	{"trans status", []string{"3ds-transstatus"}, true},
	{"3ds", []string{"3ds-transstatusreason", "3ds-transstatus"}, false},
	{"3d secure", []string{"3ds-transstatusreason", "3ds-transstatus"}, false},
	{"3 d secure", []string{"3ds-transstatusreason", "3ds-transstatus"}, false},
	{"three d secure", []string{"3ds-transstatusreason", "3ds-transstatus"}, false},
	{"emv", []string{"3ds-transstatusreason", "3ds-transstatus"}, false},
	{"ach", []string{"ach-return", "ach-noc_change"}, true},
	{"nacha", []string{"ach-return", "ach-noc_change"}, true},
	{"noc", []string{"ach-noc_change"}, true},
	{"notification of change", []string{"ach-noc_change"}, true},
	{"stripe", []string{"stripe"}, true},
	{"square", []string{"square-error", "square"}, true},
	{"paypal", []string{"paypal-issue", "paypal"}, true},
	{"adyen", []string{"adyen"}, true},
	{"braintree", []string{"braintree"}, true},
}

// codeContext words make a bare number in a question a code ("issuer
// returned 51") rather than a count ("2 customers").
var codeContext = toSet(strings.Fields(`code codes response responded respond reason error err errors
decline declined declines declining rc de39 field field39 iso iso8583 8583 action status transstatus
transstatusreason return returned returns returning issuer acquirer auth authorization authorisation
refused denied rejected reject deny stripe paypal square adyen braintree ach nacha 3ds emv http
result resp checkout cko processor refusal`))

// unitWords after a number make it a quantity, never a code ("8 seconds",
// "30 customers").
var unitWords = toSet(strings.Fields(`s sec secs second seconds ms millisecond milliseconds min mins minute
minutes h hr hrs hour hours day days week weeks month months year years times x percent pct customers
users people orders payments transactions charges cards merchants requests attempts retries ago per
k items units rows events webhooks
usd eur gbp jpy brl mxn inr cad aud chf sek nok dkk pln krw dollar dollars euro euros yen cent cents
pound pounds pence penny pennies real reais peso pesos rupee rupees won franc francs krona kronor zloty`))

// rateWords before a number make it a level, never a code ("auth rate
// dropped to 70", "approval ratio of 85"), unless a code word stands
// between them ("decline rate of response code 51").
var rateWords = toSet(strings.Fields(`rate rates ratio ratios percentage percentages approval conversion share`))

// rangeWords join two numbers into a range or a change ("from 92 to 70",
// "between 5 and 10"): when one end is a quantity, so is the other.
var rangeWords = toSet(strings.Fields(`to from between and or vs versus like about around`))

// numberQuantities marks the bare numbers of raw (q's questionTokens)
// that are quantities, never codes: a unit after them ("8 seconds"), an
// amount word before them ("charged 51"), a percent sign ("92%"), a rate
// word shortly before them ("auth rate dropped to 70"), or the other end
// of a range with such a number ("from 92% to like 70").
func numberQuantities(q string, raw []string) []bool {
	percent := map[string]bool{}
	for i := strings.IndexByte(q, '%'); i >= 0; i = strings.IndexByte(q, '%') {
		j := i
		for j > 0 && (q[j-1] == ' ' || q[j-1] >= '0' && q[j-1] <= '9' || q[j-1] == '.' || q[j-1] == ',') {
			j--
		}
		if n := strings.Trim(strings.TrimSpace(q[j:i]), ".,"); n != "" {
			percent[n] = true
		}
		q = q[i+1:]
	}
	for _, n := range moneyNumbers(q) {
		percent[n] = true
	}
	lows := make([]string, len(raw))
	for i, r := range raw {
		lows[i] = strings.ToLower(r)
	}
	out := make([]bool, len(raw))
	for i, low := range lows {
		if !isDigits(low) {
			continue
		}
		out[i] = percent[low] || i+1 < len(lows) && unitWords[lows[i+1]] || i > 0 && amountWords[lows[i-1]]
		if out[i] || i > 0 && codeContext[lows[i-1]] {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-4; j-- {
			if codeContext[lows[j]] && !rateWords[lows[j]] {
				break
			}
			if rateWords[lows[j]] {
				out[i] = true
				break
			}
		}
	}
	// ranges, both ways
	for pass := 0; pass < 2; pass++ {
		for i, low := range lows {
			if out[i] || !isDigits(low) || i > 0 && codeContext[lows[i-1]] {
				continue
			}
			for j := i - 1; j >= 0 && j >= i-4 && !out[i]; j-- {
				if isDigits(lows[j]) {
					out[i] = out[j] && between(lows[j+1:i])
					break
				}
			}
			for j := i + 1; j < len(lows) && j <= i+4 && !out[i]; j++ {
				if isDigits(lows[j]) {
					out[i] = out[j] && between(lows[i+1:j])
					break
				}
			}
		}
	}
	return out
}

// currencySigns are the symbols written before (or after) an amount.
var currencySigns = []string{"$", "€", "£", "¥", "₹", "₩", "₽", "₺", "₪", "₫", "₱", "฿", "R$", "US$", "C$", "A$"}

// moneyNumbers returns the whole-number parts of the amounts in q written
// with a currency sign before or after them ("$1", "$ 900", "€51,50",
// "900€"): "1", "900", "51", "900".
func moneyNumbers(q string) []string {
	var out []string
	for _, sign := range currencySigns {
		for rest := q; ; {
			i := strings.Index(rest, sign)
			if i < 0 {
				break
			}
			// after the sign
			k := i + len(sign)
			for k < len(rest) && rest[k] == ' ' {
				k++
			}
			e := k
			for e < len(rest) && rest[e] >= '0' && rest[e] <= '9' {
				e++
			}
			if e > k {
				out = append(out, rest[k:e])
			}
			// before the sign
			b := i
			for b > 0 && rest[b-1] == ' ' {
				b--
			}
			a := b
			for a > 0 && (rest[a-1] >= '0' && rest[a-1] <= '9' || rest[a-1] == '.' || rest[a-1] == ',') {
				a--
			}
			if a < b {
				whole := rest[a:b]
				if d := strings.IndexAny(whole, ".,"); d >= 0 && len(whole)-d == 3 {
					whole = whole[:d] // 51,50 or 51.50
				}
				out = append(out, strings.NewReplacer(",", "", ".", "").Replace(whole))
			}
			rest = rest[i+len(sign):]
		}
	}
	return out
}

// between reports whether the words between two numbers join them into a
// range ("to", "to like", "and").
func between(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	joined := false
	for _, w := range ws {
		if !rangeWords[w] && !unitWords[w] {
			return false
		}
		joined = joined || rangeWords[w]
	}
	return joined
}

// amountWords before a number make it an amount, never a code ("we send
// 1000", "charged 51", "usd 10", "$ 10").
var amountWords = toSet(strings.Fields(`$ € £ ¥ usd eur gbp jpy brl mxn inr cad aud chf send sends sent sending
charge charged charging pay pays paid paying bill billed amount amounts total totals refund refunded
refunding price priced cost costs`))

// Boosts, tuned on the dev questions (see eval_test.go).
const (
	boostTitle       = 2.0
	boostBody        = 1.0
	boostTags        = 1.5
	boostProvider    = 1.0
	boostSynonym     = 0.7
	boostCode        = 6.0 // explicit code typed
	boostCodeWeak    = 1.5 // bare number without a code context
	boostCodeSystem  = 6.0 // code qualified by a system named in the question
	boostCodeImplied = 2.5 // phrase or word that happens to be a code

	// re-ranking bonuses, added to the BM25 score normalised by the best one
	bonusCode       = 1.0  // the document has a code typed in the question
	bonusCodeWeak   = 0.3  // ... a bare number without a code context
	bonusCodeSystem = 0.5  // ... qualified by the code system the question names
	bonusCodePhrase = 0.5  // ... a phrase of the question that is a code (do not honor)
	bonusCodeWord   = 0.15 // ... a word of the question that is a code (forbidden)
	bonusSystem     = 0.2  // the document belongs to a code system named outright
	bonusReference  = 0.25 // a reference record holding a typed code (the exact definition)
	penaltyOther    = 0.6  // the document belongs to another provider or system than the one named
	maxCodeBonus    = 2.0

	boostQuestion  = 3.0 // the learned question of a community answer
	boostFix       = 1.2 // a past incident's fix
	boostRootCause = 1.5 // a past incident's root cause
	bonusLearned   = 1.5 // times the similarity of the question to a learned one
)

// analyzeQuery builds the plan. ts may be nil (no typo correction).
func analyzeQuery(q string, ts termStats) queryPlan {
	raw := questionTokens(q)
	quantities := numberQuantities(q, raw)
	var p queryPlan

	// word sequence (lower case) with explicit-code marks
	type tok struct {
		word     string // one lower-case word
		rawCode  string // canonical code when the raw token was written like a code
		single   bool   // the raw token was a single letter (3DS status)
		fromCode int    // index of the raw token
		fixed    bool   // typo-corrected
		quantity bool   // a number that is an amount, a count or a level
	}
	var seq []tok
	type rawCode struct {
		parts []int // indices into seq
		canon string
		snake bool
		num   bool
		// zeroPad: the number was typed with a leading zero (05)
		zeroPad bool
	}
	var rcs []rawCode
	for ri, r := range raw {
		low := strings.ToLower(r)
		if isAmount(low) {
			continue
		}
		// a letters+number token that the index holds as a code is one,
		// however it is written (am04 = AM-04 = SEPA's AM04, gw31 = GW-0031)
		indexed := ts != nil && paycode.IsPrefixed(low) && !systemNames[low] && ts.knownCode(canonCode(low))
		quantity := quantities[ri]
		if (indexed || looksLikeCode(r)) && !notCodeNumbers[r] && !quantity {
			c := canonCode(r)
			if c == "" {
				continue
			}
			rc := rawCode{canon: c, num: isDigits(low), zeroPad: isDigits(low) && len(low) > 1 && low[0] == '0'}
			if strings.ContainsAny(low, "_") || (!isDigits(low) && !isLetterDigit(low)) {
				rc.snake = true
				for _, part := range strings.FieldsFunc(low, func(r rune) bool { return r == '_' || r == '-' }) {
					rc.parts = append(rc.parts, len(seq))
					seq = append(seq, tok{word: part, fromCode: ri})
				}
			} else {
				rc.parts = []int{len(seq)}
				seq = append(seq, tok{word: c, rawCode: c, fromCode: ri})
			}
			rcs = append(rcs, rc)
			continue
		}
		for _, part := range strings.FieldsFunc(low, func(r rune) bool { return r == '_' || r == '-' }) {
			part = strings.ReplaceAll(part, "\u2019", "'")
			seq = append(seq, tok{word: part, single: len(part) == 1 && len(r) == 1, fromCode: ri, quantity: quantity})
		}
	}

	// typo correction
	if ts != nil {
		for i := range seq {
			w := seq[i].word
			if len(w) < 5 || !allLetters(w) || stopWords[w] || enStop[w] {
				continue
			}
			st := stem(w)
			if ts.known(st) {
				continue
			}
			fixes := correctWord(w, ts)
			if len(fixes) == 0 {
				continue
			}
			p.extra = append(p.extra, w)
			seq[i].word = fixes[0]
			seq[i].rawCode = ""
			seq[i].fixed = true
			if len(fixes) > 1 {
				// inside a snake code, prefer the spelling that makes a known code
				for _, rc := range rcs {
					if !rc.snake || !slices.Contains(rc.parts, i) {
						continue
					}
					for _, f := range fixes {
						seq[i].word = f
						var parts []string
						for _, j := range rc.parts {
							parts = append(parts, seq[j].word)
						}
						if ts.knownCode(canonCode(strings.Join(parts, "_"))) {
							break
						}
						seq[i].word = fixes[0]
					}
				}
			}
		}
	}
	words := make([]string, len(seq))
	for i, t := range seq {
		words[i] = t.word
	}
	joined := " " + strings.Join(words, " ") + " "

	// systems named
	sysSeen := map[string]bool{}
	for _, sp := range systemPhrases {
		if strings.Contains(joined, " "+sp.phrase+" ") {
			for _, s := range sp.systems {
				if !sysSeen[s] {
					sysSeen[s] = true
					p.systems = append(p.systems, s)
				}
			}
		}
	}
	p.named = map[string]bool{}
	p.families = map[string]bool{}
	for _, sp := range systemPhrases {
		if sp.strong && strings.Contains(joined, " "+sp.phrase+" ") {
			for _, s := range sp.systems {
				p.named[s] = true
				p.families[systemFamily(s)] = true
			}
		}
	}
	context := len(p.systems) > 0
	for _, w := range words {
		if codeContext[w] {
			context = true
		}
	}

	// codes
	codeSeen := map[string]int{}
	addCode := func(term string, boost, bonus float64, strong bool) {
		if term == "" {
			return
		}
		if i, ok := codeSeen[term]; ok {
			c := &p.codes[i]
			c.boost = math.Max(c.boost, boost)
			c.bonus = math.Max(c.bonus, bonus)
			c.strong = c.strong || strong
			return
		}
		codeSeen[term] = len(p.codes)
		p.codes = append(p.codes, codeTerm{term: term, boost: boost, bonus: bonus, strong: strong})
	}
	explicit := map[string]bool{}
	for _, rc := range rcs {
		c := rc.canon
		if rc.snake {
			// rebuild from possibly corrected parts
			var parts []string
			for _, i := range rc.parts {
				parts = append(parts, seq[i].word)
			}
			c = canonCode(strings.Join(parts, "_"))
		}
		if c == "" {
			continue
		}
		explicit[c] = true
		strong := !rc.num || context
		boost, bonus := boostCode, bonusCode
		if rc.num && !context && !rc.zeroPad {
			boost, bonus = boostCodeWeak, bonusCodeWeak
		}
		addCode(c, boost, bonus, strong)
		for _, s := range p.systems {
			addCode(s+":"+c, boostCodeSystem, bonusCodeSystem, strong)
		}
	}
	// 3-D Secure transStatus letters: "transStatus R", "trans status N"
	if sysSeen["3ds-transstatus"] {
		for i, t := range seq {
			if !t.single || i == 0 {
				continue
			}
			prev := seq[i-1].word
			if prev == "transstatus" || prev == "status" || (i >= 2 && prev == "is" && (seq[i-2].word == "transstatus" || seq[i-2].word == "status")) {
				c := t.word
				explicit[c] = true
				addCode(c, boostCodeWeak, bonusCodeWeak, true)
				addCode("3ds-transstatus:"+c, boostCodeSystem, bonusCode+bonusCodeSystem, true)
			}
		}
	}
	// implied codes: words and 2-4 word phrases joined with '_'
	n := len(words)
	if n > 24 {
		n = 24
	}
	for i := 0; i < n; i++ {
		w := words[i]
		if !explicit[w] && len(w) >= 3 && !stopWords[w] && !enStop[w] && !isDigits(w) && !knownProviders[w] {
			addCode(w, boostCodeImplied*0.6, bonusCodeWord, false)
		}
		for k := 2; k <= 4 && i+k <= n; k++ {
			c := canonCode(strings.Join(words[i:i+k], "_"))
			if c != "" && !explicit[c] {
				addCode(c, boostCodeImplied, bonusCodePhrase, true)
			}
		}
	}

	// content words
	wseen := map[string]bool{}
	for _, t := range seq {
		w := t.word
		if w == "" || stopWords[w] || wseen[w] {
			continue
		}
		if t.single && !explicit[w] {
			continue
		}
		if t.quantity {
			// "$900", "92%", "3 days": no evidence about the topic, and
			// not a word to search ("900" is an action code's title)
			continue
		}
		wseen[w] = true
		p.words = append(p.words, w)
		u := contentUnit{word: w, fixed: t.fixed}
		if t.rawCode != "" {
			u.code = t.rawCode
			u.weak = isDigits(w) && !context
		} else if allLetters(w) {
			u.stem = stem(w)
			if enStop[w] {
				continue
			}
		} else {
			u.stem = w
		}
		p.content = append(p.content, u)
	}
	// snake codes typed count as one unit each (their words are units too)
	for _, rc := range rcs {
		if rc.snake {
			var parts []string
			for _, i := range rc.parts {
				parts = append(parts, seq[i].word)
			}
			if c := canonCode(strings.Join(parts, "_")); c != "" {
				p.content = append(p.content, contentUnit{word: c, code: c})
			}
		}
	}

	// synonyms
	synSeen := map[string]bool{}
	for _, w := range p.words {
		synSeen[w] = true
	}
	for _, g := range synonymGroups {
		hit := false
		for _, ph := range g {
			if strings.Contains(joined, " "+ph+" ") {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		var alts [][]string
		for _, ph := range g {
			var st []string
			for _, w := range strings.Fields(ph) {
				if !enStop[w] {
					st = append(st, stem(w))
				}
			}
			if len(st) > 0 {
				alts = append(alts, st)
			}
		}
		for i := range p.content {
			u := &p.content[i]
			for _, ph := range g {
				if ph == u.word {
					u.alts = append(u.alts, alts...)
					break
				}
			}
		}
		for _, ph := range g {
			for _, w := range strings.Fields(ph) {
				if !synSeen[w] && !stopWords[w] {
					synSeen[w] = true
					p.syn = append(p.syn, w)
				}
			}
			if strings.Contains(ph, " ") {
				if c := canonCode(strings.ReplaceAll(ph, " ", "_")); c != "" {
					addCode(c, boostCodeImplied*0.5, bonusCodeWord, false)
				}
			}
		}
	}
	return p
}

// isLetterDigit reports whether s is one letters+number code (R01, r-1,
// E0054, e-0054), as opposed to a snake-case phrase.
func isLetterDigit(s string) bool { return paycode.IsPrefixed(s) && !strings.Contains(s, "_") }

func allLetters(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

// enStop is bleve's English stop list (stop_en), which the text analyzer
// removes; such words never reach the index.
var enStop = toSet(strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves
he him his himself she her hers herself it its itself they them their theirs themselves what which who
whom this that these those am is are was were be been being have has had having do does did doing
would should could ought i'm you're he's she's it's we're they're i've you've we've they've i'd you'd
he'd she'd we'd they'd i'll you'll he'll she'll we'll they'll isn't aren't wasn't weren't hasn't
haven't hadn't doesn't don't didn't won't wouldn't shan't shouldn't can't cannot couldn't mustn't
let's that's who's what's here's there's when's where's why's how's a an the and but if or because
as until while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why how all
any both each few more most other some such no nor not only own same so than too very`))

// stem returns the English snowball stem of a lower-case word, as the text
// analyzer would index it.
func stem(w string) string {
	env := snowballstem.NewEnv(w)
	english.Stem(env)
	return env.Current()
}

// correctWord returns the indexed words within one edit (insertion,
// deletion, substitution or transposition of neighbours) of w that are the
// most frequent in the index (ties in a stable order), or nil.
func correctWord(w string, ts termStats) []string {
	var best []string
	bestDF := 0
	seen := map[string]bool{}
	try := func(c string) {
		if seen[c] || len(c) < 3 {
			return
		}
		seen[c] = true
		if enStop[c] || stopWords[c] {
			return // a fix into a word the search drops ("payot" -> "paybot") loses the word
		}
		df := ts.candidate(stem(c))
		if df == 0 {
			return
		}
		switch {
		case df > bestDF:
			best, bestDF = []string{c}, df
		case df == bestDF:
			best = append(best, c)
		}
	}
	b := []byte(w)
	for i := range b { // deletion
		try(string(b[:i]) + string(b[i+1:]))
	}
	for i := 0; i+1 < len(b); i++ { // transposition
		if b[i] != b[i+1] {
			c := append([]byte{}, b...)
			c[i], c[i+1] = c[i+1], c[i]
			try(string(c))
		}
	}
	for i := range b { // substitution
		for ch := byte('a'); ch <= 'z'; ch++ {
			if ch != b[i] {
				c := append([]byte{}, b...)
				c[i] = ch
				try(string(c))
			}
		}
	}
	for i := 0; i <= len(b); i++ { // insertion
		for ch := byte('a'); ch <= 'z'; ch++ {
			try(string(b[:i]) + string(ch) + string(b[i:]))
		}
	}
	// among equals, prefer the candidate closest in length to w, then
	// alphabetical order
	sort.SliceStable(best, func(i, j int) bool {
		di, dj := absInt(len(best[i])-len(w)), absInt(len(best[j])-len(w))
		if di != dj {
			return di < dj
		}
		return best[i] < best[j]
	})
	return best
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// sortedCodes is used by tests for stable output.
func (p queryPlan) codeTerms() []string {
	out := make([]string, 0, len(p.codes))
	for _, c := range p.codes {
		out = append(out, c.term)
	}
	sort.Strings(out)
	return out
}

// systemFamily reduces a code system or provider to its family: the leading
// run of letters and digits ("ach-return" -> "ach", "square-error" ->
// "square", "iso8583_1987_field39" -> "iso8583", "checkout.com" ->
// "checkout"). "any" and "" have no family.
func systemFamily(s string) string {
	s = strings.ToLower(s)
	i := 0
	for i < len(s) && (isLetter(s[i]) || (s[i] >= '0' && s[i] <= '9')) {
		i++
	}
	f := s[:i]
	switch f {
	case "any", "all", "generic", "none", "other":
		return ""
	}
	return f
}

// isAmount reports whether a token is a decimal or grouped number (0.30,
// 1,000.00): an amount, never a code.
func isAmount(s string) bool {
	if !strings.ContainsAny(s, ".,") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9') && s[i] != '.' && s[i] != ',' {
			return false
		}
	}
	return true
}

// achContext are words that make "r 01" or "c 5" an ACH return or
// notification-of-change code typed with a space.
var achContext = map[string]bool{"ach": true, "nacha": true, "return": true, "returned": true, "returns": true, "noc": true, "echeck": true}

// joinSpacedACHCodes turns "r 01" into "R01" (and "c 5" into "C5") when the
// question is about ACH; elsewhere a lone letter before a number means
// nothing in particular.
// achReturnBefore reports whether the words just before raw[i] are a
// return word, optionally followed by "code", "reason" or "reason code"
// ("return code", "returned with code", "return reason").
func achReturnBefore(raw []string, i int) bool {
	j := i - 1
	for n := 0; n < 3 && j >= 0; n++ {
		switch strings.ToLower(raw[j]) {
		case "code", "reason", "with", "#", "no", "number":
			j--
			continue
		case "return", "returned", "returns":
			return true
		}
		return false
	}
	return false
}

func joinSpacedACHCodes(raw []string) []string {
	ach, achNamed := false, false
	for _, t := range raw {
		switch low := strings.ToLower(t); {
		case low == "ach" || low == "nacha" || low == "echeck":
			// named outright: "return code 1" is R01, not an issuer's 01
			ach, achNamed = true, true
		case achContext[low]:
			ach = true
		}
	}
	out := make([]string, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		t := raw[i]
		// "e 0054": a lone letter before a zero-padded number of 3 to 6
		// digits is one code, whatever the question is about.
		if len(t) == 1 && isLetter(t[0]|0x20) && i+1 < len(raw) && isDigits(raw[i+1]) && len(raw[i+1]) >= 3 &&
			len(raw[i+1]) <= paycode.MaxDigits && raw[i+1][0] == '0' {
			out = append(out, strings.ToUpper(t)+raw[i+1])
			i++
			continue
		}
		if ach && (t == "r" || t == "R" || t == "c" || t == "C") && i+1 < len(raw) && len(raw[i+1]) <= 2 && isDigits(raw[i+1]) {
			out = append(out, strings.ToUpper(t)+raw[i+1])
			i++
			continue
		}
		// "ach return code 1", "returned with code 29", "return reason 03":
		// in an ACH question, a number of one or two digits after a return
		// word (and "code" or "reason") is an R code
		if achNamed && isDigits(t) && len(t) <= 2 && achReturnBefore(raw, i) {
			n := t
			if len(n) == 1 {
				n = "0" + n
			}
			out = append(out, "R"+n)
			continue
		}
		out = append(out, t)
	}
	return out
}

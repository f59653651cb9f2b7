package kb

import (
	"slices"
	"strconv"
	"strings"
)

// Passages.
//
// An article (or a reference record) whose body has "## " headings is split
// into sections, and each section is indexed as a passage document of its
// own beside the article: kind "passage", the article's id (parent), the
// section's kind and heading, and its text. Other documents (JSON Lines
// records without headings, community answers, past incidents) stay one
// document each, so a bulk import of plain records costs nothing more.
//
// A search runs the question against the articles (BM25 over the whole
// article, with the statistics of the articles alone, so passages change no
// article's score) and against the passages (BM25 over section text and
// heading). When no candidate holds most of the question, a strong passage
// whose article missed the candidates brings it in; every hit gets a focus
// bonus for the share of the question that its title and best section
// hold (a document without sections: its whole text), so the article whose
// one section answers the question comes before one that mentions its
// words all over. The hit then shows the sentence or two that answer the
// question: from the "What to do" section, always so when the question
// asks what to do, whether to retry or how to fix something; from "When to
// escalate" when it asks who to involve or whether to escalate; the first
// sentence of the meaning section before the action when it asks what
// something means; the customer wording after the action when it asks what
// to tell the customer.

// Section kinds, from the heading of a section.
const (
	SectionMeaning  = "meaning"  // ## Cause, ## What it means
	SectionCheck    = "check"    // ## What to check
	SectionAction   = "action"   // ## What to do, ## Fix
	SectionCustomer = "customer" // ## What to tell the customer
	SectionEscalate = "escalate" // ## When to escalate
	SectionOther    = "other"
)

// Section is one part of an article.
type Section struct {
	Kind     string   `json:"kind"`
	Heading  string   `json:"heading"`
	Passages []string `json:"passages"` // bullet points or paragraphs, Markdown markup removed
}

// sectionKind maps a heading to its kind.
func sectionKind(h string) string {
	h = strings.ToLower(h)
	switch {
	case strings.Contains(h, "escalat"):
		return SectionEscalate
	case strings.Contains(h, "tell") || strings.Contains(h, "customer"):
		return SectionCustomer
	case strings.Contains(h, "check") || strings.Contains(h, "diagnos") || strings.Contains(h, "investigat"):
		return SectionCheck
	case strings.Contains(h, "to do") || strings.Contains(h, "fix") || strings.Contains(h, "action") ||
		strings.Contains(h, "resolution") || strings.Contains(h, "next step") || strings.Contains(h, "how to"):
		return SectionAction
	case strings.Contains(h, "cause") || strings.Contains(h, "mean") || strings.Contains(h, "what is") ||
		strings.Contains(h, "summary") || strings.Contains(h, "overview"):
		return SectionMeaning
	}
	return SectionOther
}

// Sections splits a Markdown body into sections. Text before the first
// heading is a meaning section.
func Sections(body string) []Section {
	var out []Section
	cur := Section{Kind: SectionMeaning}
	var para []string
	endPara := func() {
		if len(para) > 0 {
			cur.Passages = append(cur.Passages, strings.Join(para, " "))
			para = nil
		}
	}
	flush := func() {
		endPara()
		if len(cur.Passages) > 0 {
			out = append(out, cur)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "#"):
			flush()
			h := strings.TrimSpace(strings.TrimLeft(t, "#"))
			cur = Section{Kind: sectionKind(h), Heading: h}
		case t == "":
			endPara()
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ") || isNumbered(t):
			endPara()
			para = []string{cleanLine(stripNumber(t))}
		default:
			para = append(para, cleanLine(t))
		}
	}
	flush()
	return out
}

func isNumbered(t string) bool {
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' '
}

func stripNumber(t string) string {
	if isNumbered(t) {
		i := strings.IndexAny(t, ".)")
		return t[i+1:]
	}
	return t
}

// maxPassages is the most sections of one document indexed as passages;
// later sections are still in the article (and in its body's index), they
// only get no passage of their own.
const maxPassages = 12

// passageSep joins a section's passages (bullets, paragraphs) in the
// stored text of its passage document.
const passageSep = "\n"

// hasSections reports whether a body has Markdown headings, cheaply (a
// JSON Lines record without them is never split).
func hasSections(body string) bool {
	return strings.HasPrefix(body, "#") || strings.Contains(body, "\n#")
}

// splitsIntoPassages reports whether d gets passage documents: articles
// and reference records with headings. Community answers and past
// incidents keep their own fields and stay whole.
func splitsIntoPassages(d Doc) bool {
	return (d.Kind == KindArticle || d.Kind == KindReference) && hasSections(d.Body)
}

// passageID is the id of the n-th passage of document parent (0-based).
func passageID(parent string, n int) string { return parent + "#" + strconv.Itoa(n) }

// reservedID reports whether id has the form of a passage id ("<parent>#<n>",
// n decimal digits). Such ids belong to the index: a document imported or
// learned under one would be overwritten by its parent's passage, hidden
// from kb show, and deleted with its parent, so every write refuses them.
func reservedID(id string) bool {
	i := strings.LastIndexByte(id, '#')
	if i <= 0 || i == len(id)-1 {
		return false
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// errReservedID is the reason given for a reserved id.
const errReservedID = "the id ends in '#' and a number, the form of a passage id (an article's section): choose another id"

// passageMark is stored in field psig of a document that has passage
// documents. A passage counts only while its document carries the mark: a
// passage left behind when a later version dropped every heading (addDoc
// deletes the surplus ones of a version that merely has fewer) is ignored
// until the next rebuild removes it. Indexes written before held a hash of
// the body there; only the field's presence was ever read.
const passageMark = "1"

// passageDoc is one section of a document as the index holds it.
type passageDoc struct {
	ID      string
	Parent  string
	Section string // SectionAction, SectionEscalate, …
	Heading string
	Text    string // the section's passages joined by passageSep
}

// passagesOf returns the passage documents of d (nil when d is not split).
func passagesOf(d Doc) []passageDoc {
	if !splitsIntoPassages(d) {
		return nil
	}
	secs := Sections(d.Body)
	if len(secs) > maxPassages {
		secs = secs[:maxPassages]
	}
	out := make([]passageDoc, 0, len(secs))
	for i, s := range secs {
		out = append(out, passageDoc{
			ID: passageID(d.ID, i), Parent: d.ID, Section: s.Kind, Heading: s.Heading,
			Text: strings.Join(s.Passages, passageSep),
		})
	}
	return out
}

// indexable turns a passage into its bleve document. Its fields are its
// own (ptext, pheading), so the article fields' statistics are unchanged.
func (p passageDoc) indexable() map[string]interface{} {
	return map[string]interface{}{
		"kind":     KindPassage,
		"parent":   p.Parent,
		"section":  p.Section,
		"pheading": p.Heading,
		"ptext":    p.Text,
	}
}

// Intent of a question, for the choice of passage.
type intent int

const (
	intentAny      intent = iota
	intentAction          // what to do, can we retry, how to fix
	intentMeaning         // what does it mean, why
	intentEscalate        // who to involve, whether and when to escalate
	intentCustomer        // what to tell the customer
)

// escalateCues come before the action cues: "should we escalate" asks about
// escalation, not about a fix.
var escalateCues = []string{
	"escalat", "who do we", "who do i", "who should", "who to ", "whom", "who can help", "who owns",
	"who is responsible", "who handles", "who needs to", "contact support", "call support", "page the",
	"page someone", "wake up", "on-call", "on call", "oncall", "account manager", "support desk",
	"developer support", "dev support", "security team", "open a ticket", "raise a ticket", "file a ticket",
	"open a case", "involve", "get help from", "bring in", "loop in",
}

var customerCues = []string{
	"tell the customer", "tell the shopper", "tell the buyer", "tell the cardholder", "tell the user",
	"tell our customer", "tell customers", "tell shoppers", "say to the customer", "what do we say",
	"what should we say", "what do we tell", "what should we tell", "message to the customer",
	"explain to the customer", "customer message", "wording for",
}

var actionCues = []string{
	"what to do", "what do we do", "what do i do", "what should", "what now", "what next", "next step",
	"can we", "can i", "could we", "should we", "should i", "shall we", "do we", "may we", "is it ok",
	"retry", "re-try", "try again", "resubmit", "re-present", "represent", "how do", "how to", "how can",
	"how should", "fix", "resolve", "handle", "deal with", "recover", "stop", "prevent", "avoid", "workaround",
	"what can", "next", "action", "mitigat", "unblock",
}

var meaningCues = []string{"what does", "what is", "what's", "whats", "meaning", "mean ", "means", "explain", "why "}

// Whom a question asks to address: a verb of telling followed, within
// three words, by the customer or a pronoun for them ("what do I say to a
// buyer", "how do we explain it to our shoppers", "reply to the
// cardholder"), in words the cues above do not list.
var (
	tellVerbs  = toSet(strings.Fields(`tell say explain reply respond write email message answer inform notify word phrase communicate`))
	tellWhom   = toSet(strings.Fields(`customer customers customer's shopper shoppers buyer buyers cardholder cardholders client clients payer payers donor donors them him her`))
	tellFiller = toSet(strings.Fields(`to the a an our my this that these those it angry upset confused worried affected`))
)

func asksWhatToTell(l string) bool {
	words := strings.FieldsFunc(l, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '\'') })
	for i, w := range words {
		if !tellVerbs[w] {
			continue
		}
		for j := i + 1; j < len(words) && j <= i+4; j++ {
			if tellWhom[words[j]] {
				return true
			}
			if !tellFiller[words[j]] {
				break
			}
		}
	}
	return false
}

func questionIntent(q string) intent {
	l := " " + strings.ToLower(q) + " "
	if asksWhatToTell(l) {
		return intentCustomer
	}
	// In this order: "what do we tell the customer" is about the customer
	// before it is about doing.
	for _, c := range []struct {
		cues []string
		is   intent
	}{{customerCues, intentCustomer}, {escalateCues, intentEscalate}, {actionCues, intentAction}, {meaningCues, intentMeaning}} {
		if slices.ContainsFunc(c.cues, func(cue string) bool { return strings.Contains(l, cue) }) {
			return c.is
		}
	}
	return intentAny
}

// maxPassageText is the longest text a hit shows (bytes, before "…").
const maxPassageText = 400

// passageScore is how well one passage (a bullet or paragraph) matches the
// question: one point per question stem it holds, three for a code of the
// question (R03, not R01).
//
// w weighs stems (nil or absent: 1): passageOf halves the words that most
// of the document's passages hold, the subject of the whole article
// ("refund" in the refunds article), so that the word that tells its
// lines apart ("pending", "429") chooses.
func passageScore(p string, stems []string, w stemWeights) float64 {
	low := strings.ToLower(p)
	var s float64
	for _, st := range stems {
		if st == "" || !holdsStem(low, st) {
			continue
		}
		s += w.of(st)
		if strings.ContainsAny(st, "0123456789") {
			s += 2
		}
	}
	return s
}

// holdsStem reports whether the lower-case text low holds the stem st: a
// word of low that is st or stems to it ("retries" for "retri"), not a
// word that merely starts with it ("report" for "repo", "chargeback" for
// "charg"). Stems with anything but letters (codes: "r01", "do not
// honor", "20xxx") match as substrings.
func holdsStem(low, st string) bool {
	for _, r := range st {
		if r < 'a' || r > 'z' {
			return strings.Contains(low, st)
		}
	}
	// Look for words starting with the stem less its last letter: a stem
	// may end where its words do not ("bodi" of body, "verifi" of verify).
	pre := st
	if len(pre) > 3 {
		pre = pre[:len(pre)-1]
	}
	for from := 0; from < len(low); {
		i := strings.Index(low[from:], pre)
		if i < 0 {
			return false
		}
		i += from
		from = i + 1
		if i > 0 && isWordByte(low[i-1]) {
			continue
		}
		e := i + len(pre)
		for e < len(low) && isWordByte(low[e]) {
			e++
		}
		if w := low[i:e]; w == st || sameStem(stem(w), st) {
			return true
		}
	}
	return false
}

// sameStem reports whether two stems are one word's: equal, or one a
// prefix of the other by a letter when both are long enough ("verifi" of
// verify, "verif" of verification); "report" is not "repo".
func sameStem(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	return len(b) >= 5 && len(a)-len(b) == 1 && strings.HasPrefix(a, b)
}

// stemWeights weigh the question's stems in passageScore.
type stemWeights map[string]float64

func (w stemWeights) of(st string) float64 {
	if v, ok := w[st]; ok {
		return v
	}
	return 1
}

// commonStemShare is the share of a document's passages above which a
// stem is the document's subject rather than what tells its lines apart.
const commonStemShare = 0.3

// titleStemWeight weighs a stem of the document's title: the article is
// about it as a whole ("apple pay" in the Apple Pay article), so it tells
// none of its lines apart.
const titleStemWeight = 0.25

// docWeights halves the stems that more than commonStemShare of the
// passages of secs hold (at least three passages), and weighs those of the
// title at titleStemWeight.
func docWeights(secs []Section, title string, stems []string) stemWeights {
	n := 0
	for _, s := range secs {
		n += len(s.Passages)
	}
	w := stemWeights{} // not nil: bestOf gives the first action its prior
	lowTitle := strings.ToLower(title)
	for _, st := range stems {
		if st != "" && !strings.ContainsAny(st, "0123456789") && strings.Contains(lowTitle, st) {
			w[st] = titleStemWeight
		}
	}
	if n < 4 {
		return w
	}
	for _, st := range stems {
		if st == "" || strings.ContainsAny(st, "0123456789") {
			continue
		}
		c := 0
		for _, s := range secs {
			for _, p := range s.Passages {
				if holdsStem(strings.ToLower(p), st) {
					c++
				}
			}
		}
		if _, inTitle := w[st]; !inTitle && c >= 3 && float64(c) > commonStemShare*float64(n) {
			w[st] = 0.5
		}
	}
	return w
}

// firstLinePrior is what the first point of a "What to do" section is
// worth before any word matches: it is usually the main action, and one
// half-weight word on a later point ("limit", from the synonyms of 429)
// is no reason to pass it over; one full word is.
const firstLinePrior = 0.75

// bestOf returns the index of the passage of s that matches best (the
// first on a tie) and its score; -1 when s has none.
//
// In a "What to do" section the first point starts with firstLinePrior
// when w is not nil (passageOf; the action lookup of action.go passes
// nil), which chooses the index only: the score returned is the
// passage's own.
func bestOf(s Section, stems []string, w stemWeights) (int, float64) {
	best, score, raw := -1, -1.0, -1.0
	for i, p := range s.Passages {
		sc := passageScore(p, stems, w)
		ranked := sc
		if i == 0 && s.Kind == SectionAction && w != nil {
			ranked += firstLinePrior
		}
		if ranked > score {
			best, score, raw = i, ranked, sc
		}
	}
	return best, raw
}

// sectionText is the sentence or two of s that answer: its best passage,
// and, when that is short, the next best one that also matches the
// question (or the one after it, when none matches).
func sectionText(s Section, stems []string, w stemWeights) string {
	i, sc := bestOf(s, stems, w)
	if i < 0 {
		return ""
	}
	out := s.Passages[i]
	if len(out) >= 120 || len(s.Passages) < 2 {
		return out
	}
	second, ssc := -1, 0.0
	for j, p := range s.Passages {
		if j == i {
			continue
		}
		if c := passageScore(p, stems, w); c > ssc {
			second, ssc = j, c
		}
	}
	if ssc < 2 {
		second = -1 // one word in common is no reason to show a second point
	}
	if second < 0 && sc == 0 && i+1 < len(s.Passages) {
		second = i + 1 // nothing matches: the section's first two points
	}
	if second >= 0 {
		if second < i {
			out = s.Passages[second] + " " + out
		} else {
			out += " " + s.Passages[second]
		}
	}
	return out
}

// passage picks what a hit shows for a question (see the comment at the
// top of this file). matched holds the sections (by index in Sections)
// that the passage search found for this question, with their scores
// relative to the best passage (0..1]; it may be nil. Bodies without a
// "What to do" section, escalation section or customer wording (reference
// records, community answers, plain imports) show their best line.
func passage(body, question string, stems []string, matched map[int]float64) string {
	return passageOf(Sections(body), "", body, question, stems, matched)
}

// passageOf is passage with the body's sections already parsed (nil: none)
// and the document's title, whose words say what every line is about.
func passageOf(secs []Section, title, body, question string, stems []string, matched map[int]float64) string {
	if secs == nil && hasSections(body) {
		secs = Sections(body)
	}
	it := questionIntent(question)
	stems = linkCodes(secs, stems)
	w := docWeights(secs, title, stems)
	find := func(kind string) int {
		best, bestScore := -1, -1.0
		for i, s := range secs {
			if s.Kind != kind {
				continue
			}
			_, sc := bestOf(s, stems, w)
			sc += 3 * matched[i]
			if sc > bestScore {
				best, bestScore = i, sc
			}
		}
		return best
	}
	action, escalate, customer, meaning := find(SectionAction), find(SectionEscalate), find(SectionCustomer), find(SectionMeaning)
	switch {
	case it == intentEscalate && escalate >= 0:
		return truncate(sectionText(secs[escalate], stems, w), maxPassageText)
	case it == intentCustomer && customer >= 0 && action >= 0:
		act := truncate(secs[action].Passages[firstBest(secs[action], stems, w)], 200)
		return truncate(act+" Tell the customer: "+sectionText(secs[customer], stems, w), maxPassageText)
	case it == intentCustomer && customer >= 0:
		return truncate(sectionText(secs[customer], stems, w), maxPassageText)
	case action < 0:
		return snippet(body, stems)
	}
	out := sectionText(secs[action], stems, w)
	_, actScore := bestOf(secs[action], stems, w)
	// Before the action, the first sentence of another section when it
	// answers what the action does not: the meaning, for a meaning question
	// or a code that only the meaning section names; any section, when it
	// holds the best passage of the whole question and matches it clearly
	// better than the action ("how fast must we respond to a SEV1": the
	// targets, then what to do).
	lead := -1
	if meaning >= 0 && (it == intentMeaning || (hasCodeStem(secs[meaning], stems) && !hasCodeStem(secs[action], stems))) {
		lead = meaning
	} else {
		for i, sec := range secs {
			if i == action || sec.Kind == SectionCustomer || matched[i] < 0.99 {
				continue
			}
			if _, sc := bestOf(sec, stems, w); sc >= 2 && sc > actScore+1 {
				lead = i
			}
		}
	}
	if lead >= 0 {
		i, _ := bestOf(secs[lead], stems, w)
		if it == intentMeaning && lead == meaning {
			i = firstBest(secs[lead], stems, w)
		}
		out = firstSentence(secs[lead].Passages[i]) + " " + out
	}
	return truncate(out, maxPassageText)
}

// firstBest is the index of the best passage of s, preferring the first
// one when none matches the question (it usually says what the code is).
func firstBest(s Section, stems []string, w stemWeights) int {
	i, sc := bestOf(s, stems, w)
	if sc <= 0 || i < 0 {
		return 0
	}
	return i
}

// hasCodeStem reports whether a passage of s holds one of the question's
// codes (a stem with a digit).
func hasCodeStem(s Section, stems []string) bool {
	for _, p := range s.Passages {
		low := strings.ToLower(p)
		for _, st := range stems {
			if st != "" && strings.ContainsAny(st, "0123456789") && strings.Contains(low, st) {
				return true
			}
		}
	}
	return false
}

// firstSentence returns s up to its first full stop (at most ~140 bytes).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 && i < 140 {
		return s[:i+1]
	}
	return truncate(s, 140)
}

// linkCodes adds to stems the codes named by the meaning passage that
// matches the question best among those naming codes (with two of the
// question's words at least), so that a question in words finds the action
// about its code: "insufficient funds on an ACH debit" matches the cause
// "Funds: R01 insufficient funds, R09 …", and the action for R01 is then
// the one shown. Only letters-and-digits codes (R01, AM04) and snake_case
// codes are linked; bare numbers are too ambiguous.
func linkCodes(secs []Section, stems []string) []string {
	var best []string
	bestScore := 1.0
	for _, s := range secs {
		if s.Kind != SectionMeaning {
			continue
		}
		for _, p := range s.Passages {
			if !strings.ContainsAny(p, "0123456789_") {
				continue // no code to link
			}
			var codes []string
			for _, tok := range splitRawTokens(p) {
				if (isLetterDigit(tok) || strings.Contains(tok, "_")) && looksLikeCode(tok) {
					codes = append(codes, strings.ToLower(tok))
				}
			}
			if len(codes) == 0 {
				continue
			}
			if sc := passageScore(p, stems, nil); sc > bestScore {
				best, bestScore = codes, sc
			}
		}
	}
	if best == nil {
		return stems
	}
	out := stems
	seen := map[string]bool{}
	for _, st := range stems {
		seen[st] = true
	}
	for _, c := range best {
		if !seen[c] {
			seen[c] = true
			if len(out) == len(stems) {
				out = append([]string(nil), stems...)
			}
			out = append(out, c)
		}
	}
	return out
}

package incidents

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paybot/paybot/incidents/redact"
)

// MaxTextLen caps a text answer, in bytes. Chat platforms cap messages
// well below this; the cap guards the summary and the store.
const MaxTextLen = 4000

// Parse validates a reply to s and returns the answer. The text has already
// been redacted by the engine. A refused answer is an *AnswerError naming
// the step, the reason and an example. now and loc are used by time steps;
// loc may be nil (UTC). Intake commands (skip, back, cancel) are handled by
// Flow.Answer, not here.
func (s Step) Parse(text string, now time.Time, loc *time.Location) (Answer, error) {
	a, err := s.parse(text, now, loc)
	if err != nil {
		ae, ok := err.(*AnswerError)
		if !ok {
			ae = &AnswerError{Reason: err.Error()}
		}
		ae.Step = s.ID
		if ae.Example == "" {
			ae.Example = s.Example
		}
		return Answer{}, ae
	}
	a.Step = s.ID
	return a, nil
}

func (s Step) parse(text string, now time.Time, loc *time.Location) (Answer, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
	}
	if text == "" {
		return Answer{}, &AnswerError{Reason: "Please type an answer."}
	}
	if len(text) > MaxTextLen {
		return Answer{}, &AnswerError{Reason: fmt.Sprintf("That answer is too long (at most %d characters); please shorten it.", MaxTextLen)}
	}
	switch s.Kind {
	case KindChoice:
		return s.parseChoice(text)
	case KindMulti:
		return s.parseMulti(text)
	case KindText:
		if err := s.matchPattern(text); err != nil {
			return Answer{}, err
		}
		a := Answer{Display: text}
		if s.ID == StepErrorMessages {
			a.Codes = ExtractCodes(text)
		}
		return a, nil
	case KindList:
		items, err := s.parseList(text)
		if err != nil {
			return Answer{}, err
		}
		return Answer{Display: strings.Join(items, ", "), Values: items}, nil
	case KindTime:
		t, err := ParseTime(text, now, loc)
		if err != nil {
			return Answer{}, err
		}
		return Answer{Display: formatStarted(t, now), Time: &t}, nil
	case KindPercent:
		im, err := ParseImpact(text)
		if err != nil {
			return Answer{}, err
		}
		return Answer{Display: im.String(), Impact: &im}, nil
	case KindConfirm:
		return parseConfirm(text)
	}
	return Answer{}, &AnswerError{Reason: fmt.Sprintf("This step has an unknown kind %q; please tell an admin.", s.Kind)}
}

func formatStarted(t, now time.Time) string {
	d := now.Sub(t)
	ago := ""
	switch {
	case d < time.Minute:
		ago = "just now"
	case d < time.Hour:
		ago = fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		ago = fmt.Sprintf("%.1f h ago", d.Hours())
		ago = strings.Replace(ago, ".0 h", " h", 1)
	default:
		ago = fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
	return t.Format("2006-01-02 15:04 MST") + " (" + ago + ")"
}

// --- patterns ---

var patternCache sync.Map // string -> *regexp.Regexp or error

func compilePattern(p string) (*regexp.Regexp, error) {
	if v, ok := patternCache.Load(p); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		patternCache.Store(p, err)
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}

func (s Step) matchPattern(text string) error {
	if s.Pattern == "" {
		return nil
	}
	re, err := compilePattern(s.Pattern)
	if err != nil {
		return &AnswerError{Reason: "This step's pattern is broken; please tell an admin."}
	}
	if !re.MatchString(text) {
		return &AnswerError{Reason: fmt.Sprintf("%q does not have the expected form.", clip(text, 60))}
	}
	return nil
}

// --- choices ---

// normKey reduces a label to lower-case letters and digits, so that
// "Authorize.Net", "authorize net" and "AUTHORIZENET" compare equal.
func normKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// matchChoice finds the choice text names: its 1-based number, its value,
// label or an alias (any case, punctuation ignored), or an unambiguous
// prefix of at least three letters. It returns -1 when nothing fits.
func matchChoice(choices []Choice, text string) int {
	t := strings.TrimSpace(text)
	t = strings.TrimRight(t, ".!)")
	t = strings.TrimPrefix(t, "#")
	if i := matchChoiceExact(choices, t); i >= 0 {
		return i
	}
	if _, err := strconv.Atoi(t); err == nil {
		return -1
	}
	k := normKey(t)
	if len(k) < 3 {
		return -1
	}
	// A unique prefix of a value or label is enough ("prod", "check").
	found := -1
	for i, c := range choices {
		if strings.HasPrefix(normKey(c.Value), k) || strings.HasPrefix(normKey(c.Label), k) {
			if found >= 0 && found != i {
				return -1
			}
			found = i
		}
	}
	return found
}

func choiceLabel(c Choice) string {
	if c.Label != "" {
		return c.Label
	}
	return c.Value
}

func choiceList(choices []Choice) string {
	parts := make([]string, len(choices))
	for i, c := range choices {
		parts[i] = fmt.Sprintf("%d. %s", i+1, choiceLabel(c))
	}
	return strings.Join(parts, ", ")
}

func (s Step) parseChoice(text string) (Answer, error) {
	if i := matchChoice(s.Choices, text); i >= 0 {
		c := s.Choices[i]
		return Answer{Display: choiceLabel(c), Values: []string{c.Value}}, nil
	}
	if s.AllowOther {
		if g, ok := FindGateway(text); ok && s.ID == StepProvider {
			return Answer{Display: g.Name, Values: []string{g.ID}}, nil
		}
		t := strings.Join(strings.Fields(text), " ")
		if _, err := strconv.Atoi(t); err == nil {
			return Answer{}, &AnswerError{Reason: fmt.Sprintf("There is no option %s; pick 1 to %d or type a name.", t, len(s.Choices))}
		}
		if utf8.RuneCountInString(t) > 80 {
			return Answer{}, &AnswerError{Reason: "That name is too long; type just the provider's name."}
		}
		if err := s.matchPattern(t); err != nil {
			return Answer{}, err
		}
		return Answer{Display: t, Values: []string{t}}, nil
	}
	var labels []string
	for _, c := range s.Choices {
		labels = append(labels, choiceLabel(c))
	}
	if near := Nearest(text, labels); near != "" {
		return Answer{}, &AnswerError{Reason: fmt.Sprintf("%q is not one of the options; did you mean %s? Reply with a number or a name: %s.", clip(text, 40), near, choiceList(s.Choices))}
	}
	return Answer{}, &AnswerError{Reason: fmt.Sprintf("%q is not one of the options. Reply with a number or a name: %s.", clip(text, 40), choiceList(s.Choices))}
}

var reMultiSep = regexp.MustCompile(`(?i)[,;/&+\n]|\band\b|\bor\b`)

func (s Step) parseMulti(text string) (Answer, error) {
	switch strings.ToLower(strings.TrimRight(strings.TrimSpace(text), ".!")) {
	case "all", "all of them", "everything", "any", "all methods":
		var vals, labels []string
		for _, c := range s.Choices {
			if c.Value == "other" {
				continue
			}
			vals = append(vals, c.Value)
			labels = append(labels, choiceLabel(c))
		}
		return Answer{Display: strings.Join(labels, ", "), Values: vals}, nil
	}
	var picked []int
	var unknown []string
	for _, seg := range reMultiSep.Split(text, -1) {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		if i := matchChoice(s.Choices, seg); i >= 0 {
			picked = append(picked, i)
			continue
		}
		// "visa mastercard apple pay" or "1 3": take the longest run of
		// words that names a choice, then carry on after it. Words that
		// name nothing stay together ("apple cash" is one method).
		words := strings.Fields(seg)
		var run []string
		flush := func() {
			if len(run) > 0 {
				unknown = append(unknown, strings.Join(run, " "))
				run = nil
			}
		}
		for j := 0; j < len(words); {
			found := false
			for k := len(words); k > j; k-- {
				if k-j > 4 {
					continue
				}
				if i := matchChoiceExact(s.Choices, strings.Join(words[j:k], " ")); i >= 0 {
					flush()
					picked = append(picked, i)
					j = k
					found = true
					break
				}
			}
			if !found {
				run = append(run, words[j])
				j++
			}
		}
		flush()
	}
	others, bad := s.otherMethods(unknown, &picked)
	if len(bad) > 0 {
		return Answer{}, &AnswerError{Reason: fmt.Sprintf("I don't know %s. Pick numbers or names separated by commas: %s.", quoteList(bad), choiceList(s.Choices))}
	}
	if len(picked) == 0 && len(others) == 0 {
		return Answer{}, &AnswerError{Reason: "Please pick at least one option: " + choiceList(s.Choices) + "."}
	}
	seen := map[int]bool{}
	var vals, labels []string
	for _, i := range picked {
		if seen[i] {
			continue
		}
		seen[i] = true
		vals = append(vals, s.Choices[i].Value)
		labels = append(labels, choiceLabel(s.Choices[i]))
	}
	for _, o := range others {
		if !containsFold(vals, o) {
			vals = append(vals, o)
			labels = append(labels, otherLabel(o))
		}
	}
	return Answer{Display: strings.Join(labels, ", "), Values: vals}, nil
}

// otherValue is the value of the catch-all choice of a multi-choice step.
const otherValue = "other"

// otherLabel shows a method kept by name under Other.
func otherLabel(name string) string { return "Other (" + name + ")" }

// otherMethods sorts the names a multi-choice answer did not recognise: a
// near miss of a choice picks it ("mastercad"), "others" or "etc." picks
// Other, and on a step with an Other choice an unknown name of at most
// three words is kept as typed ("Klarna", "Apple Cash"), so the method
// goes to Other with its name. The rest (numbers out of range, sentences,
// any unknown name on a step without Other) are bad.
func (s Step) otherMethods(unknown []string, picked *[]int) (others, bad []string) {
	otherIdx := -1
	var labels []string
	for i, c := range s.Choices {
		if c.Value == otherValue {
			otherIdx = i
		}
		labels = append(labels, choiceLabel(c))
	}
	for _, u := range unknown {
		u = strings.Trim(strings.Join(strings.Fields(u), " "), ".!?\"'()")
		k := normKey(u)
		switch {
		case k == "":
			continue
		case otherIdx >= 0 && (k == "others" || k == "etc" || k == "andothers" || k == "more"):
			*picked = append(*picked, otherIdx)
			continue
		}
		if near := Nearest(u, labels); near != "" {
			for i, c := range s.Choices {
				if choiceLabel(c) == near {
					*picked = append(*picked, i)
				}
			}
			continue
		}
		if otherIdx < 0 || isDigits(k) || len(strings.Fields(u)) > 3 || len(u) > 40 || strings.IndexFunc(u, unicode.IsLetter) < 0 {
			bad = append(bad, u)
			continue
		}
		others = append(others, u)
	}
	return others, bad
}

// matchChoiceExact is matchChoice without prefix matching, used when
// splitting words, where a prefix would swallow too much.
func matchChoiceExact(choices []Choice, text string) int {
	if n, err := strconv.Atoi(text); err == nil {
		if n >= 1 && n <= len(choices) {
			return n - 1
		}
		return -1
	}
	k := normKey(text)
	if k == "" {
		return -1
	}
	for i, c := range choices {
		if normKey(c.Value) == k || normKey(c.Label) == k {
			return i
		}
		for _, a := range c.Aliases {
			if normKey(a) == k {
				return i
			}
		}
	}
	return -1
}

func quoteList(items []string) string {
	q := make([]string, 0, len(items))
	for i, it := range items {
		if i == 5 {
			q = append(q, "…")
			break
		}
		q = append(q, strconv.Quote(clip(it, 30)))
	}
	return strings.Join(q, ", ")
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// --- confirm ---

func parseConfirm(text string) (Answer, error) {
	t := strings.ToLower(strings.Join(strings.Fields(strings.TrimRight(text, ".!")), " "))
	switch t {
	case "yes", "y", "confirm", "ok", "okay", "yep", "yeah", "correct", "looks good", "lgtm", "open", "open it", "submit", "go":
		return Answer{Display: "yes", Values: []string{"yes"}}, nil
	case "edit", "no", "n", "change", "fix", "nope":
		return Answer{Display: "edit", Values: []string{"edit"}}, nil
	}
	for _, p := range []string{"edit ", "change ", "fix "} {
		if strings.HasPrefix(t, p) {
			target := strings.TrimSpace(strings.TrimPrefix(t, p))
			return Answer{Display: "edit " + target, Values: []string{"edit", target}}, nil
		}
	}
	return Answer{}, &AnswerError{Reason: "Reply yes to open the incident, edit to change an answer, or cancel."}
}

// --- impact ---

const impactExample = "30%, 0.5%, all, some, or unknown"

// ParseImpact reads how much traffic fails: "30%", "30", "30 percent",
// "0.5%", "20-30%" (the upper bound counts), "1 in 10", "all" or "100%",
// "some", "unknown". Percentages run from 0 to 100; 100 is reported as
// ImpactAll. Errors are *AnswerError.
func ParseImpact(text string) (Impact, error) {
	t := strings.ToLower(strings.Join(strings.Fields(text), " "))
	t = strings.TrimRight(t, ".!")
	switch t {
	case "all", "100%", "everything", "every", "every payment", "all payments", "all transactions", "all of them",
		"total", "complete", "full", "full outage", "total outage", "nothing works", "nothing is working", "100 %":
		return Impact{Kind: ImpactAll}, nil
	case "some", "a few", "few", "partial", "intermittent", "intermittently", "some of them", "several", "a lot", "many",
		"most", "some payments", "some transactions", "sporadic", "random":
		return Impact{Kind: ImpactSome}, nil
	case "unknown", "not sure", "unsure", "don't know", "dont know", "do not know", "dunno", "idk", "?", "n/a", "na",
		"no idea", "not known", "unclear", "can't tell", "cant tell":
		return Impact{Kind: ImpactUnknown}, nil
	case "":
		return Impact{}, &AnswerError{Reason: "Please say how much is failing.", Example: impactExample}
	}
	p, ok, aerr := readShare(t)
	if aerr != nil {
		return Impact{}, aerr
	}
	if !ok {
		return Impact{}, &AnswerError{Reason: "I could not read that as a share of payments.", Example: impactExample}
	}
	if p < 0 || p > 100 || math.IsNaN(p) {
		return Impact{}, &AnswerError{Reason: "A percentage runs from 0 to 100.", Example: impactExample}
	}
	return percentImpact(p), nil
}

func percentImpact(p float64) Impact {
	p = math.Round(p*100) / 100
	if p >= 100 {
		return Impact{Kind: ImpactAll}
	}
	return Impact{Kind: ImpactPercent, Percent: p}
}

// --- transaction ids ---

var reTxnID = regexp.MustCompile(`^[A-Za-z0-9_\-:.]{3,128}$`)

const cardReason = "That looks like a card number — never paste card numbers; use the gateway's transaction id such as ch_… or pi_…"

// ValidateTransactionID checks one transaction id: 3 to 128 letters,
// digits and _-:. with at least one letter or digit. It refuses anything
// that is or looks like a (masked) card number. Errors are *AnswerError.
func ValidateTransactionID(id string) error {
	id = strings.TrimSpace(id)
	if strings.Contains(id, "•") || strings.Contains(id, "****") || redact.IsCardNumber(id) {
		return &AnswerError{Reason: cardReason + "."}
	}
	if !reTxnID.MatchString(id) {
		if utf8.RuneCountInString(id) < 3 {
			return &AnswerError{Reason: fmt.Sprintf("%q is too short for a transaction id.", clip(id, 40)), Example: "ch_3NxYz1234"}
		}
		if len(id) > 128 {
			return &AnswerError{Reason: "That transaction id is too long (at most 128 characters).", Example: "ch_3NxYz1234"}
		}
		return &AnswerError{Reason: fmt.Sprintf("%q does not look like a transaction id (letters, digits and _-:. only).", clip(id, 40)), Example: "ch_3NxYz1234"}
	}
	if strings.IndexFunc(id, func(r rune) bool { return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }) < 0 {
		return &AnswerError{Reason: fmt.Sprintf("%q does not look like a transaction id.", id), Example: "ch_3NxYz1234"}
	}
	return nil
}

var (
	reListSep  = regexp.MustCompile(`[,;\n\r]+`)
	reDigitRun = regexp.MustCompile(`\d[\d \t-]*\d`)
)

// parseList splits a list answer on commas, semicolons, newlines and
// spaces, and validates each item (as a transaction id on the
// transaction_ids step, against Pattern on any step). Before splitting it
// refuses card numbers, also when written in groups ("4242 4242 4242 4242"),
// and masked ones.
func (s Step) parseList(text string) ([]string, error) {
	if strings.Contains(text, "•") || containsCardNumber(text) {
		return nil, &AnswerError{Reason: cardReason + "."}
	}
	if strings.Contains(text, "[REDACTED") {
		return nil, &AnswerError{Reason: "That contains a secret (now masked) — never paste keys or tokens; give only the gateway's transaction ids, and rotate that secret."}
	}
	var items []string
	seen := map[string]bool{}
	for _, seg := range reListSep.Split(text, -1) {
		for _, it := range strings.Fields(seg) {
			it = strings.Trim(it, "\"'`()[]<>")
			if it == "" || seen[it] {
				continue
			}
			seen[it] = true
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return nil, &AnswerError{Reason: "Please give at least one item."}
	}
	if len(items) > 50 {
		return nil, &AnswerError{Reason: "That is a lot of items; give at most 50."}
	}
	for _, it := range items {
		if s.ID == StepTransactionIDs {
			if err := ValidateTransactionID(it); err != nil {
				return nil, err
			}
		}
		if err := s.matchPattern(it); err != nil {
			return nil, err
		}
	}
	return items, nil
}

// containsCardNumber reports whether text holds a card number, possibly
// written in groups separated by spaces or dashes.
func containsCardNumber(text string) bool {
	for _, run := range reDigitRun.FindAllString(text, 20) {
		groups := strings.FieldsFunc(run, func(r rune) bool { return r == ' ' || r == '\t' || r == '-' })
		if len(groups) > 40 {
			groups = groups[:40]
		}
		for i := range groups {
			digits := 0
			for j := i; j < len(groups); j++ {
				digits += len(groups[j])
				if digits > 19 {
					break
				}
				if digits >= 13 && redact.IsCardNumber(strings.Join(groups[i:j+1], " ")) {
					return true
				}
			}
		}
	}
	return false
}

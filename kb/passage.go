package kb

import (
	"strings"
)

// Passages.
//
// An article is split into sections by its "## " headings, and each
// section into passages (its bullet points or paragraphs). A search ranks
// whole articles (BM25 over the article, so the eval figures keep their
// meaning) and then shows the passage of the best hit that answers the
// question best: the passage holding most of the question's codes and
// words, preferring the "What to do" section, and always so when the
// question asks what to do, whether to retry or how to fix something.
// When the question asks what something means, the first sentence of the
// meaning section comes before the action.

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

// Intent of a question, for the choice of passage.
type intent int

const (
	intentAny     intent = iota
	intentAction         // what to do, can we retry, how to fix
	intentMeaning        // what does it mean, why
)

var actionCues = []string{
	"what to do", "what do we do", "what do i do", "what should", "what now", "what next", "next step",
	"can we", "can i", "could we", "should we", "should i", "shall we", "do we", "may we", "is it ok",
	"retry", "re-try", "try again", "resubmit", "re-present", "represent", "how do", "how to", "how can",
	"how should", "fix", "resolve", "handle", "deal with", "recover", "stop", "prevent", "avoid", "workaround",
	"what can", "tell the customer", "next", "action", "mitigat", "unblock", "escalate",
}

var meaningCues = []string{"what does", "what is", "what's", "whats", "meaning", "mean ", "means", "explain", "why "}

func questionIntent(q string) intent {
	l := " " + strings.ToLower(q) + " "
	for _, c := range actionCues {
		if strings.Contains(l, c) {
			return intentAction
		}
	}
	for _, c := range meaningCues {
		if strings.Contains(l, c) {
			return intentMeaning
		}
	}
	return intentAny
}

// passage picks what a hit shows for a question. For an article with a
// "What to do" section it is the action passage that holds most of the
// question's codes and words; before it, when the question asks what
// something means (or names a code that the meaning section explains),
// comes the first sentence of the best meaning passage. Articles without
// sections, reference records, community answers and incidents show their
// best line (snippet).
func passage(body, question string, stems []string) string {
	secs := Sections(body)
	it := questionIntent(question)
	type cand struct {
		text  string
		score float64
		code  bool
	}
	var action, meaning, other *cand
	for _, s := range secs {
		for _, p := range s.Passages {
			low := strings.ToLower(p)
			c := cand{text: p}
			for _, st := range stems {
				if st == "" || !strings.Contains(low, st) {
					continue
				}
				c.score++
				if strings.ContainsAny(st, "0123456789") {
					c.score += 2 // the question's own code (R03, not R01)
					c.code = true
				}
			}
			var slot **cand
			switch s.Kind {
			case SectionAction:
				slot = &action
			case SectionMeaning:
				slot = &meaning
			default:
				slot = &other
			}
			if *slot == nil || c.score > (*slot).score {
				cc := c
				*slot = &cc
			}
		}
	}
	if action == nil {
		return snippet(body, stems)
	}
	out := action.text
	if it != intentAction && meaning != nil && (it == intentMeaning || (meaning.code && !action.code)) {
		out = firstSentence(meaning.text) + " " + out
	}
	return truncate(out, 360)
}

// firstSentence returns s up to its first full stop (at most ~140 bytes).
func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 && i < 140 {
		return s[:i+1]
	}
	return truncate(s, 140)
}

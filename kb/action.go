package kb

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/paybot/paybot/incidents/paycode"
)

// Actions for definitions.
//
// A reference record only defines its code ("R01: available balance is
// not sufficient…"), and so does an article without a "What to do"
// section. When such a hit is about a code and an article with a "What to
// do" section covers the same code (its codes, compared in paycode's
// canonical form, so R01 = r1 = R-01) in the same code family, the hit
// gets that article's best action for the code (Hit.Action): the bullet of
// its "What to do" section that names the code, or else the one that
// matches the question best, the same choice a search makes for the
// article's own snippet. This happens after ranking: no score changes.

// HitAction is what to do about a definition-only hit's code, from an
// article that covers the code.
type HitAction struct {
	Code      string `json:"code"`       // the code, canonical (paycode.Canonical): "r01", "51", "insufficient_funds"
	ArticleID string `json:"article_id"` // the article it comes from; the bot's show command prints it
	Title     string `json:"title"`      // the article's title
	URL       string `json:"url,omitempty"`
	Text      string `json:"text"` // the action sentence or two, at most maxActionText bytes (then "…")
}

// maxActionText is the longest action text a hit carries (bytes, before "…").
const maxActionText = 300

// maxActionArticles is the most articles one lookup reads (the codes field
// of a starter code is in 1 to 5 articles).
const maxActionArticles = 50

// actionFields are the stored fields an action lookup reads.
var actionFields = []string{"title", "kind", "url", "body", "codes", "provider", "psig"}

// hitCode is one code a definition-only hit is about: its canonical code
// and the code system it belongs to (the id prefix of a reference record,
// the provider of an article).
type hitCode struct {
	system, code string
}

// definitionCodes returns the codes that h is about when h is a
// definition-only hit (nil otherwise): for a reference record without an
// action section, the code of its id; for an article without one, those
// of its codes that the question types.
func definitionCodes(h *search.DocumentMatch, secs []Section, p queryPlan) []hitCode {
	kind := fieldString(h, "kind")
	if kind != KindReference && kind != KindArticle {
		return nil // community answers and past incidents are answers already
	}
	if secs == nil && hasSections(fieldString(h, "body")) {
		secs = Sections(fieldString(h, "body"))
	}
	for _, s := range secs {
		if s.Kind == SectionAction {
			return nil
		}
	}
	if kind == KindReference {
		i := strings.LastIndexByte(h.ID, ':')
		if i <= 0 {
			return nil
		}
		if c := canonCode(h.ID[i+1:]); c != "" {
			return []hitCode{{system: strings.ToLower(h.ID[:i]), code: c}}
		}
		return nil
	}
	asked := map[string]bool{}
	for _, u := range p.content {
		if u.code != "" {
			asked[u.code] = true
		}
	}
	sys := strings.ToLower(strings.TrimSpace(fieldString(h, "provider")))
	var out []hitCode
	for _, c := range fieldStrings(h, "codes") {
		if !strings.Contains(c, ":") && asked[c] {
			out = append(out, hitCode{system: sys, code: c})
		}
	}
	return out
}

// sameFamily reports whether an article of provider art covers the codes
// of system sys: the same paycode family when both have one (ISO 8583
// field 39 and ISO 8583:1993 action codes are different families, though
// both are "iso8583"), else the same vendor (systemFamily: "stripe-decline"
// and "stripe", "ach-return" and "ach"). An article for any provider
// covers no system's codes: a bare code such as 05 means different things
// in different systems.
func sameFamily(sys, art string) bool {
	fs, oks := paycode.FamilyOf(sys)
	fa, oka := paycode.FamilyOf(art)
	if oks && oka {
		return fs.Key == fa.Key
	}
	v := systemFamily(sys)
	return v != "" && v == systemFamily(art)
}

// actionCandidate is an article that may give a code its action.
type actionCandidate struct {
	h     *search.DocumentMatch
	secs  []Section
	codes map[string]bool // canonical codes, unqualified
}

// attachActions sets Hit.Action on the definition-only hits of res (ranked
// holds their matches, in the same order). One index query reads the
// articles holding any of their codes. Errors are the index's.
func (ix *Index) attachActions(ctx context.Context, res []Hit, ranked []*search.DocumentMatch, sc sectionCache, p queryPlan, stems []string) error {
	want := make([][]hitCode, len(ranked))
	terms := map[string]bool{}
	for i, h := range ranked {
		if i >= len(res) || res[i].Kind == KindIncident {
			continue
		}
		want[i] = definitionCodes(h, sc.of(h), p)
		for _, hc := range want[i] {
			terms[hc.code] = true
		}
	}
	if len(terms) == 0 {
		return nil
	}
	keys := make([]string, 0, len(terms))
	for t := range terms {
		keys = append(keys, t)
	}
	sort.Strings(keys)
	var qs []query.Query
	for _, t := range keys {
		tq := bleve.NewTermQuery(t)
		tq.SetField("codes")
		qs = append(qs, tq)
	}
	kq := bleve.NewTermQuery(KindArticle)
	kq.SetField("kind")
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(kq, bleve.NewDisjunctionQuery(qs...)), maxActionArticles, 0, false)
	req.Fields = actionFields
	sr, err := ix.alias.SearchInContext(ctx, req)
	if err != nil {
		return err
	}
	var cands []actionCandidate
	for _, h := range sr.Hits {
		secs := Sections(fieldString(h, "body"))
		has := false
		for _, s := range secs {
			has = has || s.Kind == SectionAction
		}
		if !has {
			continue
		}
		codes := map[string]bool{}
		for _, c := range fieldStrings(h, "codes") {
			if !strings.Contains(c, ":") {
				codes[c] = true
			}
		}
		cands = append(cands, actionCandidate{h: h, secs: secs, codes: codes})
	}
	for i, hcs := range want {
		for _, hc := range hcs {
			if a := bestAction(hc, cands, stems); a != nil {
				res[i].Action = a
				break
			}
		}
	}
	return nil
}

// bestAction picks the article that gives hc its action: among those of
// its family that hold the code, the one whose action section names the
// code, then the one with fewest codes (the article about that code rather
// than an overview), then by id; nil when none.
func bestAction(hc hitCode, cands []actionCandidate, stems []string) *HitAction {
	codeStems := actionStems(hc.code, stems)
	var best *actionCandidate
	bestNames := false
	for k := range cands {
		c := &cands[k]
		if !c.codes[hc.code] || !sameFamily(hc.system, codeSystem(Doc{Provider: fieldString(c.h, "provider")})) {
			continue
		}
		names := false
		for _, s := range c.secs {
			if s.Kind == SectionAction && namesCode(s, hc.code) {
				names = true
			}
		}
		switch {
		case best == nil,
			names && !bestNames,
			names == bestNames && len(c.codes) < len(best.codes),
			names == bestNames && len(c.codes) == len(best.codes) && c.h.ID < best.h.ID:
			best, bestNames = c, names
		}
	}
	if best == nil {
		return nil
	}
	// The article's best "What to do" section for the code and question,
	// and its best bullet there (passageOf's choice for an action question).
	sec, secScore := -1, -1.0
	for i, s := range best.secs {
		if s.Kind != SectionAction {
			continue
		}
		if _, sc := bestOf(s, codeStems, nil); sc > secScore {
			sec, secScore = i, sc
		}
	}
	s := best.secs[sec]
	var text string
	if namesCode(s, hc.code) {
		text = s.Passages[firstBest(s, codeStems, nil)]
	} else {
		text = sectionText(s, codeStems, nil)
	}
	return &HitAction{
		Code:      hc.code,
		ArticleID: best.h.ID,
		Title:     fieldString(best.h, "title"),
		URL:       fieldString(best.h, "url"),
		Text:      truncate(text, maxActionText),
	}
}

// actionStems are the question's stems with the code (and its words, for
// a snake_case code) added.
func actionStems(code string, stems []string) []string {
	out := append([]string(nil), stems...)
	for _, s := range []string{code, strings.ReplaceAll(code, "_", " ")} {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// namesCode reports whether a passage of s names code as a word ("R01/R09:
// …" names r01; "510" does not name 51).
func namesCode(s Section, code string) bool {
	for _, p := range s.Passages {
		for _, tok := range splitRawTokens(p) {
			if canonCode(tok) == code {
				return true
			}
		}
	}
	return false
}

package kb

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
	"github.com/paybot/paybot/incidents/paycode"
)

// ConfidenceThreshold is the share of a question's information (IDF-weighted
// content words) that the best hit must cover for a confident answer when no
// code in the question matched it. Calibrated on the dev questions, the
// starter questions and testdata/offtopic.jsonl (see TestConfidence).
const ConfidenceThreshold = 0.6

const maxLimit = 100

var hitFields = []string{"title", "kind", "url", "source", "body", "codes", "tags", "provider", "author", "created", "fix", "rootcause", "psig"}

// articleFields are the text and keyword fields the article query reads;
// their BM25 statistics are given for the articles alone (bm25Stats).
var articleFields = []string{"title", "body", "tags", "question", "fix", "rootcause", "provider", "codes"}

// Passages in the ranking (see passage.go and focusBonus).
const (
	// passageK is how many passages the passage query returns.
	passageK = 20
	// maxPulled is how many articles that missed the BM25 candidates a
	// strong passage (at least pullScore of the best passage's score) may
	// bring in.
	maxPulled = 2
	pullScore = 0.75
	// minPulledCoverage is the least share of the question that an article
	// brought in by a passage must hold to stay; pullBelow is the share
	// under which no candidate holds the question well enough, so that
	// passages are looked at to bring one in.
	minPulledCoverage = 0.5
	pullBelow         = 0.8
	// bonusFocus is added to a hit's re-ranked score times the share of the
	// question its title and best section hold; bonusFocusCode when the
	// question types a code (the code bonuses decide those, and the
	// code's own record should stay in front). Tuned on the dev questions,
	// testdata/starter-questions.jsonl and testdata/heldout-questions.jsonl.
	bonusFocus     = 1.2
	bonusFocusCode = 0.9
)

// readerStats answers termStats from one index snapshot.
type readerStats struct {
	ctx    context.Context
	vocab  *vocab
	r      index.IndexReader
	dicts  []index.FieldDictContains
	codes  index.FieldDictContains
	n      int // documents, passage documents excluded
	npass  int // passage documents
	dfs    map[string]int
	closed bool
}

func newReaderStats(ctx context.Context, idx bleve.Index) *readerStats {
	rs := &readerStats{ctx: ctx, dfs: map[string]int{}}
	adv, err := idx.Advanced()
	if err != nil {
		return rs
	}
	r, err := adv.Reader()
	if err != nil {
		return rs
	}
	rs.r = r
	if n, err := r.DocCount(); err == nil {
		rs.npass = int(passageCountIn(ctx, r))
		rs.n = max(int(n)-rs.npass, 0)
	}
	if rc, ok := r.(index.IndexReaderContains); ok {
		for _, f := range []string{"body", "title", "tags"} {
			if d, err := rc.FieldDictContains(f); err == nil {
				rs.dicts = append(rs.dicts, d)
			}
		}
		if d, err := rc.FieldDictContains("codes"); err == nil {
			rs.codes = d
		}
	}
	return rs
}

// bm25Stats are the BM25 statistics of a query over fields when the index
// holds n documents that have them: the passage documents count neither for
// the articles nor the articles for the passages, so a question scores an
// article as it would without passages. nil when the reader cannot tell.
func (rs *readerStats) bm25Stats(n int, fields []string) *search.BM25Stats {
	br, ok := rs.r.(index.BM25Reader)
	if !ok || n <= 0 {
		return nil
	}
	st := &search.BM25Stats{DocCount: float64(n), FieldCardinality: make(map[string]int, len(fields))}
	for _, f := range fields {
		c, err := br.FieldCardinality(f)
		if err != nil {
			return nil
		}
		st.FieldCardinality[f] = c
	}
	return st
}

// withStats returns ctx carrying st for bleve's term scorers (nil: ctx).
func withStats(ctx context.Context, st *search.BM25Stats) context.Context {
	if st == nil {
		return ctx
	}
	return context.WithValue(ctx, search.BM25StatsKey, st)
}

func (rs *readerStats) close() {
	if rs.r != nil && !rs.closed {
		rs.closed = true
		_ = rs.r.Close()
	}
}

func (rs *readerStats) known(stem string) bool {
	if rs.r == nil {
		return false
	}
	if len(rs.dicts) > 0 {
		for _, d := range rs.dicts {
			if ok, err := d.Contains([]byte(stem)); err == nil && ok {
				return true
			}
		}
		return false
	}
	return rs.df(stem) > 0
}

func (rs *readerStats) candidate(stem string) int {
	if rs.vocab != nil {
		return rs.vocab.m[stem]
	}
	if !rs.known(stem) {
		return 0
	}
	return max(rs.df(stem), 1)
}

func (rs *readerStats) knownCode(code string) bool {
	if rs.codes == nil || code == "" {
		return false
	}
	ok, err := rs.codes.Contains([]byte(code))
	return err == nil && ok
}

func (rs *readerStats) df(stem string) int {
	if rs.r == nil {
		return 0
	}
	if v, ok := rs.dfs[stem]; ok {
		return v
	}
	best := 0
	for _, f := range []string{"body", "title", "tags"} {
		tfr, err := rs.r.TermFieldReader(rs.ctx, []byte(stem), f, false, false, false)
		if err != nil {
			continue
		}
		if c := int(tfr.Count()); c > best {
			best = c
		}
		_ = tfr.Close()
	}
	rs.dfs[stem] = best
	return best
}

// fieldDF is the number of documents whose field holds the stemmed term.
func (rs *readerStats) fieldDF(stem, field string) int {
	if rs.r == nil || stem == "" {
		return 0
	}
	tfr, err := rs.r.TermFieldReader(rs.ctx, []byte(stem), field, false, false, false)
	if err != nil {
		return 0
	}
	defer tfr.Close()
	return int(tfr.Count())
}

// idf is the BM25 inverse document frequency.
func (rs *readerStats) idf(stem string) float64 {
	n := float64(rs.n)
	if n < 1 {
		n = 1
	}
	df := float64(0)
	if stem != "" {
		df = float64(rs.df(stem))
	}
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// commonDF is the document frequency above which a word is "common" (in
// more than 1% of the documents and more than 1,000 of them): when a
// question also has rarer words or codes, common words are left out of the
// query. BM25 gives them little weight, and walking their postings is most
// of the cost of a query on a large index. A knowledge base of a few
// thousand documents has no common words.
func commonDF(n int) int {
	return max(1000, n/100)
}

// buildQuery turns a plan into a bleve query (nil when nothing is left).
func buildQuery(p queryPlan, ts termStats, n int) query.Query {
	var must, should []query.Query
	limit := commonDF(n)
	match := func(words []string, field string, boost float64) {
		var rare, common []string
		for _, w := range words {
			st := w
			if allLetters(w) {
				st = stem(w)
			}
			if ts != nil && ts.df(st) > limit {
				common = append(common, w)
			} else {
				rare = append(rare, w)
			}
		}
		add := func(ws []string, to *[]query.Query) {
			if len(ws) == 0 {
				return
			}
			m := bleve.NewMatchQuery(strings.Join(ws, " "))
			m.SetField(field)
			m.SetBoost(boost)
			*to = append(*to, m)
		}
		add(rare, &must)
		add(common, &should)
	}
	text := append(append([]string{}, p.words...), p.extra...)
	match(text, "title", boostTitle)
	match(text, "body", boostBody)
	match(text, "tags", boostTags)
	match(text, "question", boostQuestion)
	match(text, "fix", boostFix)
	match(text, "rootcause", boostRootCause)
	match(p.syn, "title", boostTitle*boostSynonym)
	match(p.syn, "body", boostBody*boostSynonym)
	match(p.syn, "tags", boostTags*boostSynonym)
	for _, w := range append(append([]string{}, p.words...), p.syn...) {
		if knownProviders[w] {
			t := bleve.NewTermQuery(w)
			t.SetField("provider")
			t.SetBoost(boostProvider)
			should = append(should, t)
		}
	}
	for _, c := range p.codes {
		t := bleve.NewTermQuery(c.term)
		t.SetField("codes")
		t.SetBoost(c.boost)
		must = append(must, t)
	}
	switch {
	case len(must) == 0 && len(should) == 0:
		return nil
	case len(must) == 0:
		return bleve.NewDisjunctionQuery(should...)
	case len(should) == 0:
		return bleve.NewDisjunctionQuery(must...)
	}
	return bleve.NewDisjunctionQuery(must...)
}

// Search answers a question with up to limit hits (default 5) and a
// confidence decision.
func (ix *Index) Search(ctx context.Context, q string, limit int) (Result, error) {
	res, _, err := ix.search(ctx, q, limit)
	return res, err
}

// search also returns the coverage behind the confidence decision.
func (ix *Index) search(ctx context.Context, q string, limit int) (res Result, cov float64, err error) {
	res = Result{Query: q, Hits: []Hit{}}
	if ix.closed.Load() {
		return res, 0, ErrClosed
	}
	if limit <= 0 {
		limit = 5
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	g := ix.cur.Load()
	rs := newReaderStats(ctx, g.idx)
	defer rs.close()
	rs.vocab = ix.getVocab(g)
	plan := analyzeQuery(q, rs)
	plan.action = questionIntent(q) == intentAction
	bq := buildQuery(plan, rs, rs.n)
	if bq == nil {
		return res, 0, nil
	}
	k := max(limit+5, 10)
	req := bleve.NewSearchRequestOptions(bq, k, 0, false)
	req.Fields = hitFields
	actx := ctx
	if rs.npass > 0 {
		actx = withStats(ctx, rs.bm25Stats(rs.n, articleFields))
	}
	sr, err := ix.alias.SearchInContext(actx, req)
	if err != nil {
		return res, 0, err
	}
	hits := sr.Hits
	// The share of the question each candidate holds in one place (its
	// title and best section); the passages are searched when a candidate
	// has sections (which of them matched chooses what it shows), and may
	// bring in articles when no candidate holds most of the question.
	sc := sectionCache{}
	covs := make(map[string]float64, len(hits))
	best, sectioned := 0.0, false
	for _, h := range hits {
		c := focusCoverage(plan, rs, h, sc)
		covs[h.ID] = c
		best = math.Max(best, c)
		sectioned = sectioned || fieldString(h, "psig") != ""
	}
	var pm passageMatches
	if pull := best < pullBelow; rs.npass > 0 && (sectioned || pull) {
		var pulled search.DocumentMatchCollection
		pm, pulled, err = ix.matchPassages(ctx, plan, rs, hits, sc, pull)
		if err != nil {
			return res, 0, err
		}
		for _, h := range pulled {
			if c := focusCoverage(plan, rs, h, sc); c >= minPulledCoverage {
				covs[h.ID] = c
				hits = append(hits, h)
			}
		}
	}
	ranked := rerank(plan, hits, focusBonus(plan, covs))
	if len(ranked) > limit {
		ranked = ranked[:limit]
	}
	an := g.idx.Mapping().AnalyzerNamed(analyzerText)
	stems := queryStems(plan)
	for _, h := range ranked {
		hit := Hit{
			ID:      h.ID,
			Title:   fieldString(h, "title"),
			Kind:    fieldString(h, "kind"),
			Score:   math.Round(h.Score*1e4) / 1e4,
			URL:     hitURL(h),
			Source:  fieldString(h, "source"),
			Author:  fieldString(h, "author"),
			Created: fieldString(h, "created"),
		}
		if hit.Kind == KindIncident && (fieldString(h, "fix") != "" || fieldString(h, "rootcause") != "") {
			hit.Snippet = incidentSnippet(fieldString(h, "fix"), fieldString(h, "rootcause"))
		} else {
			hit.Snippet = passageOf(sc.of(h), fieldString(h, "title"), fieldString(h, "body"), q, stems, pm.sections[h.ID])
		}
		res.Hits = append(res.Hits, hit)
	}
	if err := ix.attachActions(ctx, res.Hits, ranked, sc, plan, stems); err != nil {
		return res, 0, err
	}
	if len(ranked) > 0 {
		cov = coverage(plan, ranked[0], rs, an)
		learned := fieldString(ranked[0], "kind") == KindCommunity && questionSimilarity(plan, fieldString(ranked[0], "title")) >= learnedFirst
		if nearTopic(q) && !typedCodeMatch(plan, ranked[0]) && !learned {
			// personal finance, markets, company facts: never an answer,
			// unless the question types a code that the best hit holds
			// (a word that happens to be a code, like "bank account",
			// does not count), or someone answered this very question
			// (a learned answer: "how do I reset my 2fa device?")
			cov = math.Min(cov, ConfidenceThreshold*0.9)
		}
		res.Confident = cov >= ConfidenceThreshold
	}
	return res, cov, nil
}

func fieldString(h *search.DocumentMatch, f string) string {
	switch v := h.Fields[f].(type) {
	case string:
		return v
	case []interface{}:
		var parts []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, " ")
	}
	return ""
}

func fieldStrings(h *search.DocumentMatch, f string) []string {
	switch v := h.Fields[f].(type) {
	case string:
		return []string{v}
	case []interface{}:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// coverage decides whether the best hit is an answer (confident when
// coverage >= ConfidenceThreshold):
//
//   - 1 when a code of the question (typed as a code, or a phrase that is a
//     code) is one of the hit's codes;
//   - else c, the IDF-weighted share of the question's content words (or
//     their synonyms) that occur in the hit, when the hit matches at least
//     one payments word of the question (domainWords) and c >= 0.2;
//   - else c scaled down, so that generic matches ("reset my laptop
//     password" against an API-key article) need a very high share.
func coverage(p queryPlan, top *search.DocumentMatch, rs *readerStats, an analysis.Analyzer) float64 {
	codes := map[string]bool{}
	for _, c := range fieldStrings(top, "codes") {
		codes[c] = true
	}
	for _, c := range p.codes {
		if c.strong && codes[c.term] {
			return 1
		}
	}
	if len(p.content) == 0 {
		return 0
	}
	// A question about a code that the best hit does not hold is not
	// answered by it, however many other words match ("action code 116"
	// against action code 021).
	askedCode, codeMatched := false, false
	for _, u := range p.content {
		// Only codes with a digit (05, 116, R01): a snake-case word such
		// as sk_live is as likely a name as a code.
		if u.code != "" && !u.weak && strings.ContainsAny(u.code, "0123456789") {
			askedCode = true
			codeMatched = codeMatched || codes[u.code]
		}
	}
	terms := map[string]bool{}
	if an != nil {
		text := fieldString(top, "title") + "\n" + fieldString(top, "tags") + "\n" + fieldString(top, "body")
		for _, t := range an.Analyze([]byte(text)) {
			terms[string(t.Term)] = true
		}
	}
	var have, total, wordHave float64
	wordsHave := 0 // content words (not numbers, not codes) the hit holds
	// typed: a word matched as typed, or corrected into a payments word
	domain, typed := false, false
	for _, u := range p.content {
		if u.code != "" {
			w := rs.idf("")
			total += w
			if codes[u.code] {
				have += w
				domain = domain || !u.weak
			}
			continue
		}
		if !allLetters(u.word) && !isDigits(u.word) {
			continue // 100x, 2pm, 500s: no evidence either way
		}
		w := rs.idf(u.stem)
		if u.fixed {
			w *= 0.75
		}
		total += w
		if terms[u.stem] || altMatch(u.alts, terms) {
			have += w
			if !isDigits(u.word) {
				wordHave += w
				wordsHave++
			}
			typed = typed || !u.fixed || domainStems[u.stem] || domainStems[u.word]
			// a typo fixed into a long payments word ("chargebak") is
			// evidence too; a short one may be an everyday word that
			// happens to sit one edit away ("lunch", "launch")
			if (!u.fixed || len(u.word) >= 8) && (domainStems[u.stem] || domainStems[u.word]) {
				domain = true
			}
		}
	}
	if total == 0 {
		return 0
	}
	c := have / total
	if askedCode && !codeMatched || !typed {
		// only typo corrections into everyday words matched ("lunch?" read
		// as "launch"): no evidence that the question is about payments
		return math.Min(c, ConfidenceThreshold*0.9)
	}
	switch {
	case domain && c >= 0.2:
		return math.Max(c, ConfidenceThreshold)
	case domain:
		return c
	case wordHave == 0:
		return 0 // only bare numbers matched ("what's 2+2"): no evidence of a payments question
	case wordsHave < 2:
		// one everyday word, however rare ("the meaning of life"
		// against "invalid auth life cycle"): no evidence either
		return math.Min(c*0.75, ConfidenceThreshold*0.9)
	}
	return c * 0.75
}

// typedCodeMatch reports whether the question types a code (not a phrase
// that happens to be one) that the hit holds.
func typedCodeMatch(p queryPlan, top *search.DocumentMatch) bool {
	codes := fieldStrings(top, "codes")
	for _, c := range p.codes {
		if !c.strong || c.bonus < bonusCode {
			continue
		}
		for _, dc := range codes {
			if dc == c.term {
				return true
			}
		}
	}
	return false
}

// queryStems are the lower-case stems and codes that passage selection
// looks for in a hit's text: each content unit, and the words of its
// multi-word synonyms ("nsf" also looks for "insufficient funds").
func queryStems(p queryPlan) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, u := range p.content {
		switch {
		case u.code != "":
			add(u.code)
			add(strings.ReplaceAll(u.code, "_", " "))
			if isDigits(u.code) && len(u.code) >= 4 {
				// 20051 is one of the "20xxx" codes, 2046 of the "2xxx"
				add(u.code[:len(u.code)-3] + "xxx")
			}
		case u.stem != "":
			add(u.stem)
		}
		for _, alt := range u.alts {
			if len(alt) > 1 {
				for _, st := range alt {
					if len(st) >= 4 { // "e check" adds "check", never "e"
						add(st)
					}
				}
			}
		}
	}
	return out
}

// snippet picks the body line (or two short ones) that holds most query
// words, stripped of Markdown markup, at most ~240 characters.
func snippet(body string, stems []string) string {
	lines := strings.Split(body, "\n")
	best, bestScore := -1, -1
	for i, l := range lines {
		l = cleanLine(l)
		if l == "" || strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
			continue
		}
		low := strings.ToLower(l)
		s := 0
		for _, st := range stems {
			if st != "" && strings.Contains(low, st) {
				s++
			}
		}
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		return ""
	}
	out := cleanLine(lines[best])
	if len(out) < 120 {
		for j := best + 1; j < len(lines); j++ {
			if strings.HasPrefix(strings.TrimSpace(lines[j]), "#") {
				break
			}
			if n := cleanLine(lines[j]); n != "" {
				out += " " + n
				break
			}
		}
	}
	return truncate(out, 240)
}

func cleanLine(l string) string {
	l = strings.TrimSpace(l)
	l = strings.TrimLeft(l, "#>*-+ \t")
	l = strings.ReplaceAll(l, "`", "")
	l = strings.ReplaceAll(l, "**", "")
	return strings.TrimSpace(l)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(s[:cut], ' '); sp > n/2 {
		cut = sp
	}
	return strings.TrimRight(s[:cut], " ,;:") + "…"
}

// rerank re-scores BM25 candidates: the BM25 score normalised by the best
// one, plus bonuses for codes of the question that the document holds
// (typed codes, codes qualified by the system the question names, phrases
// that are codes), for belonging to a code system the question names, and
// for being the reference record of a typed code. BM25's coord factor
// favours long articles that match many words; the bonuses make an exact
// code match count for more than that.
//
// focus adds each hit's focus bonus (focusBonus); it may be nil. A hit
// penalised for belonging to another provider or system gets none.
func rerank(p queryPlan, hits search.DocumentMatchCollection, focus map[string]float64) []*search.DocumentMatch {
	if len(hits) == 0 {
		return nil
	}
	max := 0.0
	for _, h := range hits {
		if h.Score > max {
			max = h.Score
		}
	}
	if max <= 0 {
		max = 1
	}
	out := make([]*search.DocumentMatch, len(hits))
	for i, h := range hits {
		out[i] = h
		codes := fieldStrings(h, "codes")
		var bonus float64
		typed := false
		for _, c := range p.codes {
			if c.bonus == 0 {
				continue
			}
			for _, dc := range codes {
				if dc == c.term {
					bonus += c.bonus
					if c.bonus >= bonusCode {
						typed = true
					}
					break
				}
			}
		}
		if bonus > maxCodeBonus {
			bonus = maxCodeBonus
		}
		sys := codeSystem(Doc{ID: h.ID, Provider: fieldString(h, "provider")})
		if sys != "" && p.named[sys] {
			bonus += bonusSystem
		}
		fb := focus[h.ID]
		if f := systemFamily(sys); f != "" && len(p.families) > 0 && !p.families[f] {
			bonus -= penaltyOther
			fb = 0 // another provider's document answers another question
		}
		kind := fieldString(h, "kind")
		if kind == KindCommunity {
			// a question close to the learned one: its answer comes first
			if sim := questionSimilarity(p, fieldString(h, "title")); sim >= 0.5 {
				bonus += bonusLearned * sim
			}
		}
		if p.action {
			// "can we retry R01?": the article that says what to do comes
			// before the record that only defines the code.
			if kind == KindArticle || kind == KindIncident {
				bonus += 2 * bonusReference
			}
		} else if typed && kind == KindReference {
			bonus += bonusReference
		}
		h.Score = h.Score/max + bonus + fb
	}
	liftLearned(p, out)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// learnedFirst is the similarity to a learned question (questionSimilarity)
// from which its answer ranks first: the question asked again in other
// words. Under it, a close learned question only adds bonusLearned.
const learnedFirst = 0.8

// liftLearned puts the community answers whose learned question is close
// to the question (learnedFirst) in front of every other hit, closest
// first: however strongly an article matches the codes or the action of
// the question, the answer someone gave to that very question comes first.
func liftLearned(p queryPlan, hits []*search.DocumentMatch) {
	sims := make([]float64, len(hits))
	top, lift := math.Inf(-1), false
	for i, h := range hits {
		if fieldString(h, "kind") == KindCommunity {
			sims[i] = questionSimilarity(p, fieldString(h, "title"))
		}
		if sims[i] >= learnedFirst {
			lift = true
		} else {
			top = math.Max(top, h.Score)
		}
	}
	if !lift || math.IsInf(top, -1) {
		return
	}
	for i, h := range hits {
		if sims[i] >= learnedFirst && h.Score <= top {
			h.Score = top + sims[i]
		}
	}
}

func altMatch(alts [][]string, terms map[string]bool) bool {
	for _, a := range alts {
		ok := len(a) > 0
		for _, st := range a {
			if !terms[st] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// vocab is the set of stemmed terms of the title and body fields with their
// document frequencies, for typo correction (a Go map answers the ~500
// one-edit candidates of a word far faster than the index dictionaries).
// It is rebuilt lazily after writes, at most every vocabMaxAge.
type vocab struct {
	gen    *generation
	writes uint64
	built  time.Time
	m      map[string]int
}

const vocabMaxAge = 5 * time.Second

func (ix *Index) getVocab(g *generation) *vocab {
	v := ix.vocab.Load()
	w := ix.writes.Load()
	if v != nil && v.gen == g && (v.writes == w || time.Since(v.built) < vocabMaxAge) {
		return v
	}
	if !ix.vocabMu.TryLock() {
		if v != nil && v.gen == g {
			return v
		}
		return nil
	}
	defer ix.vocabMu.Unlock()
	nv := &vocab{gen: g, writes: w, built: time.Now(), m: map[string]int{}}
	for _, f := range []string{"body", "title"} {
		d, err := g.idx.FieldDict(f)
		if err != nil {
			return v
		}
		for {
			e, err := d.Next()
			if err != nil || e == nil {
				break
			}
			if c := int(e.Count); c > nv.m[e.Term] {
				nv.m[e.Term] = c
			}
		}
		_ = d.Close()
	}
	ix.vocab.Store(nv)
	return nv
}

// incidentSnippet shows a past incident's fix and root cause apart.
func incidentSnippet(fix, cause string) string {
	var parts []string
	if fix = strings.TrimSpace(fix); fix != "" {
		parts = append(parts, "Fix: "+truncate(fix, 160))
	}
	if cause = strings.TrimSpace(cause); cause != "" {
		parts = append(parts, "Root cause: "+truncate(cause, 160))
	}
	return strings.Join(parts, " · ")
}

// questionSimilarity is the share of content words that a question and a
// learned question have in common (stems, over the longer of the two), 0..1.
func questionSimilarity(p queryPlan, learned string) float64 {
	q := map[string]bool{}
	for _, u := range p.content {
		switch {
		case u.code != "":
			q[u.code] = true
		case u.stem != "":
			q[u.stem] = true
		}
	}
	l := map[string]bool{}
	for _, tok := range splitRawTokens(learned) {
		w := strings.ToLower(tok)
		if stopWords[w] || enStop[w] {
			continue
		}
		if c := canonCode(w); c != "" && looksLikeCode(tok) {
			l[c] = true
		}
		if allLetters(w) {
			l[stem(w)] = true
		} else {
			l[w] = true
		}
	}
	if len(q) == 0 || len(l) == 0 {
		return 0
	}
	n := 0
	for k := range q {
		if l[k] {
			n++
		}
	}
	return float64(n) / float64(max(len(q), len(l)))
}

// passageMatches is what the passage query found for the articles: for
// each article, the sections (by index in Sections) that matched, with
// their scores relative to the best passage of the question (0..1].
type passageMatches struct {
	sections map[string]map[int]float64
}

// buildPassageQuery is the query of the passage documents: the question's
// words (and their synonyms, weaker) in the section text and heading.
//
// Words that occur in more than a quarter of the passages ("customer",
// "payment", "retry") are left out: they tell no section from another, and
// walking their postings is most of the query's cost. With nothing left the
// passage query is not run.
func buildPassageQuery(p queryPlan, rs *readerStats) query.Query {
	limit := max(rs.npass/4, 8)
	rare := func(words []string) []string {
		var out []string
		for _, w := range words {
			st := w
			if allLetters(w) {
				st = stem(w)
			}
			if rs.fieldDF(st, "ptext") <= limit {
				out = append(out, w)
			}
		}
		return out
	}
	p.words, p.extra, p.syn = rare(p.words), rare(p.extra), rare(p.syn)
	var qs []query.Query
	add := func(words []string, field string, boost float64) {
		if len(words) == 0 {
			return
		}
		m := bleve.NewMatchQuery(strings.Join(words, " "))
		m.SetField(field)
		m.SetBoost(boost)
		qs = append(qs, m)
	}
	text := append(append([]string{}, p.words...), p.extra...)
	add(text, "ptext", 1)
	add(text, "pheading", 0.5)
	add(p.syn, "ptext", boostSynonym)
	if len(qs) == 0 {
		return nil
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// splitPassageID returns the article and the section index of a passage id.
func splitPassageID(id string) (string, int, bool) {
	i := strings.LastIndexByte(id, '#')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(id[i+1:])
	return id[:i], n, err == nil
}

// matchPassages runs the passage query (ids only: no stored field is
// read) and returns the sections it matched of hits' articles and, when
// pull is set, the articles (Score 0) of up to maxPulled strong passages
// that were not among hits: BM25 favours long articles that mention many
// of the words, and a short section that answers the question can find its
// article that way (the caller keeps those that hold enough of the
// question). A passage counts only while its article still has that
// section (a passage left behind by an earlier version of the article is
// ignored until the next rebuild removes it).
func (ix *Index) matchPassages(ctx context.Context, p queryPlan, rs *readerStats, hits search.DocumentMatchCollection, sc sectionCache, pull bool) (passageMatches, search.DocumentMatchCollection, error) {
	pm := passageMatches{sections: map[string]map[int]float64{}}
	var pulled search.DocumentMatchCollection
	pq := buildPassageQuery(p, rs)
	if pq == nil {
		return pm, nil, nil
	}
	req := bleve.NewSearchRequestOptions(pq, passageK, 0, false)
	sr, err := ix.alias.SearchInContext(withStats(ctx, rs.bm25Stats(rs.npass, []string{"ptext", "pheading"})), req)
	if err != nil || len(sr.Hits) == 0 {
		return pm, nil, err
	}
	byID := make(map[string]*search.DocumentMatch, len(hits))
	for _, h := range hits {
		byID[h.ID] = h
	}
	var missing []string
	seen := map[string]bool{}
	top := sr.Hits[0].Score
	for _, ph := range sr.Hits {
		parent, _, ok := splitPassageID(ph.ID)
		if !ok || seen[parent] || byID[parent] != nil {
			continue
		}
		seen[parent] = true
		if pull && len(missing) < maxPulled && ph.Score >= pullScore*top {
			missing = append(missing, parent)
		}
	}
	if len(missing) > 0 {
		freq := bleve.NewSearchRequestOptions(bleve.NewDocIDQuery(missing), len(missing), 0, false)
		freq.Fields = hitFields
		fr, err := ix.alias.SearchInContext(ctx, freq)
		if err != nil {
			return pm, nil, err
		}
		for _, h := range fr.Hits {
			if k := fieldString(h, "kind"); k == KindPassage || k == "" {
				continue
			}
			h.Score = 0 // outside the BM25 candidates: its focus bonus carries it
			byID[h.ID] = h
			pulled = append(pulled, h)
		}
	}
	for _, ph := range sr.Hits {
		parent, n, ok := splitPassageID(ph.ID)
		art := byID[parent]
		if !ok || art == nil || fieldString(art, "psig") == "" {
			continue
		}
		if n >= len(sc.of(art)) {
			continue
		}
		if pm.sections[parent] == nil {
			pm.sections[parent] = map[int]float64{}
		}
		if rel := ph.Score / top; rel > pm.sections[parent][n] {
			pm.sections[parent][n] = rel
		}
	}
	return pm, pulled, nil
}

// focusCoverage is the IDF-weighted share of the question (0..1) that a
// hit holds in one place: its title and its best section, or its title and
// whole text when it has no sections (a record, a community answer, a past
// incident), so that a plain document is not put behind an article for
// having no sections.
func focusCoverage(p queryPlan, rs *readerStats, h *search.DocumentMatch, sc sectionCache) float64 {
	title := fieldString(h, "title")
	if secs := sc.of(h); secs != nil {
		var cov float64
		for _, s := range secs {
			cov = math.Max(cov, textCoverage(p, rs, title+"\n"+s.Heading+"\n"+strings.Join(s.Passages, "\n")))
		}
		return cov
	}
	return textCoverage(p, rs, title+"\n"+fieldString(h, "body")+"\n"+fieldString(h, "fix")+"\n"+fieldString(h, "rootcause"))
}

// focusBonus turns the coverages into re-ranking bonuses: bonusFocus times
// the coverage, bonusFocusCode when the question types a code.
func focusBonus(p queryPlan, covs map[string]float64) map[string]float64 {
	w := bonusFocus
	for _, c := range p.codes {
		if c.bonus >= bonusCode {
			w = bonusFocusCode
			break
		}
	}
	out := make(map[string]float64, len(covs))
	for id, c := range covs {
		out[id] = w * c
	}
	return out
}

// sectionCache holds the sections of the hits of one search, parsed once.
type sectionCache map[string][]Section

// of returns the sections of a hit with passages (nil for one without).
func (c sectionCache) of(h *search.DocumentMatch) []Section {
	if fieldString(h, "psig") == "" {
		return nil
	}
	s, ok := c[h.ID]
	if !ok {
		s = Sections(fieldString(h, "body"))
		c[h.ID] = s
	}
	return s
}

// textCoverage is the IDF-weighted share of the question's content units
// (words, codes, or one of their synonyms) that a text holds, 0..1.
func textCoverage(p queryPlan, rs *readerStats, text string) float64 {
	text = strings.ToLower(text)
	var have, total float64
	for _, u := range p.content {
		var w float64
		var keys []string
		switch {
		case u.code != "":
			w = rs.idf("")
			keys = []string{u.code, strings.ReplaceAll(u.code, "_", " ")}
		case u.stem != "":
			w = rs.idf(u.stem)
			keys = []string{u.stem}
		default:
			continue
		}
		total += w
		found := false
		for _, k := range keys {
			if hasWordPrefix(text, k) {
				found = true
				break
			}
		}
		for _, alt := range u.alts {
			if found {
				break
			}
			all := len(alt) > 0
			for _, st := range alt {
				if !hasWordPrefix(text, st) {
					all = false
					break
				}
			}
			found = all
		}
		if found {
			have += w
		}
	}
	if total == 0 {
		return 0
	}
	return have / total
}

// hitURL is the link a hit shows. A reference record of a known code
// family (paycode.FamilyOf of its id's system) links to the page that
// documents the family when its own url only names where the record came
// from (a source repository) or is empty; otherwise a document links to
// its own url (an article's front matter names the family's page itself).
func hitURL(h *search.DocumentMatch) string {
	own := fieldString(h, "url")
	if fieldString(h, "kind") != KindReference || !(own == "" || sourceHost(own)) {
		return own
	}
	i := strings.LastIndexByte(h.ID, ':')
	if i <= 0 {
		return own
	}
	if f, ok := paycode.FamilyOf(h.ID[:i]); ok {
		return f.URL
	}
	return own
}

// sourceHost reports whether a url points at a source code host: the
// origin of a record, not a page that explains its code.
func sourceHost(u string) bool {
	for _, h := range []string{"https://github.com/", "https://raw.githubusercontent.com/", "https://gitlab.com/", "https://bitbucket.org/"} {
		if strings.HasPrefix(u, h) {
			return true
		}
	}
	return false
}

// hasWordPrefix reports whether some word of text (lower case) starts with
// key: the stem "fund" is in "funds", not in "refund".
func hasWordPrefix(text, key string) bool {
	if key == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(text[off:], key)
		if i < 0 {
			return false
		}
		i += off
		if i == 0 || !isWordByte(text[i-1]) {
			return true
		}
		off = i + 1
	}
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 0x80
}

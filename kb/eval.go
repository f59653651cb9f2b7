package kb

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// EvalQuestion is one line of an evaluation file. Gold ids may contain '*'
// wildcards; "want" is accepted as an alias of "gold".
type EvalQuestion struct {
	Q    string   `json:"q"`
	Gold []string `json:"gold,omitempty"`
	Want []string `json:"want,omitempty"`
	// OffTopic questions have no gold answer: they must not come back confident.
	OffTopic bool `json:"offtopic,omitempty"`
}

// EvalResult is the outcome of one question.
type EvalResult struct {
	Q         string   `json:"q"`
	Gold      []string `json:"gold"`
	Rank      int      `json:"rank"` // 1-based rank of the first gold hit within the top 10; 0 = none
	Confident bool     `json:"confident"`
	Top       []string `json:"top"` // ids of the first hits
}

// EvalReport summarises an evaluation run.
type EvalReport struct {
	Questions int          `json:"questions"`
	Top1      float64      `json:"top1"`
	Top3      float64      `json:"top3"`
	MRR10     float64      `json:"mrr10"`
	Confident float64      `json:"confident"` // share of questions answered confidently
	Results   []EvalResult `json:"results"`
}

// String is the one-line summary.
func (r EvalReport) String() string {
	return fmt.Sprintf("questions=%d top1=%.3f top3=%.3f mrr@10=%.3f confident=%.3f", r.Questions, r.Top1, r.Top3, r.MRR10, r.Confident)
}

// ReadQuestions parses an evaluation file: {"q": "...", "gold": [...]} per line.
func ReadQuestions(r io.Reader) ([]EvalQuestion, error) {
	var qs []EvalQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		var q EvalQuestion
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("questions line %d: %v", n, err)
		}
		if len(q.Gold) == 0 {
			q.Gold = q.Want
		}
		q.Want = nil
		if strings.TrimSpace(q.Q) == "" {
			return nil, fmt.Errorf("questions line %d: empty q", n)
		}
		qs = append(qs, q)
	}
	return qs, sc.Err()
}

// Searcher is anything that answers questions; *Index is one, and the FTS5
// baseline is another.
type Searcher interface {
	Search(ctx context.Context, query string, limit int) (Result, error)
}

// Eval runs every question against ix (top 10) and scores top-1, top-3
// and MRR@10 over the questions that have gold ids.
func Eval(ctx context.Context, ix Searcher, questions io.Reader) (EvalReport, error) {
	qs, err := ReadQuestions(questions)
	if err != nil {
		return EvalReport{}, err
	}
	return EvalQuestions(ctx, ix, qs)
}

// EvalQuestions is Eval over parsed questions.
func EvalQuestions(ctx context.Context, ix Searcher, qs []EvalQuestion) (EvalReport, error) {
	var rep EvalReport
	var conf int
	for _, q := range qs {
		res, err := ix.Search(ctx, q.Q, 10)
		if err != nil {
			return rep, fmt.Errorf("search %q: %w", q.Q, err)
		}
		er := EvalResult{Q: q.Q, Gold: q.Gold, Confident: res.Confident}
		for i, h := range res.Hits {
			if i < 5 {
				er.Top = append(er.Top, h.ID)
			}
			if er.Rank == 0 && matchAny(q.Gold, h.ID) {
				er.Rank = i + 1
			}
		}
		rep.Results = append(rep.Results, er)
		if len(q.Gold) == 0 {
			continue
		}
		rep.Questions++
		if res.Confident {
			conf++
		}
		switch {
		case er.Rank == 1:
			rep.Top1++
			fallthrough
		case er.Rank >= 1 && er.Rank <= 3:
			rep.Top3++
		}
		if er.Rank > 0 {
			rep.MRR10 += 1 / float64(er.Rank)
		}
	}
	if rep.Questions == 0 {
		return rep, errors.New("no questions with gold ids")
	}
	n := float64(rep.Questions)
	rep.Top1 /= n
	rep.Top3 /= n
	rep.MRR10 /= n
	rep.Confident = float64(conf) / n
	return rep, nil
}

func matchAny(globs []string, id string) bool {
	for _, g := range globs {
		if globMatch(g, id) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern where '*' stands for any run of
// characters (including ':' and '/').
func globMatch(pattern, s string) bool {
	if !strings.Contains(pattern, "*") {
		return pattern == s
	}
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last) && len(s) >= len(last)
}

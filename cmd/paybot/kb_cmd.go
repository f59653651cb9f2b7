package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
)

func (a *app) kbCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"kb: use index, import, search, show, list, remove, eval or bench"}
	}
	sub, rest := args[0], args[1:]
	// Indexing allocates short-lived tokens by the million; collecting less
	// often makes bulk loads about 20% faster, and the soft memory limit
	// keeps the heap well under the 300 MB budget all the same.
	debug.SetGCPercent(300)
	debug.SetMemoryLimit(200 << 20)
	if sub == "bench" {
		return a.kbBench(ctx, rest)
	}
	fs := flag.NewFlagSet("kb "+sub, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", 5, "hits per query")
	questions := fs.String("questions", "", "question file (JSON Lines: {\"q\", \"gold\"})")
	minTop3 := fs.Float64("min-top3", 0, "eval: exit non-zero when top-3 is below this")
	fs.String("kind", "", "list: only documents of this kind (article, community, reference, incident)")
	pos, err := parseFlags(fs, rest)
	if err != nil {
		return err
	}
	index, err := a.openKBReport(ctx)
	if err != nil {
		return err
	}
	defer index.Close()
	switch sub {
	case "index":
		if err := index.Rebuild(ctx); err != nil {
			return err
		}
		n, _ := index.Count()
		fmt.Fprintf(a.stdout, "index rebuilt: %d documents\n", n)
		return nil
	case "import":
		if len(pos) == 0 {
			return usageError{"kb import: give one or more JSON Lines files"}
		}
		return a.kbImport(ctx, index, pos)
	case "search":
		if len(pos) == 0 {
			return usageError{"kb search: give a QUERY, or - to read queries from stdin"}
		}
		return a.kbSearch(ctx, index, strings.Join(pos, " "), *limit, *asJSON)
	case "eval":
		if *questions == "" {
			return usageError{"kb eval: --questions FILE is required"}
		}
		f, err := os.Open(*questions)
		if err != nil {
			return err
		}
		defer f.Close()
		rep, err := kb.Eval(ctx, index, f)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := writeJSON(a.stdout, rep); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(a.stdout, "questions: %d\ntop-1: %.3f\ntop-3: %.3f\nMRR@10: %.3f\n", rep.Questions, rep.Top1, rep.Top3, rep.MRR10)
		}
		if rep.Top3 < *minTop3 {
			return fmt.Errorf("top-3 %.3f is below the required %.2f", rep.Top3, *minTop3)
		}
		return nil
	case "show", "list", "remove":
		return a.kbMore(ctx, index, sub, pos, *asJSON, fs) // kb_more.go
	default:
		return usageError{fmt.Sprintf("kb: unknown subcommand %q", sub)}
	}
}

type searchOutput struct {
	Query     string   `json:"query"`
	Confident bool     `json:"confident"`
	Hits      []kb.Hit `json:"hits"`
}

func (a *app) kbSearch(ctx context.Context, index *kb.Index, query string, limit int, asJSON bool) error {
	one := func(q string) error {
		res, err := index.Search(ctx, q, limit)
		if err != nil {
			return err
		}
		if asJSON || query == "-" {
			hits := res.Hits
			if hits == nil {
				hits = []kb.Hit{}
			}
			b, err := json.Marshal(searchOutput{Query: q, Confident: res.Confident, Hits: hits})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%s\n", b)
			return nil
		}
		if !res.Confident {
			fmt.Fprintln(a.stdout, "(no confident answer)")
		}
		for i, h := range res.Hits {
			fmt.Fprintf(a.stdout, "%d. %s  [%s, %s, score %.2f]\n", i+1, h.Title, h.Kind, h.ID, h.Score)
			if h.Snippet != "" {
				fmt.Fprintf(a.stdout, "   %s\n", h.Snippet)
			}
			if h.URL != "" {
				fmt.Fprintf(a.stdout, "   %s\n", h.URL)
			}
		}
		return nil
	}
	if query != "-" {
		return one(query)
	}
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		q := strings.TrimSpace(sc.Text())
		if q == "" {
			continue
		}
		if err := one(q); err != nil {
			return err
		}
	}
	return sc.Err()
}

func (a *app) kbBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("kb bench", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	docs := fs.Int("docs", 100000, "synthetic documents")
	queries := fs.Int("queries", 2000, "queries to time")
	dir := fs.String("dir", "", "where to build the bench index (default: a temporary directory)")
	rounds := fs.Int("import-only", 0, "only compare kb import with SQLite FTS5's load, this many rounds (no query timing)")
	jsonl := fs.String("write-jsonl", "", "write the synthetic corpus of --docs documents as JSON Lines to this file and exit (input for timing kb import)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	importOnly := fs.Lookup("import-only")
	if *jsonl != "" {
		return writeSynth(*jsonl, *docs) // kb_import.go
	}
	d := *dir
	if d == "" {
		tmp, err := os.MkdirTemp("", "paybot-kb-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		d = tmp
	}
	if importOnly != nil && *rounds > 0 {
		_, err := kb.RunImportBench(ctx, d, *docs, *rounds, a.stdout)
		return err
	}
	_, err := kb.RunBench(ctx, d, *docs, *queries, a.stdout)
	return err
}

// kbSearcher adapts the index to the engine's Searcher and Learner.
type kbSearcher struct {
	index *kb.Index
	clock incidents.Clock // dates of community answers; nil: the system clock
}

var (
	_ bot.Searcher = (*kbSearcher)(nil)
	_ bot.Learner  = (*kbSearcher)(nil)
)

var sourceLabels = map[string]string{
	"article":   "internal KB",
	"community": "community answer",
	"reference": "reference code",
	"incident":  "past incident",
}

func (s *kbSearcher) Ask(ctx context.Context, question string, limit int) ([]bot.Hit, bool, error) {
	res, err := s.index.Search(ctx, question, limit)
	if err != nil {
		return nil, false, err
	}
	hits := make([]bot.Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		hits = append(hits, bot.Hit{ID: h.ID, Title: h.Title, Snippet: h.Snippet, Source: hitSource(h.Kind, h.ID, h.Author, h.Created), URL: h.URL})
	}
	return hits, res.Confident, nil
}

// LearnAnswer stores by's answer (kb.Index.Learn); a refused answer comes
// back as a bot.Refusal with its reason.
func (s *kbSearcher) LearnAnswer(ctx context.Context, question, answer string, inc *incidents.Incident, by bot.User) error {
	extra := kb.Doc{Source: "chat"}
	if inc != nil {
		extra.Source = "chat " + inc.Ref
		extra.Provider = strings.ToLower(inc.Details.Provider)
		extra.Category = inc.Details.Category
	}
	name := by.Name
	if name == "" {
		name = by.ID
	}
	_, err := s.index.Learn(ctx, question, answer, by.Platform+":"+by.ID, name, s.now(), extra)
	if errors.Is(err, kb.ErrRefused) {
		return bot.Refusal(strings.TrimPrefix(strings.TrimPrefix(err.Error(), kb.ErrRefused.Error()), ": "))
	}
	return err
}

// IndexIncident indexes a resolved incident: title, codes, fix and root
// cause as fields of their own. The engine calls it on resolve only.
func (s *kbSearcher) IndexIncident(ctx context.Context, inc *incidents.Incident) error {
	d := inc.Details
	fix, cause := d.Extra["resolution"], d.Extra["root_cause"]
	var body []string
	if fix != "" {
		body = append(body, "Fix: "+fix)
	}
	if cause != "" {
		body = append(body, "Root cause: "+cause)
	}
	for _, part := range []string{d.ErrorMessages, d.StepsTaken} {
		if part != "" {
			body = append(body, part)
		}
	}
	if len(body) == 0 {
		body = append(body, inc.Title)
	}
	var codes []string
	for _, c := range d.Codes {
		codes = append(codes, c.Value)
	}
	return s.index.Upsert(ctx, kb.Doc{
		ID:        "incident:" + inc.Ref,
		Kind:      "incident",
		Title:     inc.Ref + ": " + inc.Title,
		Body:      strings.Join(body, "\n"),
		Codes:     codes,
		Tags:      append([]string{d.Category, d.Environment}, d.PaymentMethods...),
		Provider:  strings.ToLower(d.Provider),
		Category:  d.Category,
		Source:    "paybot",
		Fix:       fix,
		RootCause: cause,
	})
}

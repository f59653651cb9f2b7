package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/kb"
	"github.com/paybot/paybot/kb/kbstore"
)

func init() { addCommand(newKBCmd) }

// tuneGCForIndexing: indexing allocates short-lived tokens by the million;
// collecting less often makes bulk loads about 20% faster, and the soft
// memory limit keeps the heap well under the 300 MB budget all the same.
func tuneGCForIndexing() {
	debug.SetGCPercent(300)
	debug.SetMemoryLimit(200 << 20)
}

func newKBCmd(a *app) *cobra.Command {
	cmd := groupCmd("kb", "Knowledge base: index, import, search, evaluate, benchmark")
	cmd.AddCommand(newKBIndexCmd(a), newKBImportCmd(a), newKBSearchCmd(a), newKBEvalCmd(a), newKBBenchCmd(a),
		newKBShowCmd(a), newKBListCmd(a), newKBRemoveCmd(a)) // show, list, remove: kb_more.go
	return cmd
}

func newKBIndexCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "index",
		Short: "Rebuild the search index from all sources, with no downtime",
		Args:  exactArgs(0, "takes no arguments (did you mean 'kb import FILE'?)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			kc, done, err := a.openKBCLI(cmd.Context()) // kb_follow.go
			if err != nil {
				return err
			}
			defer done()
			index := kc.index
			if err := a.kbRebuild(cmd.Context(), index); err != nil {
				return err
			}
			n, _ := index.Count()
			fmt.Fprintf(a.stdout, "index rebuilt: %d documents\n", n)
			return nil
		},
	}
}

func newKBImportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "import FILE...",
		Short: "Import JSON Lines documents (FILE - reads stdin)",
		Long: `Import JSON Lines documents into the knowledge base (creating the data
directory if needed). Each rejected line is reported on stderr as
FILE:LINE: reason; the good lines are imported all the same, and the exit
code is then 3 so that a script notices. A FILE that cannot be read fails
the command before anything is opened; on a data directory that does not
exist yet, files with no line to import create nothing.

FILE - reads stdin; a pipe, a FIFO, /dev/stdin or a process substitution
(<(zcat docs.jsonl.gz)) is read once, as it comes, and never written to
disk as it is. Ctrl-C or SIGTERM stops the import (exit 1); what was
imported by then stays.`,
		Example: "  paybot kb import docs.jsonl\n  zcat docs.jsonl.gz | paybot kb import -",
		Args:    minArgs(1, "give one or more JSON Lines files, or - for stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ins, err := a.openImportInputs(ctx, args) // kb_import.go
			if err != nil {
				return err
			}
			defer closeImportInputs(ins)
			if proceed, err := a.kbImportPreflight(ins); !proceed {
				return err
			}
			kc, done, err := a.openKBCLI(ctx) // kb_follow.go
			if err != nil {
				return err
			}
			defer done()
			defer a.kbNote(kc)
			return a.kbImport(ctx, kc.index, ins)
		},
	}
}

func newKBSearchCmd(a *app) *cobra.Command {
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY|-",
		Short: "Search the knowledge base; - reads one query per line",
		Long: `Search the knowledge base of an existing data directory. QUERY "-" reads
one query per line from stdin and writes one JSON line per query.`,
		Args: minArgs(1, "give a QUERY, or - to read queries from stdin"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit <= 0 {
				return usageError{"kb search: --limit must be at least 1"}
			}
			if err := a.requireDataDir(); err != nil {
				return err
			}
			kc, done, err := a.openKBCLIRead(cmd.Context()) // kb_follow.go
			if err != nil {
				return err
			}
			defer done()
			return a.kbSearch(cmd.Context(), kc.index, strings.Join(args, " "), limit, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", 5, "hits per query")
	return cmd
}

func newKBEvalCmd(a *app) *cobra.Command {
	var asJSON bool
	var questions string
	var minTop3 float64
	cmd := &cobra.Command{
		Use:   "eval --questions FILE",
		Short: "Top-1, top-3 and MRR@10 on a question set",
		Long: `Evaluate search on a question set (JSON Lines {"q": …, "gold": […]}) against
the knowledge base of an existing data directory. With --min-top3 the exit
code is 3 when top-3 falls below it.`,
		Args: exactArgs(0, "takes no arguments; give the question set with --questions FILE"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if questions == "" {
				return usageError{"kb eval: --questions FILE is required"}
			}
			if err := a.requireDataDir(); err != nil {
				return err
			}
			f, err := os.Open(questions)
			if err != nil {
				return err
			}
			defer f.Close()
			kc, done, err := a.openKBCLIRead(cmd.Context()) // kb_follow.go
			if err != nil {
				return err
			}
			defer done()
			rep, err := kb.Eval(cmd.Context(), kc.index, f)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(a.stdout, rep); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "questions: %d\ntop-1: %.3f\ntop-3: %.3f\nMRR@10: %.3f\n", rep.Questions, rep.Top1, rep.Top3, rep.MRR10)
			}
			if rep.Top3 < minTop3 {
				return exitError{exitPartial, fmt.Errorf("top-3 %.3f is below the required %.2f", rep.Top3, minTop3)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&questions, "questions", "", "question `FILE` (JSON Lines: {\"q\", \"gold\"})")
	cmd.Flags().Float64Var(&minTop3, "min-top3", 0, "exit 3 when top-3 is below this share (0 to 1)")
	return cmd
}

func newKBBenchCmd(a *app) *cobra.Command {
	var docs, queries, rounds int
	var dir, jsonl string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Search speed on a synthetic corpus, against SQLite FTS5",
		Long: `Index a synthetic corpus and time queries, with SQLite FTS5 on the same
documents for comparison. Exit code 3 when a speed target is missed
(p50 <= 1 ms, p99 <= 5 ms, >= 10k docs/s, open <= 1 s, peak RSS <= 300 MB).`,
		Args: exactArgs(0, "takes no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if docs <= 0 || queries <= 0 {
				return usageError{"kb bench: --docs and --queries must be positive"}
			}
			if jsonl != "" {
				return writeSynth(jsonl, docs) // kb_import.go
			}
			tuneGCForIndexing()
			d := dir
			if d == "" {
				tmp, err := os.MkdirTemp("", "paybot-kb-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				d = tmp
			}
			if rounds > 0 {
				_, err := kb.RunImportBench(cmd.Context(), d, docs, rounds, a.stdout, benchImportTarget) // kb_import.go
				return err
			}
			rep, err := kb.RunBench(cmd.Context(), d, docs, queries, a.stdout, benchImportTarget)
			if err != nil {
				return err
			}
			return benchVerdict(rep)
		},
	}
	cmd.Flags().IntVar(&docs, "docs", 100000, "synthetic documents")
	cmd.Flags().IntVar(&queries, "queries", 2000, "queries to time")
	cmd.Flags().StringVar(&dir, "dir", "", "where to build the bench index (default: a temporary directory)")
	cmd.Flags().IntVar(&rounds, "import-only", 0, "only compare kb import with SQLite FTS5's load, this many rounds (no query timing)")
	cmd.Flags().StringVar(&jsonl, "write-jsonl", "", "write the synthetic corpus of --docs documents as JSON Lines to this `FILE` and exit (input for timing kb import)")
	return markSkipConfig(cmd)
}

// benchVerdict turns missed speed targets into exit code 3.
func benchVerdict(rep kb.BenchReport) error {
	if ok, fails := rep.Pass(); !ok {
		return exitError{exitPartial, fmt.Errorf("speed targets missed: %s", strings.Join(fails, "; "))}
	}
	return nil
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
			if ac := h.Action; ac != nil {
				fmt.Fprintf(a.stdout, "   What to do (from %s): %s\n   Read it: paybot kb show %s\n", ac.Title, ac.Text, ac.ArticleID)
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

// kbSearcher adapts the index to the engine's Searcher and Learner.
type kbSearcher struct {
	index   *kb.Index
	follow  *kbstore.Follower // non-nil: writes go through the store
	metrics *metrics          // nil: not measured
	clock   incidents.Clock   // dates of community answers; nil: the system clock
}

var (
	_ bot.Searcher      = (*kbSearcher)(nil)
	_ bot.Learner       = (*kbSearcher)(nil)
	_ bot.CodeFinder    = (*kbSearcher)(nil)
	_ bot.AnswerChecker = (*kbSearcher)(nil)
)

// RefuseAnswer is why text may not be served as an answer (kb.CheckAnswer),
// or "".
func (s *kbSearcher) RefuseAnswer(text string) string {
	if err := kb.CheckAnswer(text); err != nil {
		return strings.TrimPrefix(strings.TrimPrefix(err.Error(), kb.ErrRefused.Error()), ": ")
	}
	return ""
}

// KnownCodes finds the codes of text that the knowledge base holds
// (kb.Index.KnownCodes).
func (s *kbSearcher) KnownCodes(ctx context.Context, text string) []string {
	return s.index.KnownCodes(ctx, text)
}

var sourceLabels = map[string]string{
	"article":   "internal KB",
	"community": "community answer",
	"reference": "reference code",
	"incident":  "past incident",
}

func (s *kbSearcher) Ask(ctx context.Context, question string, limit int) ([]bot.Hit, bool, error) {
	start := time.Now()
	res, err := s.index.Search(ctx, question, limit)
	if s.metrics != nil {
		s.metrics.searchSeconds.Observe(time.Since(start).Seconds())
	}
	if err != nil {
		return nil, false, err
	}
	hits := make([]bot.Hit, 0, len(res.Hits))
	for _, h := range res.Hits {
		bh := bot.Hit{ID: h.ID, Title: h.Title, Snippet: h.Snippet, Source: hitSource(h.Kind, h.ID, h.Author, h.Created), URL: h.URL}
		if a := h.Action; a != nil {
			bh.Action = &bot.HitAction{Text: a.Text, ArticleID: a.ArticleID, ArticleTitle: a.Title, URL: a.URL}
		}
		hits = append(hits, bh)
	}
	return hits, res.Confident, nil
}

// chatSource is the source of an answer learned in chat; one learned in an
// incident's thread adds the incident's ref ("chat PAY-3"), which Article
// reads back as the answer's incident.
const chatSource = "chat"

// LearnAnswer stores by's answer (kb.Index.Learn); a refused answer comes
// back as a bot.Refusal with its reason.
func (s *kbSearcher) LearnAnswer(ctx context.Context, question, answer string, inc *incidents.Incident, by bot.User) error {
	extra := kb.Doc{Source: chatSource}
	if inc != nil {
		extra.Source = chatSource + " " + inc.Ref
		extra.Provider = strings.ToLower(inc.Details.Provider)
		extra.Category = inc.Details.Category
	}
	name := by.Name
	if name == "" {
		name = by.ID
	}
	err := s.learn(ctx, question, answer, by.Platform+":"+by.ID, name, s.now(), extra) // kb_follow.go: through the store
	if errors.Is(err, kb.ErrRefused) {
		return bot.Refusal(strings.TrimPrefix(strings.TrimPrefix(err.Error(), kb.ErrRefused.Error()), ": "))
	}
	return err
}

// IndexIncident indexes a resolved incident: title, codes, fix and root
// cause as fields of their own. The engine calls it on resolve only.
func (s *kbSearcher) IndexIncident(ctx context.Context, inc *incidents.Incident) error {
	d := inc.Details
	fix, cause := inc.Resolution.Fix, inc.Resolution.RootCause
	for _, t := range []string{fix, cause} {
		if why := s.RefuseAnswer(t); t != "" && why != "" {
			return bot.Refusal(why)
		}
	}
	var body []string
	if fix != "" {
		body = append(body, "Fix: "+fix)
	}
	if cause != "" {
		body = append(body, "Root cause: "+cause)
	}
	for _, part := range []string{d.ErrorMessages, d.StepsTaken} {
		// intake answers are served with the incident too
		if part != "" && s.RefuseAnswer(part) == "" {
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
	return s.upsert(ctx, kb.Doc{
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

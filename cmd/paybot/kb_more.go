package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/kb"
)

// kb show, kb list and kb remove, and the Searcher's optional abilities
// that /payissue show and /payissue unlearn use.

var (
	_ bot.ArticleReader = (*kbSearcher)(nil)
	_ bot.Unlearner     = (*kbSearcher)(nil)
)

func (s *kbSearcher) now() time.Time {
	if s.clock != nil {
		return s.clock.Now()
	}
	return time.Now()
}

// hitSource labels a hit for chat: "internal KB", "reference code",
// "community answer by Ana, 2026-11-30", "past incident PAY-12".
func hitSource(kind, id, author, created string) string {
	switch kind {
	case kb.KindCommunity:
		src := "community answer"
		if author != "" {
			src += " by " + author
		}
		if len(created) >= 10 {
			src += ", " + created[:10]
		}
		return src
	case kb.KindIncident:
		return "past incident " + strings.TrimPrefix(id, "incident:")
	}
	if l := sourceLabels[kind]; l != "" {
		return l
	}
	return kind
}

// Article reads a whole document for /payissue show.
func (s *kbSearcher) Article(ctx context.Context, id string) (bot.Article, error) {
	d, err := s.index.Get(ctx, id)
	if errors.Is(err, kb.ErrNotFound) {
		return bot.Article{}, bot.ErrNoArticle
	}
	if err != nil {
		return bot.Article{}, err
	}
	return bot.Article{ID: d.ID, Title: d.Title, Text: d.Body, URL: d.URL, Source: hitSource(d.Kind, d.ID, d.Author, d.Created)}, nil
}

// Unlearn removes a community answer for /payissue unlearn.
func (s *kbSearcher) Unlearn(ctx context.Context, id string, by bot.User, manager bool) (string, error) {
	d, err := s.index.RemoveCommunity(ctx, id, by.Platform+":"+by.ID, manager)
	switch {
	case errors.Is(err, kb.ErrNotFound):
		return "", bot.ErrNoArticle
	case errors.Is(err, kb.ErrNotAllowed):
		return "", bot.ErrNotAuthor
	}
	return d.Title, err
}

// kbMore runs kb show ID, kb list [--kind K] and kb remove ID. The CLI runs
// with the data directory's owner's rights, so kb remove acts as a manager.
func (a *app) kbMore(ctx context.Context, index *kb.Index, sub string, pos []string, asJSON bool, fs *flag.FlagSet) error {
	switch sub {
	case "show":
		if len(pos) != 1 {
			return usageError{"kb show: give one document id (kb search shows ids in brackets)"}
		}
		d, err := index.Get(ctx, pos[0])
		if err != nil {
			return err
		}
		if asJSON {
			return writeJSON(a.stdout, d)
		}
		fmt.Fprintf(a.stdout, "%s\n[%s, %s]\n\n%s\n", d.Title, d.ID, hitSource(d.Kind, d.ID, d.Author, d.Created), d.Body)
		if d.URL != "" {
			fmt.Fprintf(a.stdout, "\nMore: %s\n", d.URL)
		}
		return nil
	case "list":
		kind := ""
		if f := fs.Lookup("kind"); f != nil {
			kind = strings.ToLower(strings.TrimSpace(f.Value.String()))
		}
		switch kind {
		case "", kb.KindArticle, kb.KindCommunity, kb.KindReference, kb.KindIncident:
		default:
			return usageError{fmt.Sprintf("kb list: unknown kind %q (want article, community, reference or incident)", kind)}
		}
		docs, err := index.List(kind)
		if err != nil {
			return err
		}
		if asJSON {
			if docs == nil {
				docs = []kb.Doc{}
			}
			return writeJSON(a.stdout, docs)
		}
		for _, d := range docs {
			fmt.Fprintf(a.stdout, "%s\t%s\t%s\n", d.ID, hitSource(d.Kind, d.ID, d.Author, d.Created), d.Title)
		}
		fmt.Fprintf(a.stdout, "%d documents\n", len(docs))
		return nil
	case "remove":
		if len(pos) != 1 {
			return usageError{"kb remove: give one community answer id (kb list --kind community)"}
		}
		d, err := index.RemoveCommunity(ctx, pos[0], "", true)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "removed %s (%q by %s)\n", d.ID, d.Title, d.Author)
		return nil
	}
	return usageError{fmt.Sprintf("kb: unknown subcommand %q", sub)}
}

// openKBReport opens the knowledge base and says on stderr what it skipped
// (bad or symlinked articles, by file name) and what it repaired (a damaged
// index rebuilt from its sources).
func (a *app) openKBReport(ctx context.Context) (*kb.Index, error) {
	index, err := kb.Open(ctx, a.dataDir, kb.Options{ArticlesDir: a.cfg.KB.ArticlesDir})
	if err != nil {
		return nil, err
	}
	if r := index.Repaired(); r != "" {
		fmt.Fprintf(a.stderr, "paybot: knowledge base: %s\n", r)
	}
	for _, p := range index.ArticleProblems() {
		fmt.Fprintf(a.stderr, "paybot: articles_dir: %s (skipped)\n", p)
	}
	return index, nil
}

// articleProblems are config check's lines for the articles folder.
func articleProblems(cfg *Config) []string {
	if cfg == nil || cfg.KB.ArticlesDir == "" {
		return nil
	}
	_, probs, err := kb.CheckArticlesDir(cfg.KB.ArticlesDir)
	if err != nil {
		return []string{"articles_dir: " + err.Error()}
	}
	var out []string
	for _, p := range probs {
		out = append(out, fmt.Sprintf("articles_dir: %s: %s", filepath.Join(cfg.KB.ArticlesDir, p.File), p.Reason))
	}
	return out
}

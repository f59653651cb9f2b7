package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

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
	a := bot.Article{ID: d.ID, Title: d.Title, Text: d.Body, URL: d.URL, Source: hitSource(d.Kind, d.ID, d.Author, d.Created)}
	if ref, ok := strings.CutPrefix(d.Source, chatSource+" "); ok && d.Kind == kb.KindCommunity {
		a.Incident = ref // learned in that incident's thread (LearnAnswer)
	}
	return a, nil
}

// Unlearn removes a community answer for /payissue unlearn.
func (s *kbSearcher) Unlearn(ctx context.Context, id string, by bot.User, manager bool) (string, error) {
	d, err := s.removeCommunity(ctx, id, by.Platform+":"+by.ID, manager) // kb_follow.go: through the store
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
func newKBShowCmd(a *app) *cobra.Command {
	return a.kbMoreCmd("show", "show ID", "Print a whole document (an article, a community answer, a past incident)", exactArgs(1, "give one document id (kb search shows ids in brackets)"))
}
func newKBListCmd(a *app) *cobra.Command {
	return a.kbMoreCmd("list", "list", "List documents, optionally of one kind (--kind community)", exactArgs(0, "takes no arguments (filter with --kind)"))
}
func newKBRemoveCmd(a *app) *cobra.Command {
	return a.kbMoreCmd("remove", "remove ID", "Remove a community answer (kb list --kind community shows ids)", exactArgs(1, "give one community answer id (kb list --kind community)"))
}

// kbMoreCmd builds kb show, list and remove; they share kbMore.
func (a *app) kbMoreCmd(sub, use, short string, args cobra.PositionalArgs) *cobra.Command {
	var asJSON bool
	var kind string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(cmd *cobra.Command, pos []string) error {
			// remove too: a data directory that does not exist has no
			// answer to remove, and a mistyped --data must not create one.
			if err := a.requireDataDir(); err != nil {
				return err
			}
			open := a.openKBCLIRead // kb_follow.go
			if sub == "remove" {
				open = a.openKBCLI
			}
			kc, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			return a.kbMore(cmd.Context(), kc.index, sub, pos, asJSON, kind)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	if sub == "list" {
		cmd.Flags().StringVar(&kind, "kind", "", "only documents of this kind (article, community, reference, incident)")
	}
	return cmd
}

func (a *app) kbMore(ctx context.Context, index *kb.Index, sub string, pos []string, asJSON bool, kind string) error {
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
		kind = strings.ToLower(strings.TrimSpace(kind))
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
		d, err := (&kbSearcher{index: index, follow: a.kbFollowing(index)}).removeCommunity(ctx, pos[0], "", true)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "removed %s (%q by %s)\n", d.ID, d.Title, d.Author)
		return nil
	}
	return usageError{fmt.Sprintf("kb: unknown subcommand %q", sub)}
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

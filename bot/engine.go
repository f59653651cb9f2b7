package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/paybot/paybot/incidents"
)

// Searcher answers troubleshooting questions. kb.Index satisfies it through
// a small wrapper in cmd/paybot.
type Searcher interface {
	// Ask returns the best hits for question and whether they are good
	// enough to show as answers.
	Ask(ctx context.Context, question string, limit int) (hits []Hit, confident bool, err error)
}

// Config wires an Engine.
type Config struct {
	Store    incidents.Store
	Clock    incidents.Clock // defaults to the system clock
	Flow     *incidents.Flow // defaults to incidents.DefaultFlow()
	Location *time.Location  // for parsing "14:05"; defaults to UTC
	KB       Searcher        // optional
	Logger   *slog.Logger    // optional
}

// Engine is the core: it turns Events into domain calls and Messages.
type Engine struct {
	cfg      Config
	adapters map[string]Adapter
}

// NewEngine returns an engine; add adapters before starting them.
func NewEngine(cfg Config) *Engine {
	return &Engine{cfg: cfg, adapters: map[string]Adapter{}}
}

// AddAdapter registers a platform's adapter; replies to events from that
// platform go through it.
func (e *Engine) AddAdapter(a Adapter) { e.adapters[a.Platform()] = a }

// HandleEvent processes ev synchronously and posts the replies. A
// redelivered ev.ID has no effect.
func (e *Engine) HandleEvent(ctx context.Context, ev Event) error { return nil }

// Accept durably enqueues ev and processes it in the background, for
// adapters that must acknowledge the platform within a deadline. It returns
// nil for a duplicate: the platform may stop retrying.
func (e *Engine) Accept(ctx context.Context, ev Event) error { return nil }

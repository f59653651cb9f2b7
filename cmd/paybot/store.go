package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	discordadapter "github.com/paybot/paybot/adapters/discord"
	slackadapter "github.com/paybot/paybot/adapters/slack"
	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
	"github.com/paybot/paybot/incidents/report"
	"github.com/paybot/paybot/incidents/sqlite"
)

// fullStore is every store capability the binary uses. Both incidents/sqlite
// and incidents/postgres provide all of it, so decorators (opsStore) can
// embed it and keep the engine's optional-interface checks working.
type fullStore interface {
	incidents.Store
	incidents.JobStore
	incidents.OutboxStore
	Stats(ctx context.Context, now time.Time) (incidents.Stats, error)
	Ping(ctx context.Context) error
	// Per-channel pacing shared by the replicas (Slack).
	slackadapter.ChannelPacer
	// Reply state shared by the replicas (Discord interactions: who fills a
	// deferred original, which interaction sent a message), and its
	// pruning, which the engine finds by type assertion.
	discordadapter.ReplyStore
	PruneReplyState(ctx context.Context, now time.Time) (int64, error)
	// The digest's jobs without incident (bot/review.go finds them by type
	// assertion, so a wrapper that did not list them would hide them).
	ScheduleSystemJobs(ctx context.Context, jobs []incidents.Job) error
	CompleteJobWith(ctx context.Context, id int64, at time.Time, next []incidents.Job, notes []incidents.Notification) error
	// Reports, the digest and the dashboard's analytics read through it.
	report.Source
}

var (
	_ fullStore = (*sqlite.Store)(nil)
	_ fullStore = (*postgres.Store)(nil)
)

// dbOpenTimeout bounds connecting to PostgreSQL and migrating at start: a
// database that is down makes paybot exit with an error, not hang.
const dbOpenTimeout = 15 * time.Second

// databaseURL is PAYBOT_DATABASE_URL, else database_url in the config file.
func (a *app) databaseURL() string {
	return a.lookup("PAYBOT_DATABASE_URL")
}

// databaseURLName names where the database URL comes from, for messages
// (never the URL itself, which holds the password).
func (a *app) databaseURLName() string {
	if a.getenv("PAYBOT_DATABASE_URL") == "" && a.cfg != nil && a.cfg.DatabaseURL != "" {
		if a.configPath != "" {
			return "database_url in " + a.configPath
		}
		return "database_url"
	}
	return "PAYBOT_DATABASE_URL"
}

// openStore opens PostgreSQL when a database URL is configured, else the
// embedded SQLite store in the data directory.
func (a *app) openStore(ctx context.Context) (fullStore, error) {
	if dsn := a.databaseURL(); dsn != "" {
		octx, cancel := context.WithTimeout(ctx, dbOpenTimeout)
		defer cancel()
		// postgres.Open's errors never hold the password, whatever the
		// URL looks like (incidents/postgres/dsn.go); the URL itself is
		// never printed nor logged.
		s, err := postgres.Open(octx, dsn)
		if err != nil {
			if errors.Is(err, incidents.ErrInvalid) {
				return nil, fmt.Errorf("%s: %w", a.databaseURLName(), err)
			}
			return nil, fmt.Errorf("PostgreSQL is unreachable or refused the schema (%s): %w", a.databaseURLName(), err)
		}
		return s, nil
	}
	if err := secureDataDir(a.dataDir); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(a.dataDir, "paybot.db"))
}

// storeKind names the configured store for logs and /readyz.
func (a *app) storeKind() string {
	if a.databaseURL() != "" {
		return "postgres"
	}
	return "sqlite"
}

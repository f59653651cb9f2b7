package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ReportKindsWhere exposes the report's timeline condition to the plan test.
var ReportKindsWhere = reportKindsWhere

// ReportQuery and ReportPlanSettings expose the report's query and its
// planner settings to the plan test.
var ReportQuery, ReportPlanSettings = reportQuery, reportPlanSettings

// PgTime exposes the binary timestamptz decoder to its test.
var PgTime = pgTime

// SetBounds shortens the statement, ping and LISTEN-check bounds for a
// test and returns a function that restores them.
func SetBounds(statement, ping, listen time.Duration) (restore func()) {
	s, p, l := statementTimeout.get(), pingTimeout.get(), listenCheck.get()
	statementTimeout.set(statement)
	pingTimeout.set(ping)
	listenCheck.set(listen)
	return func() {
		statementTimeout.set(s)
		pingTimeout.set(p)
		listenCheck.set(l)
	}
}

// HoldConns acquires every connection of s's two pools (pool_max_conns
// and ackConns) and returns how many it holds and a function that
// releases them.
func HoldConns(ctx context.Context, s *Store) (int, func(), error) {
	var held []*pgxpool.Conn
	release := func() {
		for _, c := range held {
			c.Release()
		}
	}
	for _, p := range []*pgxpool.Pool{s.pool, s.ackPool} {
		for i := int32(0); i < p.Config().MaxConns; i++ {
			c, err := p.Acquire(ctx)
			if err != nil {
				release()
				return 0, nil, err
			}
			held = append(held, c)
		}
	}
	return len(held), release, nil
}

package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

var _ incidents.GatewayStore = (*Store)(nil)

// SaveGatewaySnapshot replaces the provider's snapshot. Errors: ErrInvalid.
func (s *Store) SaveGatewaySnapshot(ctx context.Context, snap incidents.GatewaySnapshot) error {
	if snap.Provider == "" {
		return fmt.Errorf("postgres: save gateway snapshot: %w: empty provider", incidents.ErrInvalid)
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("postgres: save gateway snapshot: %w: %v", incidents.ErrInvalid, err)
	}
	err = s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO gateway_status (provider, snapshot, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (provider) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
			snap.Provider, raw, snap.CheckedAt.UTC())
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: save gateway snapshot: %w", err)
	}
	return nil
}

// GatewaySnapshots returns every provider's snapshot, by provider name.
func (s *Store) GatewaySnapshots(ctx context.Context) ([]incidents.GatewaySnapshot, error) {
	var out []incidents.GatewaySnapshot
	err := s.query(ctx, func(c *pgxpool.Pool) error {
		rows, err := c.Query(ctx, `SELECT snapshot FROM gateway_status ORDER BY provider`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				return err
			}
			var g incidents.GatewaySnapshot
			if err := json.Unmarshal(raw, &g); err != nil {
				return err
			}
			out = append(out, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: gateway snapshots: %w", err)
	}
	return out, nil
}

// ClaimGatewayPost inserts key unless present and reports whether it did;
// ON CONFLICT DO NOTHING lets exactly one of racing replicas win. Errors:
// ErrInvalid for an empty key.
func (s *Store) ClaimGatewayPost(ctx context.Context, key, provider string, incident uuid.UUID, at time.Time) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("postgres: claim gateway post: %w: empty key", incidents.ErrInvalid)
	}
	var inc *uuid.UUID
	if incident != uuid.Nil {
		inc = &incident
	}
	var won bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO gateway_posts (key, provider, incident_id, posted_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key) DO NOTHING`, key, provider, inc, at.UTC())
		won = err == nil && tag.RowsAffected() == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("postgres: claim gateway post: %w", err)
	}
	return won, nil
}

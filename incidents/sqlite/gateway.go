package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

var _ incidents.GatewayStore = (*Store)(nil)

// SaveGatewaySnapshot replaces the provider's snapshot. Errors: ErrInvalid.
func (s *Store) SaveGatewaySnapshot(ctx context.Context, snap incidents.GatewaySnapshot) error {
	if snap.Provider == "" {
		return fmt.Errorf("sqlite: save gateway snapshot: %w: empty provider", incidents.ErrInvalid)
	}
	raw, err := json.Marshal(snap)
	if err != nil {
		return fmt.Errorf("sqlite: save gateway snapshot: %w: %v", incidents.ErrInvalid, err)
	}
	err = s.w.do(ctx, func(t *wtx) error {
		_, err := t.exec(`INSERT INTO gateway_status (provider, snapshot, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (provider) DO UPDATE SET snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
			snap.Provider, string(raw), nanos(snap.CheckedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: save gateway snapshot: %w", err)
	}
	return nil
}

// GatewaySnapshots returns every provider's snapshot, by provider name.
func (s *Store) GatewaySnapshots(ctx context.Context) ([]incidents.GatewaySnapshot, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT snapshot FROM gateway_status ORDER BY provider`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: gateway snapshots: %w", err)
	}
	defer rows.Close()
	var out []incidents.GatewaySnapshot
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("sqlite: gateway snapshots: %w", err)
		}
		var g incidents.GatewaySnapshot
		if err := json.Unmarshal([]byte(raw), &g); err != nil {
			return nil, fmt.Errorf("sqlite: gateway snapshot: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ClaimGatewayPost inserts key unless present and reports whether it did.
// The single writer serialises racing callers; the primary key decides.
// Errors: ErrInvalid for an empty key.
func (s *Store) ClaimGatewayPost(ctx context.Context, key, provider string, incident uuid.UUID, at time.Time) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("sqlite: claim gateway post: %w: empty key", incidents.ErrInvalid)
	}
	inc := ""
	if incident != uuid.Nil {
		inc = incident.String()
	}
	var won bool
	err := s.w.do(ctx, func(t *wtx) error {
		res, err := t.exec(`INSERT INTO gateway_posts (key, provider, incident_id, posted_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO NOTHING`, key, provider, inc, nanos(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sqlite: claim gateway post: %w", err)
	}
	return won, nil
}

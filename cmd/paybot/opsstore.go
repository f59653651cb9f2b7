package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/paybot/paybot/incidents"
)

// opsStore wraps the store for operations without touching the core: it
// writes one audit log line for every incident lifecycle action that
// commits, and feeds the event, outbox and job counters. Every other method
// passes through (the embedded fullStore), so the engine's optional
// interfaces still resolve.
type opsStore struct {
	fullStore
	log *slog.Logger
	m   *metrics // nil: no metrics
}

func newOpsStore(s fullStore, log *slog.Logger, m *metrics) *opsStore {
	return &opsStore{fullStore: s, log: log, m: m}
}

// CreateIncident implements incidents.Store and audits the new incident.
func (s *opsStore) CreateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	err := s.fullStore.CreateIncident(ctx, inc, ch)
	s.countEvent(ch.EventKey, err)
	if err != nil {
		return err
	}
	action := "created"
	if inc.Status != incidents.StatusIntake {
		action = "opened"
	}
	attrs := []any{}
	if inc.Severity != incidents.SevUnknown {
		attrs = append(attrs, "severity", inc.Severity.String())
	}
	s.audit(ctx, action, inc, actorOf(ch, inc.Reporter), attrs...)
	return nil
}

// UpdateIncident implements incidents.Store and audits what changed. It
// reads the stored incident first (one indexed read) to know the status and
// severity it leaves; the version check makes that read exact for a commit.
func (s *opsStore) UpdateIncident(ctx context.Context, inc *incidents.Incident, ch incidents.Change) error {
	old, rerr := s.fullStore.Incident(ctx, inc.ID)
	err := s.fullStore.UpdateIncident(ctx, inc, ch)
	s.countEvent(ch.EventKey, err)
	if err != nil || rerr != nil {
		return err
	}
	who := actorOf(ch, incidents.User{Platform: "paybot", ID: "paybot", Name: "paybot"})
	if old.Status != inc.Status {
		s.audit(ctx, statusAction(old.Status, inc.Status), inc, who, "from", string(old.Status), "to", string(inc.Status))
	}
	if old.Severity != inc.Severity {
		s.audit(ctx, "severity_changed", inc, who, "from", old.Severity.String(), "to", inc.Severity.String())
	}
	for _, e := range ch.Timeline {
		switch e.Kind {
		case incidents.EventEscalation:
			if old.Status == inc.Status { // a ladder step; the first escalation was logged above
				s.audit(ctx, "escalated", inc, e.Actor, "detail", e.Text)
			}
		case incidents.EventAck:
			s.audit(ctx, "acknowledged", inc, e.Actor)
		}
	}
	return nil
}

// statusAction names a status transition for the audit log.
func statusAction(from, to incidents.Status) string {
	switch {
	case to == incidents.StatusOpen && from == incidents.StatusIntake:
		return "opened"
	case to == incidents.StatusOpen:
		return "reopened"
	case to == incidents.StatusEscalated:
		return "escalated"
	case to == incidents.StatusResolved:
		return "resolved"
	case to == incidents.StatusCancelled:
		return "cancelled"
	case to == incidents.StatusClosed:
		return "closed"
	}
	return "status_changed"
}

// actorOf is who made a change: the first timeline entry's actor, else def.
func actorOf(ch incidents.Change, def incidents.User) incidents.User {
	for _, e := range ch.Timeline {
		if e.Actor.ID != "" || e.Actor.Name != "" {
			return e.Actor
		}
	}
	return def
}

func (s *opsStore) audit(ctx context.Context, action string, inc *incidents.Incident, who incidents.User, attrs ...any) {
	base := []any{"audit", true, "action", action, "incident", inc.Ref, "status", string(inc.Status),
		"actor_platform", who.Platform, "actor_id", who.ID, "actor_name", who.Name}
	s.log.InfoContext(auditContext(ctx), "incident "+action, append(base, attrs...)...)
}

// countEvent counts an event that took effect with a change, or a
// redelivery refused by it.
func (s *opsStore) countEvent(key string, err error) {
	if s.m == nil || key == "" {
		return
	}
	switch {
	case err == nil:
		s.m.eventsProcessed.WithLabelValues(platformOfKey(key)).Inc()
	case errors.Is(err, incidents.ErrDuplicate):
		s.m.eventsDeduplicated.WithLabelValues(platformOfKey(key)).Inc()
	}
}

// MarkEventProcessed implements incidents.Store, counting the event.
func (s *opsStore) MarkEventProcessed(ctx context.Context, key string, at time.Time) error {
	err := s.fullStore.MarkEventProcessed(ctx, key, at)
	s.countEvent(key, err)
	return err
}

// EnqueueEvent implements incidents.Store, counting a redelivery.
func (s *opsStore) EnqueueEvent(ctx context.Context, key string, payload []byte, at time.Time, messageKeys ...string) error {
	err := s.fullStore.EnqueueEvent(ctx, key, payload, at, messageKeys...)
	if s.m != nil && errors.Is(err, incidents.ErrDuplicate) {
		s.m.eventsDeduplicated.WithLabelValues(platformOfKey(key)).Inc()
	}
	return err
}

// ClaimDueJobs implements incidents.JobStore, counting claimed and late jobs.
func (s *opsStore) ClaimDueJobs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]incidents.Job, error) {
	jobs, err := s.fullStore.ClaimDueJobs(ctx, now, lease, limit)
	if s.m != nil && err == nil {
		s.m.observeJobs(now, jobs)
	}
	return jobs, err
}

// MarkSent implements incidents.OutboxStore, counting a delivery.
func (s *opsStore) MarkSent(ctx context.Context, id int64, at time.Time) error {
	err := s.fullStore.MarkSent(ctx, id, at)
	if s.m != nil && err == nil {
		s.m.outboxDelivered.Inc()
	}
	return err
}

// MarkFailed implements incidents.OutboxStore, counting a retry or a
// notification given up.
func (s *opsStore) MarkFailed(ctx context.Context, id int64, retryAt time.Time, errText string, dead bool) error {
	err := s.fullStore.MarkFailed(ctx, id, retryAt, errText, dead)
	if s.m != nil && err == nil {
		if dead {
			s.m.outboxFailed.Inc()
		} else {
			s.m.outboxRetried.Inc()
		}
	}
	return err
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/paybot/paybot/incidents"
)

// errJobsOutbox stands in until the PostgreSQL jobs and outbox tables land
// (helper h14's branch); the lead replaces this file with that code.
var errJobsOutbox = errors.New("postgres: jobs and outbox not implemented in this build")

// ScheduleJobs is not implemented in this build.
func (s *Store) ScheduleJobs(context.Context, []incidents.Job) error { return errJobsOutbox }

// ClaimDueJobs is not implemented in this build.
func (s *Store) ClaimDueJobs(context.Context, time.Time, time.Duration, int) ([]incidents.Job, error) {
	return nil, errJobsOutbox
}

// NextDue is not implemented in this build.
func (s *Store) NextDue(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, errJobsOutbox
}

// CompleteJob is not implemented in this build.
func (s *Store) CompleteJob(context.Context, int64, time.Time) error { return errJobsOutbox }

// Jobs is not implemented in this build.
func (s *Store) Jobs(context.Context, uuid.UUID) ([]incidents.Job, error) { return nil, errJobsOutbox }

// QueueNotifications is not implemented in this build.
func (s *Store) QueueNotifications(context.Context, []incidents.Notification) error {
	return errJobsOutbox
}

// CommitEvent is not implemented in this build.
func (s *Store) CommitEvent(context.Context, incidents.Change) error { return errJobsOutbox }

// ClaimNotifications is not implemented in this build.
func (s *Store) ClaimNotifications(context.Context, time.Time, time.Duration, int) ([]incidents.Notification, error) {
	return nil, errJobsOutbox
}

// ExtendClaim is not implemented in this build.
func (s *Store) ExtendClaim(context.Context, int64, time.Time) error { return errJobsOutbox }

// MarkSent is not implemented in this build.
func (s *Store) MarkSent(context.Context, int64, time.Time) error { return errJobsOutbox }

// MarkFailed is not implemented in this build.
func (s *Store) MarkFailed(context.Context, int64, time.Time, string, bool) error {
	return errJobsOutbox
}

// Notifications is not implemented in this build.
func (s *Store) Notifications(context.Context, uuid.UUID) ([]incidents.Notification, error) {
	return nil, errJobsOutbox
}

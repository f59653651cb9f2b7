package incidents

import (
	"errors"
	"testing"
	"time"
)

// TestEffectsEncoding: the checks and defaults both stores share.
func TestEffectsEncoding(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	if _, err := (Job{Kind: "sla_warning"}).EncodedPayload(); !errors.Is(err, ErrInvalid) {
		t.Errorf("job without key: %v", err)
	}
	if b, err := (Job{Kind: "k", DedupeKey: "d"}).EncodedPayload(); err != nil || b != nil {
		t.Errorf("no payload: %q, %v", b, err)
	}
	if b, err := (Job{Kind: "k", DedupeKey: "d", Payload: map[string]string{"a": "b"}}).EncodedPayload(); err != nil || string(b) != `{"a":"b"}` {
		t.Errorf("payload: %q, %v", b, err)
	}
	if _, err := (Notification{Kind: NotifyDM, DedupeKey: "d"}).Normalized(now); !errors.Is(err, ErrInvalid) {
		t.Errorf("notification without payload: %v", err)
	}
	n, err := Notification{Kind: NotifyDM, DedupeKey: "d", Payload: []byte(`{}`)}.Normalized(now)
	if err != nil || !n.NextAttemptAt.Equal(now) || !n.CreatedAt.Equal(now) || n.ChannelKey != "n:d" {
		t.Errorf("defaults: %+v, %v", n, err)
	}
	n, _ = Notification{Kind: NotifyDM, DedupeKey: "d", Payload: []byte(`{}`), ChannelKey: "slack:C1", CreatedAt: now.Add(-time.Hour)}.Normalized(now)
	if n.ChannelKey != "slack:C1" || !n.CreatedAt.Equal(now.Add(-time.Hour)) {
		t.Errorf("kept values: %+v", n)
	}
}

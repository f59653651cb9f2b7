package bot_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

type fakeMailer struct {
	mu    sync.Mutex
	fails int
	sent  []string
}

func (m *fakeMailer) SendMail(_ context.Context, to []string, subject, body string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fails > 0 {
		m.fails--
		return &bot.RetryAfterError{After: 30 * time.Second, Err: errors.New("421 busy")}
	}
	m.sent = append(m.sent, strings.Join(to, ",")+" "+subject)
	return nil
}

func TestEmailThroughOutboxWithRetryAfter(t *testing.T) {
	p, _ := incidents.ParsePolicyYAML([]byte(policyYAML))
	m := &fakeMailer{fails: 1}
	h := bottest.New(t, bot.Config{Policy: p, Mailer: m})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	h.ThreadCommand("escalate")
	if len(m.sent) != 0 {
		t.Fatalf("sent despite 421: %v", m.sent)
	}
	// Retry-After 30s is honoured: nothing at 10s, delivered at 30s.
	h.Clock.Advance(10 * time.Second)
	h.Engine.FlushOutbox(context.Background())
	if len(m.sent) != 0 {
		t.Fatal("retried before Retry-After")
	}
	h.Clock.Advance(20 * time.Second)
	h.Engine.FlushOutbox(context.Background())
	if len(m.sent) != 1 || !strings.Contains(m.sent[0], "sam@stripe.example [PAY-1] SEV1") {
		t.Fatalf("sent = %v", m.sent)
	}
}

func TestStuckDeliveryReclaimedOnce(t *testing.T) {
	p, _ := incidents.ParsePolicyYAML([]byte(policyYAML))
	h := bottest.New(t, bot.Config{Policy: p})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	inc := h.Incident()
	ob := h.Store.(incidents.OutboxStore)
	// A worker claims a notification and dies before sending or marking it.
	if err := ob.QueueNotifications(context.Background(), []incidents.Notification{{IncidentID: inc.ID, Kind: incidents.NotifyThreadPost,
		DedupeKey: "crash-test", NextAttemptAt: h.Clock.Now(),
		Payload: []byte(`{"message":{"conversation":{"platform":"fake","channel":"C1","thread":"` + inc.Conversation.Thread + `"},"kind":"text","text":"after the crash"}}`)}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := ob.ClaimNotifications(context.Background(), h.Clock.Now(), 15*time.Second, 10); len(c) != 1 {
		t.Fatalf("claimed %d", len(c))
	}
	h.Restart()
	before := len(h.Adapter.Log)
	h.Engine.FlushOutbox(context.Background())
	if len(h.Adapter.Log) != before {
		t.Fatal("delivered while another worker's lease was still valid")
	}
	h.Clock.Advance(15 * time.Second)
	h.Engine.FlushOutbox(context.Background())
	h.Engine.FlushOutbox(context.Background())
	if n := countContaining(h.Adapter.Log[before:], "after the crash"); n != 1 {
		t.Fatalf("delivered %d times after the lease ran out, want 1", n)
	}
}

// TestOutboxLeavesOtherPlatformsUntouched: a process without the adapter
// for a notification's platform (a console, or a replica configured with
// fewer platforms, on the same store) hands it back without counting an
// attempt, however often it claims it, so the process that runs the
// platform still has every retry and the first backoff when it gets it.
func TestOutboxLeavesOtherPlatformsUntouched(t *testing.T) {
	p, _ := incidents.ParsePolicyYAML([]byte(policyYAML))
	h := bottest.New(t, bot.Config{Policy: p})
	runIntake(t, h, h.Command("card payments failing at checkout"))
	inc := h.Incident()
	ob := h.Store.(incidents.OutboxStore)
	ctx := context.Background()
	if err := ob.QueueNotifications(ctx, []incidents.Notification{{IncidentID: inc.ID, Kind: incidents.NotifyThreadPost,
		DedupeKey: "elsewhere", ChannelKey: "discord:C9", NextAttemptAt: h.Clock.Now(),
		Payload: []byte(`{"message":{"conversation":{"platform":"discord","channel":"C9"},"kind":"text","text":"for discord"}}`)}}); err != nil {
		t.Fatal(err)
	}
	for range 30 {
		h.Engine.FlushOutbox(ctx)
		h.Clock.Advance(2 * time.Second)
	}
	list, err := ob.Notifications(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, n := range list {
		if n.DedupeKey != "elsewhere" {
			continue
		}
		found = true
		if n.Status != "pending" || n.Attempts != 0 || n.LastError != "" {
			t.Fatalf("after 30 claims by a process without its adapter: status %s, %d attempts, last error %q; want pending, 0, none",
				n.Status, n.Attempts, n.LastError)
		}
	}
	if !found {
		t.Fatal("the notification is gone")
	}
}

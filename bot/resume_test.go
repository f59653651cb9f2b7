package bot_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
)

// TestResumeDeliversBeforeReturning: Resume returns once the re-asked
// questions are delivered, even when the running outbox worker (here
// polling every millisecond) claims them first, so the console knows which
// thread asked last before it reads the next line. Newest last.
func TestResumeDeliversBeforeReturning(t *testing.T) {
	h := bottest.New(t, bot.Config{})
	h.Command("declines spiking")
	h.Command("payouts late")
	for i := 0; i < 10; i++ {
		h.Restart()
		h.Clock.Advance(time.Second) // a new resume, not a repeat of the last
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); h.Engine.RunOutbox(ctx, time.Millisecond) }()
		before := len(h.Adapter.Messages())
		if err := h.Engine.Resume(context.Background(), bottest.Platform); err != nil {
			t.Fatal(err)
		}
		var asked []string
		for _, m := range h.Adapter.Messages()[before:] {
			if m.Kind == bot.KindQuestion {
				asked = append(asked, m.Incident)
			}
		}
		cancel()
		wg.Wait()
		if len(asked) != 2 || asked[1] != "PAY-2" {
			t.Fatalf("run %d: questions delivered when Resume returned: %v; want PAY-1 then PAY-2", i, asked)
		}
	}
}

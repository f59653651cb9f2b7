package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/incidents"
)

// TestMergeButtonOverSignedInteraction: the "Join PAY-1" button the
// duplicate check offers, pressed in PAY-2's thread as a signed
// block_actions request, merges PAY-2 into PAY-1; both threads hear of it
// through the Web API.
func TestMergeButtonOverSignedInteraction(t *testing.T) {
	h, _, store := engineHarness(t)
	ctx := context.Background()
	const channel = "C0MERGE"
	steve := incidents.User{Platform: "slack", ID: "U2147483697", Name: "steve"}
	var incs []*incidents.Incident
	for i, thread := range []string{"1700000000.000100", "1700000000.000200"} {
		inc := incidents.New("declines at checkout", steve, bot.Conversation{Platform: "slack", Channel: channel}, time.Now())
		inc.Conversation = bot.Conversation{Platform: "slack", Channel: channel, Thread: thread}
		inc.Details.Provider = "stripe"
		inc.Details.TransactionIDs = []string{"ch_same", "ch_" + string(rune('a'+i))}
		if err := store.CreateIncident(ctx, inc, incidents.Change{}); err != nil {
			t.Fatal(err)
		}
		entry, _ := inc.Transition(incidents.StatusOpen, steve, time.Now())
		if err := store.UpdateIncident(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
			t.Fatal(err)
		}
		incs = append(incs, inc)
	}
	payload := blockAction("trig-merge", channel, "1700000000.000300", incs[1].Conversation.Thread, "merge"+actionSep+"0", "PAY-2 into PAY-1")
	if resp, _ := h.interaction(payload); resp.StatusCode != 200 {
		t.Fatalf("button status %d", resp.StatusCode)
	}
	waitFor(t, "merge notices in both threads", func() bool {
		if eph := h.api.Calls("chat.postEphemeral"); len(eph) > 0 {
			t.Fatalf("merge refused: %s", eph[len(eph)-1].Form.Get("text"))
		}
		a := threadPosts(h.api, channel, incs[0].Conversation.Thread)
		b := threadPosts(h.api, channel, incs[1].Conversation.Thread)
		return len(a) > 0 && len(b) > 0
	})
	a := threadPosts(h.api, channel, incs[0].Conversation.Thread)
	b := threadPosts(h.api, channel, incs[1].Conversation.Thread)
	if !strings.Contains(a[0].Form.Get("text"), "merged PAY-2 into PAY-1") || !strings.Contains(b[0].Form.Get("text"), "PAY-2 is merged into PAY-1") {
		t.Errorf("notices: %q / %q", a[0].Form.Get("text"), b[0].Form.Get("text"))
	}
	src, _ := store.IncidentByRef(ctx, "PAY-2")
	dst, _ := store.IncidentByRef(ctx, "PAY-1")
	if src.Status != incidents.StatusCancelled || len(dst.Details.TransactionIDs) != 3 {
		t.Errorf("after the merge: PAY-2 %s, PAY-1 transactions %v", src.Status, dst.Details.TransactionIDs)
	}
}

package console

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
)

type recorder struct{ events []bot.Event }

func (r *recorder) HandleEvent(_ context.Context, ev bot.Event) error {
	r.events = append(r.events, ev)
	return nil
}

func TestJSONInputAndThreads(t *testing.T) {
	in := strings.Join([]string{
		`/payissue checkout broken`,
		`{"user": "ana", "text": "stripe", "thread": "pay-3", "id": "x1"}`,
		`:thread PAY-7`,
		`production`,
		`{not json`,
		``,
		`{"text": "/payissue status"}`,
	}, "\n")
	var out bytes.Buffer
	a := New(Options{In: strings.NewReader(in), Out: &out, JSON: true, User: "bob"})
	rec := &recorder{}
	if err := a.Start(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 4 {
		t.Fatalf("got %d events, want 4: %+v", len(rec.events), rec.events)
	}
	want := []struct {
		kind   bot.EventKind
		user   string
		thread string
		text   string
	}{
		{bot.EventCommand, "bob", "", "checkout broken"},
		{bot.EventMessage, "ana", "PAY-3", "stripe"},
		{bot.EventMessage, "bob", "PAY-7", "production"},
		{bot.EventCommand, "bob", "PAY-7", "status"},
	}
	for i, w := range want {
		ev := rec.events[i]
		if ev.Kind != w.kind || ev.User.ID != w.user || ev.Conversation.Thread != w.thread || ev.Text != w.text {
			t.Errorf("event %d = %+v, want %+v", i, ev, w)
		}
	}
	if rec.events[1].ID != "console:x1" {
		t.Errorf("id = %q, want console:x1", rec.events[1].ID)
	}
	if !strings.Contains(out.String(), "line 5: not valid JSON") {
		t.Errorf("bad line not reported with its number: %s", out.String())
	}
}

func TestOutputJSONShape(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Out: &out, JSON: true})
	ctx := context.Background()
	card, _ := a.Post(ctx, bot.Message{Kind: bot.KindCard, Incident: "PAY-1", Text: "card"})
	thread, _ := a.OpenThread(ctx, card, "PAY-1 x")
	a.Post(ctx, bot.Message{Conversation: thread, Incident: "PAY-1", Kind: bot.KindQuestion, Text: "Which gateway?", Expects: "provider",
		Choices: []bot.Choice{{Value: "stripe", Label: "Stripe"}}})
	a.DirectMessage(ctx, bot.User{ID: "am", Name: "Stripe account manager"}, bot.Message{Text: "packet"})
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines: %s", len(lines), out.String())
	}
	var q map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &q); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"incident", "thread", "text", "expects", "choices"} {
		if _, ok := q[k]; !ok {
			t.Errorf("question output lacks %q: %s", k, lines[1])
		}
	}
	if q["thread"] != "PAY-1" || q["expects"] != "provider" {
		t.Errorf("question output: %s", lines[1])
	}
	if !strings.Contains(lines[2], `"dm":true`) {
		t.Errorf("dm output: %s", lines[2])
	}
}

func TestTextModeShowsDMs(t *testing.T) {
	var out bytes.Buffer
	a := New(Options{Out: &out})
	a.DirectMessage(context.Background(), bot.User{ID: "am", Name: "Stripe account manager"}, bot.Message{Text: "PAY-1 needs you"})
	if got := out.String(); !strings.HasPrefix(got, "[dm → Stripe account manager] PAY-1 needs you") {
		t.Errorf("got %q", got)
	}
}

// TestConsoleCommandsAreNotNotes: :help prints the console's help, an
// unknown ":word" says so, and :quit ends the session; none of them
// reaches the engine as a message, even inside a thread.
func TestConsoleCommandsAreNotNotes(t *testing.T) {
	in := strings.Join([]string{`:thread PAY-1`, `:help`, `:nope`, `a note`, `:quit`, `after quit`}, "\n")
	var out bytes.Buffer
	a := New(Options{In: strings.NewReader(in), Out: &out})
	rec := &recorder{}
	if err := a.Start(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 || rec.events[0].Text != "a note" {
		t.Fatalf("events = %+v", rec.events)
	}
	if !strings.Contains(out.String(), ":quit (leave)") || !strings.Contains(out.String(), `unknown console command ":nope"`) {
		t.Errorf("output: %s", out.String())
	}
}

// resumer is a handler that, like the engine, re-asks unfinished intakes
// (oldest first) through the adapter before Start reads a line.
type resumer struct {
	recorder
	a       *Adapter
	threads []string
}

func (r *resumer) Resume(ctx context.Context, _ string) error {
	for _, th := range r.threads {
		r.a.Post(ctx, bot.Message{Conversation: bot.Conversation{Platform: Platform, Channel: Channel, Thread: th},
			Incident: th, Kind: bot.KindQuestion, Text: "Which gateway?", Expects: "provider"})
	}
	return nil
}

// TestRoutingAfterResumeIsDeterministic: after a restart, the first plain
// line goes to the thread whose question was re-asked last (the newest
// intake, shown last), not to the channel and not to the first one; with
// --thread nothing is re-asked and lines go where it says.
func TestRoutingAfterResumeIsDeterministic(t *testing.T) {
	for _, tc := range []struct {
		thread  string
		threads []string
		want    string
	}{
		{"", []string{"PAY-1", "PAY-2"}, "PAY-2"},
		{"", []string{"PAY-7"}, "PAY-7"},
		{"", nil, ""},
		{"pay-1", []string{"PAY-1", "PAY-2"}, "PAY-1"},
	} {
		var out bytes.Buffer
		a := New(Options{In: strings.NewReader("stripe\n"), Out: &out, JSON: true, Thread: tc.thread})
		h := &resumer{a: a, threads: tc.threads}
		if err := a.Start(context.Background(), h); err != nil {
			t.Fatal(err)
		}
		if len(h.events) != 1 || h.events[0].Conversation.Thread != tc.want {
			t.Errorf("thread %q, re-asked %v: first line went to %+v, want thread %q", tc.thread, tc.threads, h.events, tc.want)
		}
		// A question arriving later, while a thread is current, does not
		// move the lines.
		a.Post(context.Background(), bot.Message{Conversation: bot.Conversation{Platform: Platform, Channel: Channel, Thread: "PAY-9"}, Kind: bot.KindQuestion})
		if tc.want != "" && a.current != tc.want {
			t.Errorf("a later question moved the lines to %q", a.current)
		}
	}
}

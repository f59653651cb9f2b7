package bot_test

import (
	"strings"
	"testing"

	"github.com/paybot/paybot/bot"
)

func TestRedactEvent(t *testing.T) {
	ev := bot.Event{
		ID:     "slack:Ev1",
		Text:   "card 4111.1111.1111.1111 cvv 123 \xff",
		Values: []string{"password=hunter2", "ok"},
		User:   bot.User{Platform: "slack", ID: "U1", Name: "4111 1111 1111 1111"},
		Action: "escalate",
	}
	labels := bot.RedactEvent(&ev)
	if len(labels) != 4 || len(ev.Masked) != 4 {
		t.Fatalf("labels %v masked %v", labels, ev.Masked)
	}
	for _, s := range append([]string{ev.Text, ev.User.Name}, ev.Values...) {
		if strings.Contains(s, "1111.1111") || strings.Contains(s, "1111 1111") || strings.Contains(s, "123") || strings.Contains(s, "hunter2") || strings.Contains(s, "\xff") {
			t.Errorf("leak in %q", s)
		}
	}
	if ev.Values[1] != "ok" || ev.Action != "escalate" || ev.User.ID != "U1" {
		t.Errorf("changed what it must not: %+v", ev)
	}
	again := ev
	if l := bot.RedactEvent(&again); len(l) != 0 || again.Text != ev.Text || len(again.Masked) != 4 {
		t.Errorf("second pass: %v %q %v", l, again.Text, again.Masked)
	}
}

func TestRedactEventCutsLongText(t *testing.T) {
	ev := bot.Event{Text: strings.Repeat("x", 1<<20)}
	bot.RedactEvent(&ev)
	if len(ev.Text) > bot.MaxStoredText || !strings.Contains(ev.Text, "(message cut: ") {
		t.Fatalf("len %d tail %q", len(ev.Text), ev.Text[len(ev.Text)-50:])
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// TestConsoleStrangerCannotCloseAnIncident replays the console run
// with paybot.example.yaml: mallory, who has no role, answers the intake,
// posts "I can help", then tries to escalate, downgrade, resolve and
// cancel. Every attempt is refused with who can, and nothing changes; an
// incident manager (alice) can cancel and undo the cancel.
func TestConsoleStrangerCannotCloseAnIncident(t *testing.T) {
	lines := []string{
		`{"user":"carol","text":"/payissue card payments failing at checkout"}`,
		`{"user":"carol","text":"1"}`,
		`{"user":"carol","text":"stripe"}`,
		`{"user":"mallory","text":"sandbox"}`,
		`{"user":"carol","text":"production"}`,
		`{"user":"carol","text":"10 min ago"}`,
		`{"user":"carol","text":"about 60% of card payments"}`,
		`{"user":"carol","text":"do_not_honor"}`,
		`{"user":"carol","text":"skip"}`,
		`{"user":"carol","text":"visa"}`,
		`{"user":"carol","text":"retried"}`,
		`{"user":"carol","text":"yes"}`,
		`{"user":"mallory","text":"I can help"}`,
		`{"user":"mallory","text":"/payissue escalate"}`,
		`{"user":"mallory","text":"/payissue severity SEV4"}`,
		`{"user":"mallory","text":"/payissue resolve nothing :: nothing"}`,
		`{"user":"mallory","text":"/payissue cancel PAY-1"}`,
		`{"user":"mallory","text":"/payissue status PAY-1"}`,
		// join is open to anyone; it must not lead on to taking the incident over
		`{"user":"mallory","text":"/payissue join"}`,
		`{"user":"mallory","text":"/payissue lead me"}`,
		`{"user":"mallory","text":"/payissue severity SEV4 downgraded"}`,
		`{"user":"mallory","text":"/payissue cancel"}`,
		`{"user":"alice","text":"/payissue cancel"}`,
		`{"user":"carol","text":"/payissue reopen"}`,
		`{"user":"alice","text":"/payissue reopen cancelled by mistake"}`,
	}
	// The console takes lines as they come, so each line waits for the
	// bot's answer to the one before, as a person would.
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"--data", t.TempDir(), "--config", "../../paybot.example.yaml", "chat", "--json", "--user", "carol"},
			inR, outW, &errOut, func(string) string { return "" })
		outW.Close()
	}()
	got := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var o struct{ Text string }
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				o.Text = "NOT JSON: " + sc.Text()
			}
			got <- o.Text
		}
		close(got)
	}()
	var texts []string
	drain := func(wait time.Duration) {
		for {
			select {
			case m, ok := <-got:
				if !ok {
					return
				}
				texts = append(texts, m)
				wait = 150 * time.Millisecond // more may follow the first answer
			case <-time.After(wait):
				return
			}
		}
	}
	for _, l := range lines {
		if _, err := io.WriteString(inW, l+"\n"); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(l, "I can help") {
			drain(300 * time.Millisecond) // a note in the thread: no answer
			continue
		}
		drain(5 * time.Second)
	}
	inW.Close()
	drain(time.Second)
	if code := <-done; code != 0 {
		t.Fatalf("chat exited %d: %s", code, errOut.String())
	}
	all := strings.Join(texts, "\n---\n")
	for _, want := range []string{
		"Only the reporter, the lead or responders answer the questions of PAY-1",
		"is open as SEV1",
		"Sorry, only the reporter, the lead, responders, the engaged contacts, the on-call or incident managers can escalate PAY-1.",
		"Sorry, only the lead or incident managers can lower the severity of PAY-1.",
		"can resolve PAY-1.",
		"Sorry, only the lead or incident managers can cancel PAY-1 once it is open.",
		"Sorry, only the reporter, the engaged contacts, the on-call or incident managers can name the lead of PAY-1.",
		"PAY-1 was cancelled by",
		"Sorry, only incident managers can reopen PAY-1: it was cancelled.",
		"reopened PAY-1: cancelled by mistake",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	for _, bad := range []string{"post in the thread", "resolved PAY-1", "to SEV4", "cancelled by @mallory", "mallory is now the lead"} {
		if strings.Contains(all, bad) {
			t.Errorf("has %q:\n%s", bad, all)
		}
	}
}

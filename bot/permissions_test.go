package bot_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
	"github.com/paybot/paybot/incidents"
)

// learnKB is a knowledge base that learns and unlearns, for the unlearn row.
type learnKB struct {
	mu        sync.Mutex
	answers   map[string]string
	incidents map[string]bool
}

func (k *learnKB) Ask(context.Context, string, int) ([]bot.Hit, bool, error) { return nil, false, nil }
func (k *learnKB) LearnAnswer(_ context.Context, q, a string, _ *incidents.Incident, _ bot.User) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.answers[strings.ToLower(q)] = a
	return nil
}
func (k *learnKB) IndexIncident(_ context.Context, inc *incidents.Incident) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.incidents[inc.Ref] = true
	return nil
}

// Article says where the answers were learned: community:3f2a in PAY-1's
// thread, community:9e1b outside any incident.
func (k *learnKB) Article(_ context.Context, id string) (bot.Article, error) {
	switch id {
	case "community:3f2a":
		return bot.Article{ID: id, Title: "q", Text: "a", Incident: "PAY-1"}, nil
	case "community:9e1b":
		return bot.Article{ID: id, Title: "q", Text: "a"}, nil
	}
	return bot.Article{}, bot.ErrNoArticle
}

// Unlearn removes an answer someone else gave only for those allowed to
// remove any (manager).
func (k *learnKB) Unlearn(_ context.Context, id string, _ bot.User, manager bool) (string, error) {
	if !manager {
		return "", bot.ErrNotAuthor
	}
	return id, nil
}

// The people of the matrix: each holds exactly one role in PAY-1.
var matrixPeople = []struct{ role, user string }{
	{"reporter", "alice"},   // opened PAY-1
	{"lead", "lena"},        // /payissue lead lena
	{"responder", "ron"},    // /payissue join
	{"engaged", "U_AM"},     // engaged by the ladder (Stripe's account manager)
	{"oncall", "bob"},       // the rotation's person this week
	{"manager", "mia"},      // role incident_manager in the team
	{"stranger", "mallory"}, // posted in the thread, nothing more
}

// matrixSetup brings PAY-1 to the state a row needs.
type matrixSetup string

const (
	setupOpen      matrixSetup = "open"      // lead, responder; not escalated
	setupEscalated matrixSetup = "escalated" // and escalated: U_AM engaged
	setupResolved  matrixSetup = "resolved"  // escalated, then resolved by mia
	setupCancelled matrixSetup = "cancelled" // escalated, then cancelled by mia
	setupIntake    matrixSetup = "intake"    // still in intake, ron joined
	setupTwo       matrixSetup = "two"       // escalated, and PAY-2 opened by carol in the same channel
	setupSev3      matrixSetup = "sev3"      // escalated, then lowered to SEV3 by mia
)

// TestPermissionMatrix is the whole matrix, role × action, through the
// engine. In want, per person in matrixPeople order: Y allowed, N refused,
// - the role cannot exist in that state.
func TestPermissionMatrix(t *testing.T) {
	for _, row := range []struct {
		action string
		setup  matrixSetup
		cmd    string // a command, or "say:<text>" for a thread message, or "elsewhere:<cmd>" from another channel
		ok     string // in the answer when allowed
		want   string // reporter lead responder engaged oncall manager stranger
	}{
		{"escalate", setupOpen, "escalate", "Engaged", "YYY-YYN"},
		{"acknowledge", setupEscalated, "ack", "acknowledged PAY-1", "NYYYYYN"},
		{"raise severity", setupSev3, "severity SEV2", "set the severity of PAY-1 to SEV2", "YYYYYYN"},
		{"set the same severity", setupEscalated, "severity SEV1", "set the severity of PAY-1 to SEV1", "YYYYYYN"},
		{"set a severity during intake", setupIntake, "severity SEV4", "set the severity of PAY-1 to SEV4", "Y-Y-YYN"},
		{"lower severity", setupEscalated, "severity SEV3", "set the severity of PAY-1 to SEV3", "NYNNNYN"},
		{"resolve", setupEscalated, "resolve rolled back deploy 4711 :: a bad TLS config", "resolved PAY-1", "YYYYYYN"},
		{"root cause", setupResolved, "rootcause the TLS config was never reviewed", "recorded the root cause", "YYYYYYN"},
		{"update", setupEscalated, "update declines are falling", "Update on PAY-1", "YYYYYYN"},
		{"cancel an open incident", setupEscalated, "cancel", "was cancelled by", "NYNNNYN"},
		{"cancel during intake", setupIntake, "cancel", "was cancelled by", "Y-N-NYN"},
		{"reopen a resolved incident", setupResolved, "reopen it came back", "reopened PAY-1", "YYYYYYN"},
		{"reopen a cancelled incident", setupCancelled, "reopen it came back", "reopened PAY-1", "NNNNNYN"},
		{"name another lead", setupEscalated, "lead carol", "is now the lead of PAY-1", "NYNNNYN"},
		{"add a responder", setupEscalated, "join carol", "carol joined PAY-1", "NYNNNYN"},
		{"record the case number", setupEscalated, "case 01234567", "Recorded the gateway's case number", "YYYYYYN"},
		{"answer the intake", setupIntake, "say:1", "(2/", "Y-Y-NNN"},
		{"cancel by the intake's own word", setupIntake, "say:cancel", "is cancelled", "Y-N-NNN"},
		{"add a follow-up", setupEscalated, "followup ask Stripe for a bank contact", "Added follow-up 1", "YYYYYYN"},
		{"merge a duplicate", setupTwo, "merge PAY-1 into PAY-2", "merged PAY-1 into PAY-2", "YYYYYYN"},
		{"remove someone's community answer", setupEscalated, "unlearn community:3f2a", "Removed the community answer", "NYNNNYN"},
		// a lead's right reaches no further than the answers learned in
		// their incident's thread (anyone can open one and lead it)
		{"remove an answer learned elsewhere", setupEscalated, "unlearn community:9e1b", "Removed the community answer", "NNNNNYN"},
		{"see the details from elsewhere", setupEscalated, "elsewhere:status PAY-1", "card payments failing at checkout", "YYYYYYN"},
	} {
		for i, p := range matrixPeople {
			want := row.want[i]
			if want == '-' {
				continue
			}
			t.Run(row.action+"/"+p.role, func(t *testing.T) {
				t.Parallel()
				h := matrixHarness(t, row.setup)
				u := bottest.User(p.user)
				var msgs []bot.Message
				switch {
				case strings.HasPrefix(row.cmd, "say:"):
					msgs = h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, User: u, Text: strings.TrimPrefix(row.cmd, "say:")})
				case strings.HasPrefix(row.cmd, "elsewhere:"):
					msgs = h.Send(bot.Event{Kind: bot.EventCommand, Conversation: bot.Conversation{Platform: bottest.Platform, Channel: "C2"}, User: u,
						Text: strings.TrimPrefix(row.cmd, "elsewhere:")})
				default:
					msgs = h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: u, Text: row.cmd})
				}
				got := texts(msgs)
				allowed := strings.Contains(got, row.ok)
				if allowed != (want == 'Y') {
					t.Fatalf("%s by the %s: allowed=%v, want %c:\n%s", row.action, p.role, allowed, want, got)
				}
				if allowed {
					return
				}
				// A refusal names who can, and never how to get round it.
				if !strings.Contains(strings.ToLower(got), "only") {
					t.Errorf("refusal does not say who can:\n%s", got)
				}
				for _, bad := range []string{"post in the thread", "If you can help"} {
					if strings.Contains(got, bad) {
						t.Errorf("refusal says how to get round it (%q):\n%s", bad, got)
					}
				}
			})
		}
	}
}

// matrixSnapshots holds each setup's conversation, played once per test
// binary: every case of the matrix then starts from a copy of its store
// (bottest.Snapshot) instead of playing the intake, the lead, the join
// and the escalation again. Each case still has a store, an engine and a
// knowledge base of its own.
var matrixSnapshots struct {
	mu    sync.Mutex
	setup map[matrixSetup]*matrixSnapshot
}

type matrixSnapshot struct {
	once sync.Once
	snap *bottest.Snapshot
}

// matrixConfig is the matrix's policy and a fresh knowledge base.
func matrixConfig(t *testing.T) bot.Config {
	t.Helper()
	p, probs := incidents.ParsePolicyYAML([]byte(policyYAML))
	if len(probs) > 0 {
		t.Fatalf("policy: %v", probs)
	}
	return bot.Config{Policy: p, KB: &learnKB{answers: map[string]string{}, incidents: map[string]bool{}}}
}

// matrixHarness returns PAY-1 (SEV1, Stripe), opened by alice, in the
// state setup names, on a store of its own.
func matrixHarness(t *testing.T, setup matrixSetup) *bottest.Harness {
	t.Helper()
	matrixSnapshots.mu.Lock()
	if matrixSnapshots.setup == nil {
		matrixSnapshots.setup = map[matrixSetup]*matrixSnapshot{}
	}
	ms := matrixSnapshots.setup[setup]
	if ms == nil {
		ms = &matrixSnapshot{}
		matrixSnapshots.setup[setup] = ms
	}
	matrixSnapshots.mu.Unlock()
	ms.once.Do(func() { ms.snap = playMatrixSetup(t, setup).Snapshot() })
	if ms.snap == nil {
		t.Fatalf("setup %s failed (see the first test that played it)", setup)
	}
	return bottest.FromSnapshot(t, ms.snap, matrixConfig(t))
}

// playMatrixSetup opens PAY-1 (SEV1, Stripe) as alice and brings it to
// setup, on a new store.
func playMatrixSetup(t *testing.T, setup matrixSetup) *bottest.Harness {
	t.Helper()
	h := bottest.New(t, matrixConfig(t))
	open := h.Command("card payments failing at checkout")
	say := func(user, text string) string {
		return texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User(user), Text: text}))
	}
	must := func(user, text, want string) {
		t.Helper()
		if got := say(user, text); !strings.Contains(got, want) {
			t.Fatalf("setup %q by %s: %s", text, user, got)
		}
	}
	if setup == setupIntake {
		must("ron", "join", "ron joined PAY-1")
		return h
	}
	runIntake(t, h, open)
	must("alice", "lead lena", "lena is now the lead")
	must("ron", "join", "ron joined PAY-1")
	h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, User: bottest.User("mallory"), Text: "I can help"})
	if setup == setupOpen {
		return h
	}
	must("alice", "escalate", "Engaged")
	switch setup {
	case setupTwo:
		thread := h.Thread
		open := h.Send(bot.Event{Kind: bot.EventCommand, Conversation: bottest.Channel, User: bottest.User("carol"), Text: "payouts to the bank are late today"})
		for _, m := range open {
			if m.Kind == bot.KindQuestion && !m.Conversation.IsZero() {
				h.Thread = m.Conversation
			}
		}
		for i := 0; i < 20; i++ {
			step := bottest.Expects(open)
			if step == "" || step == "merge" {
				break
			}
			open = h.Send(bot.Event{Kind: bot.EventMessage, Conversation: h.Thread, User: bottest.User("carol"), Text: answers[step]})
		}
		h.Thread = thread
	case setupResolved:
		must("mia", "resolve rolled back :: bad config deploy", "resolved PAY-1")
	case setupCancelled:
		must("mia", "cancel", "was cancelled by")
	case setupSev3:
		must("mia", "severity SEV3", "set the severity of PAY-1 to SEV3")
	}
	return h
}

// TestRolesFromPostingAreGone: the adversarial run of issue 10. A stranger
// who posts in the thread still cannot downgrade, resolve or cancel, and a
// trivial resolution by a responder is not indexed as a past incident.
func TestRolesFromPostingAreGone(t *testing.T) {
	h := matrixHarness(t, setupOpen)
	mallory := func(text string) string {
		return texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User("mallory"), Text: text}))
	}
	for _, cmd := range []string{"severity SEV4", "resolve nothing :: nothing", "cancel", "ack", "escalate"} {
		if got := mallory(cmd); !strings.Contains(got, "Sorry, only") {
			t.Errorf("mallory %q: %s", cmd, got)
		}
	}
	if inc := h.Incident(); inc.Status != incidents.StatusOpen || inc.Severity != incidents.Sev1 {
		t.Fatalf("changed by refused commands: %s %s", inc.Status, inc.Severity)
	}
	kbase := h.Config.KB.(*learnKB)
	got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User("ron"), Text: "resolve nothing :: nothing"}))
	if !strings.Contains(got, "resolved PAY-1") || !strings.Contains(got, "not added to the past incidents") {
		t.Fatalf("trivial resolve: %s", got)
	}
	if kbase.incidents["PAY-1"] {
		t.Errorf("a trivially resolved incident is still a past incident")
	}
}

// TestVisibilityAcrossPlatforms: a status or a list from another platform
// never shows a Slack incident's details; from another channel of the same
// platform a stranger learns only that it exists.
func TestVisibilityAcrossPlatforms(t *testing.T) {
	h := matrixHarness(t, setupOpen)
	other := bot.Conversation{Platform: "discord", Channel: "D1"}
	for _, cmd := range []string{"status PAY-1", "summary PAY-1", "list"} {
		got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: other, User: bot.User{Platform: "discord", ID: "alice"}, Text: cmd}))
		if strings.Contains(got, "card payments failing") || strings.Contains(got, "Stripe") {
			t.Errorf("%q from another platform shows details:\n%s", cmd, got)
		}
	}
	elsewhere := bot.Conversation{Platform: bottest.Platform, Channel: "C2"}
	for _, cmd := range []string{"status PAY-1", "summary PAY-1", "list"} {
		got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: elsewhere, User: bottest.User("mallory"), Text: cmd}))
		if strings.Contains(got, "card payments failing") || strings.Contains(got, "Support packet") || !strings.Contains(got, "PAY-1") {
			t.Errorf("%q from another channel:\n%s", cmd, got)
		}
	}
	// In its own channel, anyone sees it.
	got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: bottest.Channel, User: bottest.User("mallory"), Text: "status PAY-1"}))
	if !strings.Contains(got, "card payments failing") {
		t.Errorf("status in the incident's channel:\n%s", got)
	}
}

// TestRefusalNamesTheActionAttempted: a refusal says who can do what was
// attempted, in the words of that attempt: setting a severity where none
// is assessed yet is not "raising" it, closing a follow-up is not adding
// one. Every command the matrix guards has a row.
func TestRefusalNamesTheActionAttempted(t *testing.T) {
	rows := []struct {
		setup matrixSetup
		pre   [][2]string // user, command, before the stranger's try
		cmd   string
		want  string // "Sorry, only … can <want>"
	}{
		{setupIntake, nil, "severity SEV4", "set the severity of PAY-1."},
		{setupEscalated, nil, "severity SEV1", "set the severity of PAY-1."},
		{setupEscalated, nil, "severity SEV3", "lower the severity of PAY-1."},
		{setupEscalated, [][2]string{{"mia", "severity SEV3"}}, "severity SEV2", "raise the severity of PAY-1."},
		{setupOpen, nil, "escalate", "escalate PAY-1."},
		{setupEscalated, nil, "ack", "acknowledge PAY-1."},
		{setupEscalated, nil, "resolve rolled back :: bad deploy", "resolve PAY-1."},
		{setupResolved, nil, "rootcause the config was never reviewed", "record the root cause of PAY-1."},
		{setupEscalated, nil, "update declines are falling", "post an update on PAY-1."},
		{setupEscalated, nil, "case 01234567", "record the gateway's case number of PAY-1."},
		{setupEscalated, [][2]string{{"alice", "case 01234567"}}, "case replied", "record the gateway desk's reply on PAY-1."},
		{setupTwo, nil, "merge PAY-1 into PAY-2", "merge PAY-1."},
		{setupEscalated, nil, "followup ask Stripe for a bank contact", "add follow-ups to PAY-1."},
		{setupEscalated, [][2]string{{"alice", "followup ask Stripe for a bank contact"}}, "followup done 1", "close the follow-ups of PAY-1."},
		{setupEscalated, nil, "followup", "list the follow-ups of PAY-1."},
		{setupEscalated, nil, "cancel", "cancel PAY-1 once it is open."},
		{setupIntake, nil, "cancel", "cancel PAY-1."},
		{setupResolved, nil, "reopen it came back", "reopen PAY-1."},
		{setupCancelled, nil, "reopen it came back", "reopen PAY-1: it was cancelled."},
		{setupEscalated, nil, "lead carol", "name the lead of PAY-1."},
		{setupEscalated, nil, "join carol", "add a responder to PAY-1."},
	}
	covered := map[string]bool{}
	for _, row := range rows {
		name, _, _ := strings.Cut(row.cmd, " ")
		covered[name] = true
		t.Run(string(row.setup)+"/"+row.cmd, func(t *testing.T) {
			t.Parallel()
			h := matrixHarness(t, row.setup)
			for _, p := range row.pre {
				if got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User(p[0]), Text: p[1]})); strings.Contains(got, "Sorry") {
					t.Fatalf("setup %q by %s refused: %s", p[1], p[0], got)
				}
			}
			got := texts(h.Send(bot.Event{Kind: bot.EventCommand, Conversation: h.Thread, User: bottest.User("mallory"), Text: row.cmd}))
			if !regexp.MustCompile(`Sorry, only [a-z ,-]+ can ` + regexp.QuoteMeta(row.want)).MatchString(got) {
				t.Fatalf("mallory %q: want a refusal ending %q, got:\n%s", row.cmd, "can "+row.want, got)
			}
		})
	}
	for _, name := range bot.GuardedCommands() {
		if !covered[name] {
			t.Errorf("the guarded command %q has no row", name)
		}
	}
}

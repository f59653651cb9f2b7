package main

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/kb"
)

// kbServe is a `paybot serve` (the binary's run) with Slack over HTTP and
// Discord interactions, both pointed at recording fake APIs, and a config
// naming UMGR (Slack) and dmgr (Discord) incident managers.
type kbServe struct {
	t    *testing.T
	base string
	rec  *apiRecorder
	data string
	logs *syncBuffer
	// names are Discord display names by user id ("U <id>" otherwise).
	names map[string]string
}

// kbSeq numbers trigger ids and interaction ids across replicas: Slack and
// Discord never repeat one, and the inbox takes a repeat for a redelivery.
var kbSeq atomic.Int64

const kbAttackConfig = `team:
  - id: mia
    name: Mia Manager
    role: incident_manager
    handles: {slack: UMGR, discord: "900000000000000001"}
incident_managers: [incident_manager]
`

func startKBServe(t *testing.T, extra map[string]string) *kbServe {
	t.Helper()
	return startKBServeWith(t, newAPIRecorder(t), extra)
}

// startKBServeWith is startKBServe with the fake APIs of rec (replicas
// share them: any replica may deliver another's answer).
func startKBServeWith(t *testing.T, rec *apiRecorder, extra map[string]string) *kbServe {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "paybot.yaml")
	if err := os.WriteFile(cfg, []byte(kbAttackConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	env := map[string]string{
		"PAYBOT_DATA":            data,
		"PAYBOT_CONFIG":          cfg,
		"SLACK_BOT_TOKEN":        "xoxb-kb-attack",
		"SLACK_SIGNING_SECRET":   stormSlackSecret,
		"SLACK_API_URL":          rec.slack.URL + "/api/",
		"SLACK_CHANNEL_INTERVAL": "1ms",
		"DISCORD_BOT_TOKEN":      "kb-attack-discord",
		"DISCORD_APP_ID":         "app1",
		"DISCORD_PUBLIC_KEY":     hex.EncodeToString(stormDiscordKey.Public().(ed25519.PublicKey)),
		"DISCORD_API_URL":        rec.discord.URL + "/",
		"DISCORD_MODE":           "http",
	}
	for k, v := range extra {
		env[k] = v
	}
	base, logs := startServe(t, env)
	waitStatus(t, base, "/readyz", 200, 30*time.Second)
	return &kbServe{t: t, base: base, rec: rec, data: env["PAYBOT_DATA"], logs: logs}
}

func (s *kbServe) slackPost(path, contentType, body string, hdr map[string]string) string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(stormSlackSecret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.t.Fatalf("%s: HTTP %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// slash sends a signed /payissue command; it returns the HTTP answer and
// the response_url path the bot may answer on later.
func (s *kbServe) slash(channel, user, text string) (string, string) {
	n := kbSeq.Add(1)
	respPath := "/response/" + strconv.FormatInt(n, 10)
	form := url.Values{
		"token": {"x"}, "team_id": {"T1"}, "team_domain": {"t"}, "channel_id": {channel}, "channel_name": {"c"},
		"user_id": {user}, "user_name": {strings.ToLower(user)}, "command": {"/payissue"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {s.rec.slack.URL + respPath},
		"trigger_id":   {"trig.kb." + strconv.FormatInt(n, 10)},
	}
	return s.slackPost("/slack/commands", "application/x-www-form-urlencoded", form.Encode(), nil), respPath
}

// event sends a signed Events API message event with eventID (and a
// X-Slack-Retry-Num when retry > 0).
func (s *kbServe) event(eventID string, retry int, inner map[string]any) string {
	body, _ := json.Marshal(map[string]any{
		"token": "x", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"authorizations": []any{map[string]any{"team_id": "T1", "user_id": stormBotUser, "is_bot": true}},
		"event":          inner,
	})
	hdr := map[string]string{}
	if retry > 0 {
		hdr["X-Slack-Retry-Num"] = strconv.Itoa(retry)
		hdr["X-Slack-Retry-Reason"] = "http_timeout"
	}
	return s.slackPost("/slack/events", "application/json", string(body), hdr)
}

func (s *kbServe) threadMessage(eventID string, retry int, channel, thread, user, ts, text string) string {
	return s.event(eventID, retry, map[string]any{"type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
		"thread_ts": thread, "client_msg_id": "cmid-" + ts, "channel_type": "channel", "event_ts": ts})
}

// discord sends a signed /payissue <sub> interaction by user (id) in
// channel; it returns the HTTP answer.
func (s *kbServe) discord(channel, user, sub string, opts map[string]string) string {
	n := kbSeq.Add(1)
	id := strconv.FormatInt(1300000000000000000+n, 10)
	var o []any
	for k, v := range opts {
		o = append(o, map[string]any{"name": k, "type": 3, "value": v})
	}
	m := map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": "tok" + id, "version": 1,
		"guild_id": "g1", "channel_id": channel, "channel": map[string]any{"id": channel, "type": 0, "guild_id": "g1"},
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user, "global_name": s.nameOf(user), "discriminator": "0"},
			"roles": []string{}, "joined_at": "2024-01-01T00:00:00Z", "permissions": "2147483647"},
		"locale": "en-US", "app_permissions": "2147483647",
		"data": map[string]any{"id": "cmd1", "name": "payissue", "type": 1, "options": []any{
			map[string]any{"name": sub, "type": 1, "options": o}}},
	}
	body, _ := json.Marshal(m)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", s.base+"/discord/interactions", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(stormDiscordKey, []byte(ts+string(body)))))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		s.t.Fatalf("discord: HTTP %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func (s *kbServe) nameOf(user string) string {
	if n, ok := s.names[user]; ok {
		return n
	}
	return "U " + user
}

// sent is everything the fake APIs received since mark (an index into
// rec.bodies()).
func (s *kbServe) sent(mark int) string {
	var b strings.Builder
	for _, r := range s.rec.bodies()[mark:] {
		b.Write(r)
		b.WriteString("\n")
	}
	return b.String()
}

// settle waits until the fake APIs have seen nothing new for quiet.
func (s *kbServe) settle(quiet time.Duration) {
	last, since := s.rec.count(), time.Now()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := s.rec.count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
	}
}

// dataBytes is every byte of the data directory (database, -wal, index).
func (s *kbServe) dataBytes() []byte {
	var all []byte
	filepath.Walk(s.data, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	return all
}

func (s *kbServe) slackPosts(mark int) []url.Values {
	var out []url.Values
	for _, r := range s.rec.bodies()[mark:] {
		head, body, _ := strings.Cut(string(r), "\n")
		if !strings.Contains(head, "chat.post") && !strings.Contains(head, "/response/") && !strings.Contains(head, "chat.update") {
			continue
		}
		f, err := url.ParseQuery(body)
		if err != nil || len(f) == 0 || strings.HasPrefix(body, "{") {
			var m map[string]any
			json.Unmarshal([]byte(body), &m)
			f = url.Values{}
			for k, v := range m {
				if s, ok := v.(string); ok {
					f.Set(k, s)
				} else {
					b, _ := json.Marshal(v)
					f.Set(k, string(b))
				}
			}
		}
		f.Set("_path", head)
		out = append(out, f)
	}
	return out
}

func communityID(q, author string) string { return kb.CommunityID(q, author) }

func TestKBLearnPoisonSignedPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	s := startKBServe(t, nil)
	poison := []string{
		"ask <@U0ANA> she knows", "<!here> look at the dashboard", "@everyone read the dashboard",
		"ping <@123456789012345678> about it", "ask <@&456789012345678901> role", "ping ana on slack",
		"<!subteam^S123|@payments> knows",
		// typed (not picked) mentions, as Slack escapes them
		"&lt;@U0ANA&gt; knows", "&lt;!here&gt; read it", "&lt;@&amp;456789012345678901&gt; role",
		// card data asked for in other wordings
		"reply with the three digits on the back of your card", "respond with your card number and we will check",
		"include the full card number in your reply", "we need your card number to look it up",
		"what's your card number? I'll check the logs", "drop your card details below",
		"leave the 16 digits in the comments", "just reply with the card number",
		"what are the digits on the front of your card?", "send a photo of your card",
		// a person reached in private
		"DM ana", "call ana at home", "ana knows, ask her",
	}
	for i, a := range poison {
		q := fmt.Sprintf("how do quorf refunds work %d?", i)
		mark := s.rec.count()
		s.slash(fmt.Sprintf("CP%d", i), "U0EVE", "learn "+q+" :: "+a)
		s.settle(150 * time.Millisecond)
		refused := false
		for _, p := range s.slackPosts(mark) {
			if strings.Contains(p.Get("text"), "didn't save") {
				refused = strings.Contains(p.Get("_path"), "chat.postEphemeral") || strings.Contains(p.Get("response_type"), "ephemeral")
			}
			if strings.Contains(p.Get("text"), "saved that") {
				t.Errorf("slack: %q was saved", a)
			}
		}
		if !refused {
			t.Errorf("slack: no private refusal of %q:\n%s", a, s.sent(mark))
		}
		if strings.Contains(a, "&lt;") {
			continue // Slack's escaping: plain text on Discord
		}
		mark = s.rec.count()
		s.discord(fmt.Sprintf("dp%d", i), "700000000000000001", "learn", map[string]string{"question": q, "answer": a})
		s.settle(150 * time.Millisecond)
		if !discordPrivateRefusal(s.rec.bodies()[mark:]) {
			t.Errorf("discord: no ephemeral refusal of %q:\n%s", a, s.sent(mark))
		}
	}
	code, out := runCLI(map[string]string{"PAYBOT_DATA": s.data}, "kb", "list", "--kind", "community")
	if code != 0 || strings.Contains(out, "quorf") {
		t.Errorf("community answers after the poison (%d):\n%s", code, out)
	}

	// A card number and secrets in a question or an answer are masked
	// before anything is stored or sent; the warning is private.
	raw := []string{"4242 4242 4242 4242", "4242424242424242", "4000-0566-5566-5556", "sk_live_51HxAbCdEfGhIjKlMnOpQrStUv", "rk_live_51HxAbCdEfGhIjKlMnOpQrStUv"}
	mark := s.rec.count()
	s.slash("CRAW", "U0EVE", "learn why is card 4242 4242 4242 4242 declined? :: retry with key sk_live_51HxAbCdEfGhIjKlMnOpQrStUv")
	s.settle(200 * time.Millisecond)
	warned := false
	for _, p := range s.slackPosts(mark) {
		warned = warned || strings.Contains(p.Get("text"), "masked") && strings.Contains(p.Get("_path"), "chat.postEphemeral")
	}
	if !warned {
		t.Errorf("slack: no private masking warning:\n%s", s.sent(mark))
	}
	mark = s.rec.count()
	s.discord("draw", "700000000000000001", "learn", map[string]string{"question": "why is card 4000-0566-5566-5556 declined?", "answer": "rotate rk_live_51HxAbCdEfGhIjKlMnOpQrStUv then 4242424242424242 works"})
	s.settle(200 * time.Millisecond)
	if got := s.sent(mark); !strings.Contains(got, "masked") || strings.Contains(got, `"content":"⚠️ I masked`) && !strings.Contains(got, `"flags":64`) {
		t.Errorf("discord: no private masking warning:\n%s", got)
	}
	// The running bot still holds its files: read them as they are.
	scan := append(s.dataBytes(), []byte(s.sent(0))...)
	scan = append(scan, []byte(s.logs.String())...)
	// Card digits in any separator form (space, '-', '+', %20, \u2060…).
	squeezed := strings.NewReplacer("%20", "", "+", "", " ", "", "-", "", "\u2060", "", "%E2%81%A0", "").Replace(string(scan))
	for _, r := range append(raw, "4000056655665556") {
		if strings.Contains(string(scan), r) || strings.Contains(squeezed, r) {
			t.Errorf("%q is in the data directory, the log or what the fake APIs received", r)
		}
	}
}

// discordPrivateRefusal reports whether a "didn't save" message went out as
// an ephemeral follow-up (flags 64) and none went out publicly.
func discordPrivateRefusal(bodies [][]byte) bool {
	private := false
	for _, r := range bodies {
		_, body, _ := strings.Cut(string(r), "\n")
		var m struct {
			Content string `json:"content"`
			Flags   int    `json:"flags"`
		}
		if json.Unmarshal([]byte(body), &m) != nil || !strings.Contains(m.Content, "didn't save") {
			continue
		}
		if m.Flags&64 == 0 {
			return false
		}
		private = true
	}
	return private
}

func TestKBTextNeverMentionsSignedPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	s := startKBServe(t, nil)
	var body strings.Builder
	body.WriteString("## What to do\n- Retry the glorpak settlement after <!here> @everyone <@U0ANA> <@W0ANA> <@&456789012345678901> <#C123> read it.\n")
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&body, "- Step %d of the glorpak runbook: check the ledger, compare the totals, and write down what differs before you retry anything.\n", i)
	}
	body.WriteString("- Last step: tell <@U0BOB> the glorpak totals.\n")
	doc, _ := json.Marshal(map[string]string{"id": "glorpak-runbook", "kind": "article", "title": "Glorpak settlement runbook <!channel> <@U0ANA> @here", "body": body.String()})
	f := filepath.Join(t.TempDir(), "g.jsonl")
	if err := os.WriteFile(f, append(doc, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(map[string]string{"PAYBOT_DATA": s.data}, "kb", "import", f); code != 0 {
		t.Fatalf("kb import = %d:\n%s", code, out)
	}
	// A community answer by a Discord member whose display name is a
	// Slack mention: its source line names them.
	s.names = map[string]string{"700000000000000077": "<!channel> <@U0ANA>"}
	s.discord("dn", "700000000000000077", "learn", map[string]string{"question": "how do we retry a glorpak settlement?", "answer": "Retry the glorpak settlement once after the cut-off."})
	// The running bot indexes it within a second.
	found := false
	for end := time.Now().Add(5 * time.Second); !found && time.Now().Before(end); {
		mark := s.rec.count()
		s.slash("CSH", "U0BOB", "show glorpak-runbook")
		s.settle(200 * time.Millisecond)
		for _, p := range s.slackPosts(mark) {
			found = found || strings.Contains(p.Get("blocks"), "Step 59")
		}
	}
	if !found {
		t.Fatalf("the imported article was not shown:\n%s\n%s", s.sent(0), s.logs)
	}
	mark := s.rec.count()
	s.slash("CSH", "U0BOB", "show glorpak-runbook")
	s.slash("CSH2", "U0BOB", "search glorpak settlement retry")
	s.settle(300 * time.Millisecond)
	sawStep, sawLast := false, false
	for _, p := range s.slackPosts(mark) {
		all := p.Get("text") + p.Get("blocks")
		if strings.Contains(all, "<@") || strings.Contains(all, "<!") || strings.Contains(all, "<#") {
			t.Errorf("slack: a live mention in %s: %q", p.Get("_path"), all)
		}
		var blocks []map[string]any
		json.Unmarshal([]byte(p.Get("blocks")), &blocks)
		for _, b := range blocks {
			if tx, ok := b["text"].(map[string]any); ok {
				txt, _ := tx["text"].(string)
				if n := len([]rune(txt)); n > 3000 {
					t.Errorf("slack: a section of %d characters", n)
				}
				sawStep = sawStep || strings.Contains(txt, "Step 30 ")
				sawLast = sawLast || strings.Contains(txt, "Last step")
			}
		}
		if len(blocks) > 50 {
			t.Errorf("slack: %d blocks", len(blocks))
		}
	}
	if !strings.Contains(strings.Join(s.texts(mark), "\n"), "community answer by") {
		t.Errorf("slack: the search did not show the community answer:\n%s", strings.Join(s.texts(mark), "\n"))
	}
	if !sawStep || !sawLast {
		t.Errorf("slack: the whole article did not arrive (step 30 %v, last step %v)", sawStep, sawLast)
	}
	mark = s.rec.count()
	s.discord("dsh", "700000000000000002", "show", map[string]string{"id": "glorpak-runbook"})
	s.discord("dsh", "700000000000000002", "search", map[string]string{"question": "glorpak settlement retry"})
	s.settle(300 * time.Millisecond)
	var whole strings.Builder
	for _, r := range s.rec.bodies()[mark:] {
		head, b, _ := strings.Cut(string(r), "\n")
		var m struct {
			Content         string          `json:"content"`
			AllowedMentions json.RawMessage `json:"allowed_mentions"`
		}
		if json.Unmarshal([]byte(b), &m) != nil || !strings.Contains(head, "/webhooks/") {
			continue
		}
		if n := len([]rune(m.Content)); n > 2000 {
			t.Errorf("discord: a message of %d characters", n)
		}
		if !strings.Contains(string(m.AllowedMentions), `"parse":[]`) {
			t.Errorf("discord: %s sent with allowed_mentions %s", head, m.AllowedMentions)
		}
		whole.WriteString(m.Content)
	}
	if !strings.Contains(whole.String(), "Step 30 ") || !strings.Contains(whole.String(), "Last step") {
		t.Errorf("discord: the whole article did not arrive:\n%s", whole.String())
	}
}

func (s *kbServe) openIncidentThread(channel, user string) string {
	s.t.Helper()
	s.slash(channel, user, "open stripe declines spiking at checkout")
	thread := ""
	for end := time.Now().Add(10 * time.Second); thread == "" && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		s.rec.mu.Lock()
		thread = s.rec.cards[channel]
		s.rec.mu.Unlock()
	}
	if thread == "" {
		s.t.Fatalf("no card in %s:\n%s\n%s", channel, s.sent(0), s.logs)
	}
	s.settle(200 * time.Millisecond)
	for i, a := range []string{"other", "stripe", "production", "30 min ago", "some", "declines at checkout", "skip", "skip", "nothing yet", "yes"} {
		s.threadMessage(fmt.Sprintf("EvI-%s-%d", channel, i), 0, channel, thread, user, fmt.Sprintf("1790000000.%06d", i+1), a)
		s.settle(100 * time.Millisecond)
	}
	s.settle(200 * time.Millisecond)
	return thread
}

// TestKBReplicasSignedPaths: two `serve` replicas on one PostgreSQL schema.
// An answer learned through replica A (signed Slack command) is found
// through replica B within 2 s; an unlearn through B removes it on A; a
// question asked in an incident thread through A is the one "learn
// <answer>" through B answers; Discord learn and unlearn cross the same
// way.
func TestKBReplicasSignedPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	dsn := pgSchema(t, "")
	rec := newAPIRecorder(t)
	env := map[string]string{"PAYBOT_DATABASE_URL": dsn}
	a := startKBServeWith(t, rec, env)
	b := startKBServeWith(t, rec, env)

	// finds reports whether a search through r shows want, in a channel of
	// its own (Slack's pacing is per channel).
	var n atomic.Int64
	finds := func(r *kbServe, query, want string) bool {
		mark := rec.count()
		r.slash(fmt.Sprintf("CQ%d", n.Add(1)), "U0BOB", "search "+query)
		r.settle(100 * time.Millisecond)
		for _, p := range r.slackPosts(mark) {
			if strings.Contains(p.Get("text"), want) {
				return true
			}
		}
		return false
	}
	within := func(d time.Duration, cond func() bool) (time.Duration, bool) {
		start := time.Now()
		for time.Since(start) < d {
			if cond() {
				return time.Since(start), true
			}
		}
		return time.Since(start), false
	}
	q := "why does the quasar zebra reconciler stall?"
	a.slash("CL1", "U0EVE", "learn "+q+" :: Restart the quasar zebra reconciler after the nightly batch.")
	if d, ok := within(2*time.Second, func() bool { return finds(b, "quasar zebra reconciler stall", "Restart the quasar zebra reconciler") }); !ok {
		t.Fatalf("an answer learned through A was not found through B within 2 s (%s)", d)
	}
	id := kb.CommunityID(q, "slack:U0EVE")
	b.slash("CL2", "U0EVE", "unlearn "+id)
	if d, ok := within(2*time.Second, func() bool { return !finds(a, "quasar zebra reconciler stall", "Restart the quasar zebra reconciler") }); !ok {
		t.Fatalf("an answer unlearned through B was still found through A after 2 s (%s)", d)
	}

	// Discord: learned through B, found through A; removed by an incident
	// manager through A, gone on B.
	dq := "how do we unstick the glimmer payout queue?"
	b.discord("dq1", "700000000000000009", "learn", map[string]string{"question": dq, "answer": "Drain the glimmer payout queue from the admin page, then retry."})
	if _, ok := within(2*time.Second, func() bool { return finds(a, "glimmer payout queue unstick", "Drain the glimmer payout queue") }); !ok {
		t.Fatal("a Discord answer learned through B was not found through A within 2 s")
	}
	a.discord("dq1", "900000000000000001", "unlearn", map[string]string{"id": kb.CommunityID(dq, "discord:700000000000000009")})
	if _, ok := within(2*time.Second, func() bool { return !finds(b, "glimmer payout queue unstick", "Drain the glimmer payout queue") }); !ok {
		t.Fatal("a Discord answer removed through A was still found through B after 2 s")
	}

	// The last question of a thread, asked through A, learned through B.
	thread := a.openIncidentThread("CINC", "U0LEAD")
	a.threadMessage("EvQ1", 0, "CINC", thread, "U0LEAD", "1800000000.000100", "how do we reprocess the quasar batch?")
	a.settle(300 * time.Millisecond)
	mark := rec.count()
	b.event("EvL1", 0, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": "1800000000.000101", "thread_ts": thread,
		"event_ts": "1800000000.000101", "text": "<@" + stormBotUser + "> learn Rerun the quasar batch from the dashboard after 15:00."})
	b.settle(300 * time.Millisecond)
	saved := false
	for _, p := range b.slackPosts(mark) {
		saved = saved || strings.Contains(p.Get("text"), `saved that as a community answer to "how do we reprocess the quasar batch?"`)
	}
	if !saved {
		t.Fatalf("learn <answer> through B did not use the question asked through A:\n%s", b.sent(mark))
	}
}

// TestKBThreadAnswersSignedPaths: in an incident thread on Slack, a message
// naming a code gets exactly one answer in the thread although Slack
// redelivers it (X-Slack-Retry-Num), sends it under a second event id, or
// as both a message and an app_mention; plain remarks get no reply; and
// "learn <answer>" uses the last question asked there.
func TestKBThreadAnswersSignedPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	s := startKBServe(t, nil)
	thread := s.openIncidentThread("CINC", "U0LEAD")
	answers := func(mark int) (n int, out []string) {
		for _, p := range s.slackPosts(mark) {
			out = append(out, p.Get("_path")+" "+p.Get("text"))
			if strings.Contains(p.Get("text"), "Here is what I found") {
				if p.Get("thread_ts") != thread {
					t.Errorf("an answer outside the thread: %v", p)
				}
				n++
			}
		}
		return n, out
	}
	for i, m := range []string{"ACH return R03", "stripe says card_declined generic_decline what now", "AM04 on the sepa batch"} {
		mark := s.rec.count()
		ts := fmt.Sprintf("1800000000.%06d", i+1)
		s.threadMessage(fmt.Sprintf("EvT%d", i), 0, "CINC", thread, "U0LEAD", ts, m)
		s.threadMessage(fmt.Sprintf("EvT%d", i), 1, "CINC", thread, "U0LEAD", ts, m)
		s.threadMessage(fmt.Sprintf("EvT%dB", i), 0, "CINC", thread, "U0LEAD", ts, m)
		s.settle(300 * time.Millisecond)
		if n, out := answers(mark); n != 1 {
			t.Errorf("%q: %d answers, want 1:\n%s", m, n, strings.Join(out, "\n"))
		}
	}
	mark := s.rec.count()
	ts := "1800000000.000050"
	text := "<@" + stormBotUser + "> R29 on the ach file"
	s.threadMessage("EvM1", 0, "CINC", thread, "U0LEAD", ts, text)
	s.event("EvA1", 0, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": ts, "thread_ts": thread, "event_ts": ts, "text": text})
	s.event("EvA1", 2, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": ts, "thread_ts": thread, "event_ts": ts, "text": text})
	s.settle(300 * time.Millisecond)
	if n, out := answers(mark); n != 1 {
		t.Errorf("a mention sent as message and app_mention: %d answers, want 1:\n%s", n, strings.Join(out, "\n"))
	}
	mark = s.rec.count()
	for i, m := range []string{"ok I'm looking at the dashboard", "deploy went out at 14:00"} {
		s.threadMessage(fmt.Sprintf("EvN%d", i), 0, "CINC", thread, "U0LEAD", fmt.Sprintf("1800000000.%06d", 60+i), m)
	}
	s.settle(300 * time.Millisecond)
	if _, out := answers(mark); len(out) != 0 {
		t.Errorf("plain remarks drew replies:\n%s", strings.Join(out, "\n"))
	}
	s.threadMessage("EvQ", 0, "CINC", thread, "U0LEAD", "1800000000.000100", "how do we reprocess the quasar batch?")
	s.settle(300 * time.Millisecond)
	mark = s.rec.count()
	learn := map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": "1800000000.000101", "thread_ts": thread,
		"event_ts": "1800000000.000101", "text": "<@" + stormBotUser + "> learn Rerun the quasar batch from the dashboard after 15:00."}
	s.event("EvL", 0, learn)
	s.event("EvL", 1, learn) // redelivered
	s.event("EvL2", 0, learn)
	s.settle(300 * time.Millisecond)
	saved := strings.Count(strings.Join(s.texts(mark), "\n"), `saved that as a community answer to "how do we reprocess the quasar batch?"`)
	if saved != 1 {
		t.Errorf("learn <answer> in the thread (sent three times) confirmed %d times, want once with the last question:\n%s", saved, strings.Join(s.texts(mark), "\n"))
	}
}

// texts is the text of every Slack post since mark.
func (s *kbServe) texts(mark int) []string {
	var out []string
	for _, p := range s.slackPosts(mark) {
		out = append(out, p.Get("_path")+" "+p.Get("text"))
	}
	return out
}

// TestKBUnlearnPermissionsSignedPaths: a community answer is removed
// through signed requests only by its author or an incident manager
// (incident_managers in the config); a plain channel member and the lead
// of an unrelated incident (in the channel and in that incident's thread)
// are refused privately; on Slack and Discord.
func TestKBUnlearnPermissionsSignedPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	s := startKBServe(t, nil)
	thread := s.openIncidentThread("CINC", "U0LEAD")
	q := "how do we rotate the quasar key?"
	id := kb.CommunityID(q, "slack:U0EVE")
	learn := func() {
		s.slash("CLRN", "U0EVE", "learn "+q+" :: Rotate it from the dashboard settings page.")
		s.settle(200 * time.Millisecond)
	}
	removed := func(mark int) bool {
		return strings.Contains(strings.Join(s.texts(mark), "\n"), "Removed the community answer")
	}
	refusedPrivately := func(mark int) bool {
		for _, p := range s.slackPosts(mark) {
			if strings.Contains(p.Get("text"), "Only the person who gave that answer") {
				return strings.Contains(p.Get("_path"), "chat.postEphemeral")
			}
		}
		return false
	}
	learn()
	for _, c := range []struct {
		name string
		send func()
	}{
		{"a plain channel member", func() { s.slash("CLRN", "U0BOB", "unlearn "+id) }},
		{"the lead of an unrelated incident, in the channel", func() { s.slash("CLRN", "U0LEAD", "unlearn "+id) }},
		{"the lead of an unrelated incident, in its thread", func() {
			s.event("EvU1", 0, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": "1800000000.000201", "thread_ts": thread,
				"event_ts": "1800000000.000201", "text": "<@" + stormBotUser + "> unlearn " + id})
		}},
	} {
		mark := s.rec.count()
		c.send()
		s.settle(200 * time.Millisecond)
		if removed(mark) || !refusedPrivately(mark) {
			t.Errorf("unlearn by %s:\n%s", c.name, strings.Join(s.texts(mark), "\n"))
		}
	}
	for _, who := range []string{"UMGR", "U0EVE"} {
		mark := s.rec.count()
		s.slash("CLRN", who, "unlearn "+id)
		s.settle(200 * time.Millisecond)
		if !removed(mark) {
			t.Errorf("unlearn by %s was refused:\n%s", who, strings.Join(s.texts(mark), "\n"))
		}
		learn()
	}
	// Another person's answer to the same question is added beside it,
	// never in its place.
	s.slash("CLRN", "UMGR", "learn "+q+" :: Rotate it with the key rotation runbook.")
	s.settle(200 * time.Millisecond)
	if _, out := runCLI(map[string]string{"PAYBOT_DATA": s.data}, "kb", "list", "--kind", "community"); strings.Count(out, q) != 2 {
		t.Errorf("two people's answers to one question:\n%s", out)
	}
	// Discord: another member is refused privately, the author and a
	// manager may remove it.
	dq := "how do we unstick the glimmer payout queue?"
	did := kb.CommunityID(dq, "discord:700000000000000009")
	dlearn := func() {
		s.discord("dl", "700000000000000009", "learn", map[string]string{"question": dq, "answer": "Drain the glimmer queue from the admin page."})
		s.settle(200 * time.Millisecond)
	}
	dlearn()
	mark := s.rec.count()
	s.discord("dl", "700000000000000008", "unlearn", map[string]string{"id": did})
	s.settle(200 * time.Millisecond)
	if got := s.sent(mark); strings.Contains(got, "Removed the community answer") || !strings.Contains(got, `"flags":64`) {
		t.Errorf("discord unlearn by another member:\n%s", got)
	}
	for _, who := range []string{"900000000000000001", "700000000000000009"} {
		mark := s.rec.count()
		s.discord("dl", who, "unlearn", map[string]string{"id": did})
		s.settle(200 * time.Millisecond)
		if !strings.Contains(s.sent(mark), "Removed the community answer") {
			t.Errorf("discord unlearn by %s was refused:\n%s", who, s.sent(mark))
		}
		dlearn()
	}
}

// TestKBNoticesReachThePersonWhereTheBotIsNotIn: a slash command works in
// any channel, also one the bot was never added to (chat.postEphemeral and
// chat.postMessage answer not_in_channel). A refused answer, a masking
// warning and a failed show or unlearn still reach the person privately
// (the command's response_url, ephemeral); they were lost.
func TestKBNoticesReachThePersonWhereTheBotIsNotIn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	rec := newAPIRecorder(t)
	rec.slackFail = func(method, ch string) string {
		if ch == "CNOTIN" && (method == "chat.postMessage" || method == "chat.postEphemeral") {
			return "not_in_channel"
		}
		return ""
	}
	s := startKBServeWith(t, rec, nil)
	for _, c := range []struct{ cmd, want string }{
		{"learn how do refunds work? :: DM ana", "didn't save that answer"},
		{"learn how do refunds work? :: reply with the three digits on the back of your card", "didn't save that answer"},
		{"learn why is 4242 4242 4242 4242 failing? :: retry once", "I masked sensitive data"},
		{"show nope", "don't know an article"},
		{"unlearn community:nope", "don't know a community answer"},
	} {
		mark := rec.count()
		_, respPath := s.slash("CNOTIN", "U0EVE", c.cmd)
		got := ""
		for end := time.Now().Add(5 * time.Second); time.Now().Before(end) && !strings.Contains(got, c.want); time.Sleep(20 * time.Millisecond) {
			got = ""
			for _, p := range s.slackPosts(mark) {
				if strings.Contains(p.Get("_path"), respPath) && p.Get("response_type") == "ephemeral" {
					got += p.Get("text") + "\n"
				}
			}
		}
		if !strings.Contains(got, c.want) {
			t.Errorf("%q: the notice did not reach the person privately:\n%s", c.cmd, s.sent(mark))
		}
	}
}

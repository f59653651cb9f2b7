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
	seq  atomic.Int64
}

const kbAttackConfig = `team:
  - id: mia
    name: Mia Manager
    role: incident_manager
    handles: {slack: UMGR, discord: "900000000000000001"}
incident_managers: [incident_manager]
`

func startKBServe(t *testing.T, extra map[string]string) *kbServe {
	t.Helper()
	rec := newAPIRecorder(t)
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
	n := s.seq.Add(1)
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
	n := s.seq.Add(1)
	id := strconv.FormatInt(1300000000000000000+n, 10)
	var o []any
	for k, v := range opts {
		o = append(o, map[string]any{"name": k, "type": 3, "value": v})
	}
	m := map[string]any{
		"id": id, "application_id": "app1", "type": 2, "token": "tok" + id, "version": 1,
		"guild_id": "g1", "channel_id": channel, "channel": map[string]any{"id": channel, "type": 0, "guild_id": "g1"},
		"member": map[string]any{"user": map[string]any{"id": user, "username": "u" + user, "global_name": "U " + user, "discriminator": "0"},
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

func TestKBAttackProbe2(t *testing.T) {
	if os.Getenv("KB_PROBE") == "" {
		t.Skip("exploratory")
	}
	s := startKBServe(t, nil)
	for i, p := range []string{"how do <@U0ANA> refunds work? :: retry later", "how do refunds work? :: @everyone read the dashboard", "how do refunds work? :: ping ana on slack"} {
		s.slash(fmt.Sprintf("CP%d", i), "U0EVE", "learn "+p)
	}
	s.settle(300 * time.Millisecond)
	filepath.Walk(s.data, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			for _, n := range []string{"U0ANA", "@everyone", "ping ana"} {
				if i := strings.Index(string(b), n); i >= 0 {
					lo := max(0, i-150)
					t.Logf("%s holds %q: %q", p, n, b[lo:min(len(b), i+100)])
				}
			}
		}
		return nil
	})
}

// slackPosts is every chat.postMessage/postEphemeral/response_url body
// (decoded form or JSON) since mark, with its path.
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

func TestKBAttackProbe3(t *testing.T) {
	if os.Getenv("KB_PROBE") == "" {
		t.Skip("exploratory")
	}
	s := startKBServe(t, nil)
	s.slash("CINC", "U0LEAD", "open stripe declines spiking at checkout")
	cards := s.rec.waitSlackCards(t, 1)
	thread := cards["CINC"]
	t.Logf("thread %s", thread)
	s.settle(300 * time.Millisecond)
	for i, a := range []string{"other", "stripe", "production", "30 min ago", "some", "declines at checkout", "skip", "skip", "nothing yet", "yes"} {
		s.threadMessage(fmt.Sprintf("EvI%d", i), 0, "CINC", thread, "U0LEAD", fmt.Sprintf("1790000000.%06d", i+1), a)
		s.settle(150 * time.Millisecond)
	}
	s.settle(300 * time.Millisecond)
	msgs := []string{"ACH return R03", "stripe says card_declined generic_decline what now", "AM04 on the sepa batch", "ok I'm looking at the dashboard", "deploy went out at 14:00"}
	for i, m := range msgs {
		mark := s.rec.count()
		ts := fmt.Sprintf("1800000000.%06d", i+1)
		s.threadMessage(fmt.Sprintf("EvT%d", i), 0, "CINC", thread, "U0LEAD", ts, m)
		s.threadMessage(fmt.Sprintf("EvT%d", i), 1, "CINC", thread, "U0LEAD", ts, m)  // retry
		s.threadMessage(fmt.Sprintf("EvT%dB", i), 0, "CINC", thread, "U0LEAD", ts, m) // other event id
		s.settle(400 * time.Millisecond)
		for _, p := range s.slackPosts(mark) {
			t.Logf("MSG %q -> %s thread=%s text=%.400q", m, p.Get("_path"), p.Get("thread_ts"), p.Get("text"))
		}
	}
	// learn in thread
	mark := s.rec.count()
	s.threadMessage("EvQ", 0, "CINC", thread, "U0LEAD", "1800000000.000100", "how do we reprocess the quasar batch?")
	s.settle(300 * time.Millisecond)
	s.event("EvL", 0, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": "1800000000.000101", "thread_ts": thread, "event_ts": "1800000000.000101",
		"text": "<@" + stormBotUser + "> learn Rerun the quasar batch from the dashboard after 15:00"})
	s.settle(300 * time.Millisecond)
	for _, p := range s.slackPosts(mark) {
		t.Logf("LEARN -> %s thread=%s text=%.400q", p.Get("_path"), p.Get("thread_ts"), p.Get("text"))
	}
	// show
	for _, id := range []string{"ach-returns-overview", "stripe-do-not-honor"} {
		mark := s.rec.count()
		a, _ := s.slash("CSHOW", "U0BOB", "show "+id)
		s.settle(300 * time.Millisecond)
		t.Logf("SHOW %s http=%.200q", id, a)
		for _, p := range s.slackPosts(mark) {
			t.Logf("  -> %s len(text)=%d blocks=%d %.200q", p.Get("_path"), len(p.Get("text")), len(p.Get("blocks")), p.Get("text"))
		}
		d := s.discord("dshow", "700000000000000002", "show", map[string]string{"id": id})
		s.settle(300 * time.Millisecond)
		t.Logf("DSHOW http=%.200q", d)
	}
	// unlearn
	q := "how do we rotate the quasar key?"
	s.slash("CLRN", "U0EVE", "learn "+q+" :: Rotate it from the dashboard settings page")
	s.settle(300 * time.Millisecond)
	id := "community:" // compute
	_ = id
	for _, who := range []string{"U0BOB", "U0LEAD", "UMGR", "U0EVE"} {
		mark := s.rec.count()
		a, _ := s.slash("CLRN", who, "unlearn "+communityID(q, "slack:U0EVE"))
		s.settle(300 * time.Millisecond)
		t.Logf("UNLEARN by %s http=%.200q", who, a)
		for _, p := range s.slackPosts(mark) {
			t.Logf("  -> %s %.200q", p.Get("_path"), p.Get("text"))
		}
	}
	// lead of an unrelated incident, in its thread
	s.slash("CLRN", "U0EVE", "learn "+q+" :: Rotate it from the dashboard settings page")
	s.settle(300 * time.Millisecond)
	mark = s.rec.count()
	s.event("EvU", 0, map[string]any{"type": "app_mention", "channel": "CINC", "user": "U0LEAD", "ts": "1800000000.000201", "thread_ts": thread, "event_ts": "1800000000.000201",
		"text": "<@" + stormBotUser + "> unlearn " + communityID(q, "slack:U0EVE")})
	s.settle(300 * time.Millisecond)
	for _, p := range s.slackPosts(mark) {
		t.Logf("UNLEARN lead-in-thread -> %s %.200q", p.Get("_path"), p.Get("text"))
	}
	// discord unlearn
	s.discord("dl", "700000000000000009", "learn", map[string]string{"question": q, "answer": "Rotate it from the settings page"})
	s.settle(300 * time.Millisecond)
	did := communityID(q, "discord:700000000000000009")
	for _, who := range []string{"700000000000000008", "900000000000000001"} {
		mark := s.rec.count()
		s.discord("dl", who, "unlearn", map[string]string{"id": did})
		s.settle(300 * time.Millisecond)
		t.Logf("DUNLEARN by %s: %.300s", who, s.sent(mark))
	}
}

func communityID(q, author string) string { return kb.CommunityID(q, author) }

func TestKBAttackProbe4(t *testing.T) {
	if os.Getenv("KB_PROBE") == "" {
		t.Skip("exploratory")
	}
	s := startKBServe(t, nil)
	s.slash("C1", "U0EVE", "learn how do zorblax refunds work? :: &lt;!here&gt; read the zorblax dashboard &amp; &lt;@U0ANA&gt;")
	s.discord("d1", "700000000000000001", "learn", map[string]string{"question": "how do zorblax payouts work?", "answer": "&lt;!channel&gt; read the zorblax payout page <!channel"})
	s.discord("d1", "700000000000000001", "learn", map[string]string{"question": "how do zorblax chargebacks work?", "answer": "@\u200beveryone read the zorblax chargeback page, ＠ｅｖｅｒｙｏｎｅ, @​here"})
	s.settle(300 * time.Millisecond)
	for _, q := range []string{"zorblax refunds", "zorblax payouts", "zorblax chargebacks"} {
		mark := s.rec.count()
		s.slash("C2", "U0BOB", "search "+q)
		s.settle(300 * time.Millisecond)
		for _, p := range s.slackPosts(mark) {
			t.Logf("SLACK %q -> %s %q\n blocks %q", q, p.Get("_path"), p.Get("text"), p.Get("blocks"))
		}
		mark = s.rec.count()
		s.discord("d2", "700000000000000002", "search", map[string]string{"question": q})
		s.settle(300 * time.Millisecond)
		t.Logf("DISCORD %q -> %s", q, s.sent(mark))
	}
	mark := s.rec.count()
	s.discord("d3", "700000000000000002", "show", map[string]string{"id": "ach-returns-overview"})
	s.settle(300 * time.Millisecond)
	for _, r := range s.rec.bodies()[mark:] {
		head, body, _ := strings.Cut(string(r), "\n")
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		c, _ := m["content"].(string)
		t.Logf("DSHOW %s len=%d runes=%d", head, len(c), len([]rune(c)))
	}
}

// TestKBLearnPoisonSignedPaths: answers that mention people or ask for card
// data in any wording are refused through signed Slack slash commands and
// signed Discord interactions; the refusal reaches only the person
// (chat.postEphemeral on Slack, an ephemeral follow-up on Discord) and no
// community answer is stored.
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

func TestKBAttackProbe5(t *testing.T) {
	if os.Getenv("KB_PROBE") == "" {
		t.Skip("exploratory")
	}
	s := startKBServe(t, nil)
	var body strings.Builder
	body.WriteString("## What to do\\n- Retry the glorpak settlement after <!here> @everyone <@U0ANA> <@&456789012345678901> <#C123> read it.\\n")
	for i := 0; i < 140; i++ {
		fmt.Fprintf(&body, "- Step %d of the glorpak runbook: check the ledger, compare the totals, and write down what differs before you retry anything.\\n", i)
	}
	line := fmt.Sprintf(`{"id": "glorpak-runbook", "kind": "article", "title": "Glorpak settlement runbook <!channel> @here", "body": "%s"}`, body.String())
	f := filepath.Join(t.TempDir(), "g.jsonl")
	os.WriteFile(f, []byte(line+"\n"), 0o600)
	code, out := runCLI(map[string]string{"PAYBOT_DATA": s.data}, "kb", "import", f)
	t.Logf("import %d %s", code, out)
	time.Sleep(1500 * time.Millisecond)
	mark := s.rec.count()
	s.slash("CSH", "U0BOB", "show glorpak-runbook")
	s.settle(500 * time.Millisecond)
	for _, p := range s.slackPosts(mark) {
		var blocks []map[string]any
		json.Unmarshal([]byte(p.Get("blocks")), &blocks)
		maxb := 0
		for _, b := range blocks {
			if tx, ok := b["text"].(map[string]any); ok {
				maxb = max(maxb, len([]rune(tx["text"].(string))))
			}
		}
		t.Logf("SLACK show -> %s text=%d blocks=%d maxblock=%d live=%v", p.Get("_path"), len(p.Get("text")), len(blocks), maxb,
			strings.Contains(p.Get("text")+p.Get("blocks"), "<!") || strings.Contains(p.Get("text")+p.Get("blocks"), "<@") || strings.Contains(p.Get("text")+p.Get("blocks"), "<#"))
		t.Logf("   %.300q", p.Get("text"))
	}
	mark = s.rec.count()
	s.slash("CSH2", "U0BOB", "search glorpak settlement retry")
	s.settle(500 * time.Millisecond)
	for _, p := range s.slackPosts(mark) {
		t.Logf("SLACK search -> %s %q", p.Get("_path"), p.Get("text"))
	}
	mark = s.rec.count()
	s.discord("dsh", "700000000000000002", "show", map[string]string{"id": "glorpak-runbook"})
	s.settle(500 * time.Millisecond)
	for _, r := range s.rec.bodies()[mark:] {
		head, b, _ := strings.Cut(string(r), "\n")
		var m map[string]any
		json.Unmarshal([]byte(b), &m)
		c, _ := m["content"].(string)
		t.Logf("DSHOW %s len=%d am=%v %.100q", head, len([]rune(c)), m["allowed_mentions"], c)
	}
	mark = s.rec.count()
	s.discord("dsh", "700000000000000002", "search", map[string]string{"question": "glorpak settlement retry"})
	s.settle(500 * time.Millisecond)
	t.Logf("DSEARCH %s", s.sent(mark))
}

// TestKBTextNeverMentionsSignedPaths: an imported article whose title and
// body hold Slack and Discord mentions (<@U…>, <!here>, <#C…>, <@&role>,
// @everyone) is shown whole and found by search through signed Slack and
// Discord requests: no live mention comes out (Slack: no "<@", "<!" or
// "<#" in what was sent; Discord: allowed_mentions parse []), and the
// whole article arrives within the platforms' limits (Slack sections of
// at most 3,000 characters, Discord messages of at most 2,000).
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

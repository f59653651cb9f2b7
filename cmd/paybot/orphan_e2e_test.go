package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeSlackAPI records top-level posts (cards) and thread posts, answering
// card posts slowly so a kill lands between commit and delivery.
type fakeSlackAPI struct {
	mu    sync.Mutex
	seq   int
	cards map[string]int // incident ref -> cards posted
	posts int
	// history holds each channel's top-level messages with their metadata,
	// for conversations.history.
	history map[string][]map[string]any
}

func (f *fakeSlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	switch method {
	case "auth.test":
		w.Write([]byte(`{"ok":true,"user_id":"UBOT","user":"paybot","team_id":"T1","bot_id":"B1"}`))
		return
	case "chat.postMessage":
		if r.Form.Get("thread_ts") == "" {
			time.Sleep(150 * time.Millisecond)
		}
	case "conversations.history":
		f.mu.Lock()
		msgs := append([]map[string]any{}, f.history[r.Form.Get("channel")]...)
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "messages": msgs})
		return
	}
	f.mu.Lock()
	f.seq++
	ts := fmt.Sprintf("1700000000.%06d", f.seq)
	if method == "chat.postMessage" {
		f.posts++
		if text := r.Form.Get("text"); r.Form.Get("thread_ts") == "" && strings.HasPrefix(text, "PAY-") {
			ref, _, _ := strings.Cut(text, " ")
			f.cards[ref]++
			var meta any
			json.Unmarshal([]byte(r.Form.Get("metadata")), &meta)
			if f.history == nil {
				f.history = map[string][]map[string]any{}
			}
			ch := r.Form.Get("channel")
			f.history[ch] = append(f.history[ch], map[string]any{"type": "message", "ts": ts, "text": text, "metadata": meta})
		}
	}
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "channel": r.Form.Get("channel"), "ts": ts, "message_ts": ts,
		"channel_obj": map[string]any{"id": "D1"}})
}

func (f *fakeSlackAPI) snapshot() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.cards {
		out[k] = v
	}
	return out, f.posts
}

type serveProc struct {
	cmd *exec.Cmd
	log *bytes.Buffer
	mu  *sync.Mutex
}

func startServeProc(t *testing.T, bin, data, addr, apiURL string) serveProc {
	t.Helper()
	cmd := exec.Command(bin, "--data", data, "serve")
	cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=e2e-secret",
		"SLACK_API_URL="+apiURL, "PAYBOT_HTTP_ADDR="+addr, "DISCORD_BOT_TOKEN=", "DISCORD_APP_ID=", "DISCORD_PUBLIC_KEY=")
	p := serveProc{cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := pr.Read(b)
			p.mu.Lock()
			p.log.Write(b[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); pw.Close() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up: %s", p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p serveProc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func signedCommandE2E(t *testing.T, addr, channel, text, trigger string) {
	body := url.Values{"team_id": {"T1"}, "channel_id": {channel}, "user_id": {"U1"}, "user_name": {"steve"},
		"command": {"/payissue"}, "text": {text}, "trigger_id": {trigger}, "response_url": {"https://hooks.slack.com/commands/1/2"}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("e2e-secret"))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("command status %d", resp.StatusCode)
	}
}

// TestServeKill9AndSIGTERM: commands are acknowledged, `paybot serve` is
// killed with SIGKILL while cards are being posted, and restarted: every
// incident ends with exactly one card and a thread, none stays in intake
// without one. Then SIGTERM: it logs that it is shutting down and exits 0.
func TestServeKill9AndSIGTERM(t *testing.T) {
	bin := buildPaybot(t)
	data := t.TempDir()
	api := &fakeSlackAPI{cards: map[string]int{}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	addr := freeAddr(t)
	p := startServeProc(t, bin, data, addr, srv.URL+"/api/")
	const n = 12
	for i := range n {
		signedCommandE2E(t, addr, fmt.Sprintf("C%d", i%4), fmt.Sprintf("checkout failing in region %d", i), fmt.Sprintf("trig-%d", i))
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cards, _ := api.snapshot()
		if len(cards) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no card before the kill: %s", p.logText())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	before, _ := api.snapshot()
	t.Logf("killed with %d of %d cards posted", len(before), n)

	p = startServeProc(t, bin, data, addr, srv.URL+"/api/")
	deadline = time.Now().Add(60 * time.Second) // a card claimed at the kill waits out its 15 s lease
	for {
		cards, _ := api.snapshot()
		if len(cards) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d cards after the restart: %v\n%s", len(cards), n, cards, p.logText())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // the first questions follow their cards
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, p.logText())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not exit after SIGTERM")
	}
	if !strings.Contains(p.logText(), "shutting down") {
		t.Errorf("no shutting-down line in the log:\n%s", p.logText())
	}
	cards, _ := api.snapshot()
	for ref, c := range cards {
		if c != 1 {
			t.Errorf("%s: %d cards, want 1", ref, c)
		}
	}
	out, err := exec.CommandContext(context.Background(), bin, "--data", data, "incidents", "list", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Ref          string `json:"ref"`
		Status       string `json:"status"`
		CardMessage  string `json:"card_message"`
		Conversation struct {
			Thread string `json:"thread"`
		} `json:"conversation"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(list) != n {
		t.Fatalf("%d incidents, want %d", len(list), n)
	}
	for _, inc := range list {
		if inc.CardMessage == "" || inc.Conversation.Thread == "" {
			t.Errorf("%s (%s) has no card or thread", inc.Ref, inc.Status)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildPaybot compiles the real binary once per test run.
func buildPaybot(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "paybot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v", err)
	}
	return bin
}

type chatOut struct {
	Incident string `json:"incident"`
	Thread   string `json:"thread"`
	Kind     string `json:"kind"`
	Text     string `json:"text"`
	Expects  string `json:"expects"`
	Choices  []struct {
		Value string `json:"value"`
		Label string `json:"label"`
	} `json:"choices"`
}

// chatProc is a running `paybot chat --json`.
type chatProc struct {
	t     *testing.T
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan chatOut
}

func startChat(t *testing.T, bin, data string) *chatProc {
	t.Helper()
	cmd := exec.Command(bin, "--data", data, "chat", "--json", "--user", "ana")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &chatProc{t: t, cmd: cmd, in: in, lines: make(chan chatOut, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var o chatOut
			if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
				t.Errorf("output line is not JSON: %q", sc.Text())
				continue
			}
			p.lines <- o
		}
		close(p.lines)
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return p
}

func (p *chatProc) send(v any) {
	p.t.Helper()
	b, _ := json.Marshal(v)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		p.t.Fatal(err)
	}
}

// until reads output until stop says so, and returns what it read.
func (p *chatProc) until(stop func(chatOut) bool) []chatOut {
	p.t.Helper()
	var got []chatOut
	timeout := time.After(30 * time.Second)
	for {
		select {
		case o, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("chat exited; output so far: %+v", got)
			}
			got = append(got, o)
			if stop(o) {
				return got
			}
		case <-timeout:
			p.t.Fatalf("timed out; output so far: %+v", got)
		}
	}
}

func expecting(o chatOut) bool { return o.Expects != "" }

const cardDigits = "4111111111111111"

var scriptAnswers = map[string]string{
	"category":        "failed transactions",
	"provider":        "Stripe",
	"environment":     "production",
	"started_at":      "10 min ago",
	"impact":          "all",
	"error_messages":  "card 4111 1111 1111 1111 declined with do_not_honor, DE39 05",
	"transaction_ids": "ch_3PqRsT123, pi_3PqRsT456",
	"payment_methods": "1, 2",
	"steps_taken":     "retried, checked the Stripe status page",
	"confirm":         "yes",
}

// TestChatJSONKillAndResume drives the built binary the way the README's
// scripting section says: answer by `expects`, kill it halfway, restart,
// finish, then read the incident back and search the data for card digits.
func TestChatJSONKillAndResume(t *testing.T) {
	bin := buildPaybot(t)
	data := filepath.Join(t.TempDir(), "data")

	p := startChat(t, bin, data)
	p.send(map[string]string{"text": "/payissue card payments failing at checkout"})
	out := p.until(expecting)
	if out[0].Kind != "card" || out[0].Incident != "PAY-1" {
		t.Fatalf("first output is not the PAY-1 card: %+v", out[0])
	}
	step := out[len(out)-1].Expects
	thread := out[len(out)-1].Thread
	for i := 0; i < 6; i++ {
		p.send(map[string]string{"text": scriptAnswers[step], "thread": thread})
		out = p.until(expecting)
		step = out[len(out)-1].Expects
	}
	if step != "transaction_ids" {
		t.Fatalf("after six answers the intake waits for %q, want transaction_ids", step)
	}
	for _, o := range out {
		if strings.Contains(o.Text, "4111") && strings.Contains(o.Text, "1111 1111") {
			t.Errorf("card number echoed: %q", o.Text)
		}
	}
	p.cmd.Process.Kill() // as kill -9 would
	p.cmd.Wait()

	p = startChat(t, bin, data)
	out = p.until(expecting)
	if got := out[len(out)-1].Expects; got != "transaction_ids" {
		t.Fatalf("after restart the intake waits for %q, want transaction_ids", got)
	}
	step = "transaction_ids"
	for step != "" {
		p.send(map[string]string{"text": scriptAnswers[step]})
		out = p.until(func(o chatOut) bool { return o.Expects != "" || strings.Contains(o.Text, "is open as") })
		step = out[len(out)-1].Expects
	}
	p.in.Close()
	p.cmd.Wait()

	show := exec.Command(bin, "--data", data, "incidents", "show", "PAY-1", "--json")
	raw, err := show.Output()
	if err != nil {
		t.Fatalf("incidents show: %v", err)
	}
	var inc struct {
		Status   string `json:"status"`
		Severity int    `json:"severity"`
		Details  struct {
			Provider       string   `json:"provider"`
			TransactionIDs []string `json:"transaction_ids"`
			Codes          []struct{ System, Value string }
		} `json:"details"`
		Timeline []json.RawMessage `json:"timeline"`
	}
	if err := json.Unmarshal(raw, &inc); err != nil {
		t.Fatalf("show output: %v\n%s", err, raw)
	}
	if inc.Status != "open" || inc.Severity != 1 || len(inc.Details.TransactionIDs) != 2 || len(inc.Timeline) < 10 {
		t.Errorf("incident after the intake: %s", raw)
	}
	err = filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(cardDigits)) || bytes.Contains(b, []byte("4111 1111 1111 1111")) {
			t.Errorf("card number found in %s", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

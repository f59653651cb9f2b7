package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestKillReplicaUnderLoad is the issue's three-replica check: three `paybot
// serve` on one PostgreSQL schema, N signed /payissue commands sent
// round-robin (10% redelivered to a different replica), one replica
// SIGKILLed half-way and restarted. Counted at the fake Slack API and in the
// store: every incident opened once, one card each, none lost.
//
// Opt-in (PAYBOT_KILL_TEST=1, PAYBOT_KILL_N=3000 by default) because it
// runs for minutes; it needs the outbox of issue 9 for "0 lost cards"
// (today a replica killed between the commit and the post loses that card).
// The first N/100 incidents also climb a three-level ladder through the
// kill (kill_ladder_test.go): each step must be posted exactly once.
func TestKillReplicaUnderLoad(t *testing.T) {
	if os.Getenv("PAYBOT_KILL_TEST") == "" {
		t.Skip("set PAYBOT_KILL_TEST=1 to run the three-replica SIGKILL test (minutes)")
	}
	n := 3000
	fmt.Sscan(os.Getenv("PAYBOT_KILL_N"), &n)
	dsn := pgSchema(t, "")
	bin := buildPaybot(t)
	api := newSlackRecorder(t)
	env := []string{"PAYBOT_DATABASE_URL=" + dsn, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + opsTestSecret,
		"SLACK_API_URL=" + api.srv.URL + "/", "PAYBOT_LOG_LEVEL=warn", "PAYBOT_CONFIG=" + writeKillLadderConfig(t)}
	lc := newLadderCounter(api)
	var mu sync.Mutex
	reps := []*replica{startReplica(t, bin, env), startReplica(t, bin, env), startReplica(t, bin, env)}
	pick := func(i int) string {
		mu.Lock()
		defer mu.Unlock()
		return reps[i%len(reps)].base
	}
	// send posts a command, failing over to the next replica on a transport
	// error or a non-200, as a balancer and Slack's retries would.
	var failovers atomic.Int64
	send := func(i, target int) {
		channel := fmt.Sprintf("C%03d", i%300)
		text := fmt.Sprintf("kill test incident %d: declines at checkout", i)
		for attempt := 0; attempt < 30; attempt++ {
			if code := trySlackCommand(pick(target+attempt), channel, text, fmt.Sprintf("kill-%d", i)); code == 200 {
				return
			}
			failovers.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("command %d never acknowledged", i)
	}
	// The first n/100 incidents also climb an escalation ladder (see
	// kill_ladder_test.go); the replica dies while their steps are due.
	ladders := max(n/100, 1)
	ctx := context.Background()
	lpool, err := pgxpool.New(ctx, dsn+"&pool_max_conns=4")
	if err != nil {
		t.Fatal(err)
	}
	defer lpool.Close()
	var (
		lmu      sync.Mutex
		threads  []string
		lwg      sync.WaitGroup
		eventSeq atomic.Int64
		escs     atomic.Int64
		lnext    atomic.Int64
	)
	lsend := func(path, contentType, body string) bool {
		for attempt := 0; attempt < 30; attempt++ {
			if postSigned(pick(int(lnext.Add(1))), path, contentType, body) {
				return true
			}
			failovers.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
		return false
	}
	lwg.Add(1)
	go func() {
		defer lwg.Done()
		var inner sync.WaitGroup
		for i := range ladders {
			inner.Go(func() {
				th, err := escalateLadder(ctx, lpool, i, lsend, &eventSeq, &escs)
				if err != nil {
					t.Error(err)
					return
				}
				lmu.Lock()
				threads = append(threads, th)
				lmu.Unlock()
			})
		}
		inner.Wait()
	}()
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				send(i, i)
				if i%10 == 0 {
					send(i, i+1) // redelivered to a different replica
				}
			}
		})
	}
	for i := range n {
		switch i {
		case n / 2:
			// Kill only once the ladders are climbing, so some of their
			// steps are due or being delivered when the replica dies.
			lwg.Wait()
			mu.Lock()
			victim := reps[1]
			mu.Unlock()
			victim.cmd.Process.Signal(syscall.SIGKILL)
			victim.cmd.Wait()
		case n/2 + n/10: // back after a tenth of the run
			r := startReplica(t, bin, env)
			mu.Lock()
			reps[1] = r
			mu.Unlock()
		}
		work <- i
	}
	close(work)
	wg.Wait()

	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	deadline := time.Now().Add(3 * time.Minute)
	var got, pending int
	for {
		c.QueryRow(ctx, `SELECT count(DISTINCT title) FROM incidents`).Scan(&got)
		c.QueryRow(ctx, `SELECT count(*) FROM inbox WHERE status = 'received'`).Scan(&pending)
		if (got == n && pending == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	var total int
	c.QueryRow(ctx, `SELECT count(*) FROM incidents`).Scan(&total)
	t.Logf("%d commands, %d failovers; %d incidents (%d distinct), %d events unprocessed", n, failovers.Load(), total, got, pending)
	if got != n || total != n || pending != 0 {
		t.Errorf("incidents: %d distinct of %d total, want %d each; %d events unprocessed", got, total, n, pending)
	}
	// Cards: one root post per incident.
	deadline = time.Now().Add(2 * time.Minute)
	for {
		api.mu.Lock()
		cards, twice := 0, 0
		for text, k := range api.cards {
			if strings.Contains(text, "kill test incident") {
				cards++
				if k > 1 {
					twice++
				}
			}
		}
		api.mu.Unlock()
		if cards == n || time.Now().After(deadline) {
			t.Logf("cards: %d of %d posted, %d posted more than once", cards, n, twice)
			if cards != n || twice != 0 {
				t.Errorf("cards: %d of %d posted (lost %d), %d duplicated", cards, n, n-cards, twice)
			}
			break
		}
		time.Sleep(time.Second)
	}
	// Ladders: every level of every escalated incident posted once.
	deadline = time.Now().Add(2 * time.Minute)
	for !lc.complete(threads) && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	time.Sleep(2 * time.Second) // a late duplicate would show now
	t.Logf("ladders: %d escalate commands for %d incidents", escs.Load(), ladders)
	if len(threads) != ladders {
		t.Errorf("%d of %d ladder incidents escalated", len(threads), ladders)
	}
	lc.check(t, threads)
}

// trySlackCommand posts one signed slash command and returns the status
// (0 on a transport error).
func trySlackCommand(base, channel, text, trigger string) int {
	req := signedCommand(base, channel, text, trigger)
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if strings.Contains(string(b), "could not take that command") {
		return http.StatusServiceUnavailable // answered, but not stored
	}
	return resp.StatusCode
}

package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paybot/paybot/incidents"
	"github.com/paybot/paybot/incidents/postgres"
)

// stallProxy forwards loopback connections to PostgreSQL. freeze makes
// every connection open at that moment go silent for good while staying
// open (what a network partition or a host that died does to a client:
// no answer, no reset); connections made afterwards work, as when the
// network is back.
type stallProxy struct {
	addr  string
	mu    sync.Mutex
	live  []*atomic.Bool // one per open connection: set when it goes silent
	conns []net.Conn
}

func newStallProxy(t *testing.T, upstream string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{addr: ln.Addr().String()}
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			silent := &atomic.Bool{}
			p.mu.Lock()
			p.live = append(p.live, silent)
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if n > 0 && !silent.Load() {
						if _, err := dst.Write(buf[:n]); err != nil {
							return
						}
					}
					if err != nil {
						if !silent.Load() {
							dst.Close()
						}
						return
					}
				}
			}
			go pipe(u, c)
			go pipe(c, u)
		}
	}()
	return p
}

// freeze silences every connection open now.
func (p *stallProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.live {
		s.Store(true)
	}
	p.live = nil
}

// closeAll closes every connection, silent or not.
func (p *stallProxy) closeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestStoreRecoversFromSilentConnections: after every connection of a
// store went silent without being closed, calls fail within the statement
// bound instead of waiting forever, the pools replace the connections, and
// the store works again (reads, changes, the acknowledgement pool, the
// knowledge base's LISTEN) without a restart.
func TestStoreRecoversFromSilentConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out pgx's 15 s close of the broken connections")
	}
	defer postgres.SetBounds(time.Second, 500*time.Millisecond, time.Second)()
	ctx := context.Background()
	dir := t.TempDir()
	direct, err := openErr(t, dir) // creates the schema; not behind the proxy
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	u, _ := url.Parse(testDSN())
	p := newStallProxy(t, u.Host)
	u.Host = p.addr
	q := u.Query()
	q.Set("search_path", schemaOf(dir))
	q.Set("pool_max_conns", "4")
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	defer p.closeAll() // first: the silent connections end, so Close need not wait them out

	lctx, stopListen := context.WithCancel(ctx)
	defer stopListen()
	wakes, err := s.KBNotifications(lctx)
	if err != nil {
		t.Fatal(err)
	}
	// Every pool connection in use, and the LISTEN connection up.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ListIncidents(ctx, incidents.ListFilter{Limit: 1})
		}()
	}
	wg.Wait()
	if err := s.EnqueueEvent(ctx, "test:before", []byte("{}"), time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wakes:
	case <-time.After(5 * time.Second):
		t.Fatal("no first wake-up from KBNotifications")
	}

	p.freeze()
	frozen := time.Now()

	// Each call returns (an error on a silent connection, within the
	// bound) and calls succeed again: a broken connection keeps its pool
	// slot while pgx closes it (up to 15 s, its own bound), then the pool
	// connects afresh.
	within := func(what string, call func() error) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			done := make(chan error, 1)
			start := time.Now()
			go func() { done <- call() }()
			select {
			case err := <-done:
				if err == nil {
					t.Logf("%s works again %s after the freeze", what, time.Since(frozen).Round(100*time.Millisecond))
					return
				}
				t.Logf("%s after the freeze: %v (%s)", what, err, time.Since(start).Round(time.Millisecond))
			case <-time.After(20 * time.Second):
				pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
				t.Fatalf("%s waited more than 20 s after the freeze", what)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still fails 30 s after the freeze", what)
			}
		}
	}
	within("ListIncidents", func() error {
		_, err := s.ListIncidents(ctx, incidents.ListFilter{Limit: 1})
		return err
	})
	within("CreateIncident", func() error {
		inc := incidents.New("after a partition", incidents.User{Platform: "test", ID: "U1"},
			incidents.Conversation{Platform: "test", Channel: "C1"}, time.Now())
		return s.CreateIncident(ctx, inc, incidents.Change{})
	})
	n := 0
	within("EnqueueEvent", func() error {
		n++
		return s.EnqueueEvent(ctx, fmt.Sprintf("test:after-%d", n), []byte("{}"), time.Now())
	})
	// A change committed elsewhere still wakes the follower: the LISTEN
	// connection found itself deaf and connected again.
	for len(wakes) > 0 {
		<-wakes
	}
	body, _ := json.Marshal(map[string]string{"id": "stall-doc", "title": "t", "body": "b"})
	if _, err := direct.PutKBDocs(ctx, []incidents.KBDoc{{ID: "stall-doc", Kind: "community", Fields: body, UpdatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	put := time.Now()
	select {
	case <-wakes:
		t.Logf("the follower woke %s after the change", time.Since(put).Round(100*time.Millisecond))
	case <-time.After(6 * time.Second):
		t.Fatal("a knowledge-base change did not wake the follower after its LISTEN connection went silent")
	}
}

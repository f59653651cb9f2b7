package email

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/paybot/paybot/bot"
)

// server is a tiny in-process SMTP server: enough of RFC 5321 for net/smtp.
type server struct {
	ln       net.Listener
	mu       sync.Mutex
	mails    []string
	rcpts    []string
	tempFail bool
}

func newServer(t *testing.T) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *server) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(l string) { c.Write([]byte(l + "\r\n")) }
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			s.mu.Lock()
			fail := s.tempFail
			s.mu.Unlock()
			if fail {
				say("451 try again later")
				continue
			}
			say("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO"):
			s.mu.Lock()
			s.rcpts = append(s.rcpts, strings.TrimSpace(line[8:]))
			s.mu.Unlock()
			say("250 ok")
		case cmd == "DATA":
			say("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.mails = append(s.mails, b.String())
			s.mu.Unlock()
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func TestSendMail(t *testing.T) {
	s := newServer(t)
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	p, _ := strconv.Atoi(port)
	m := New(Config{Host: host, Port: p, From: "paybot@example.com", TLS: "none"})
	if err := m.SendMail(context.Background(), []string{"sam@stripe.example"}, "[PAY-1] SEV1", "Support packet PAY-1\nCard: •••• 4242"); err != nil {
		t.Fatal(err)
	}
	if len(s.mails) != 1 || !strings.Contains(s.mails[0], "Subject: [PAY-1] SEV1") || !strings.Contains(s.mails[0], "Support packet PAY-1\r\nCard") {
		t.Fatalf("mails = %q", s.mails)
	}
	if len(s.rcpts) != 1 || !strings.Contains(s.rcpts[0], "sam@stripe.example") {
		t.Fatalf("rcpts = %q", s.rcpts)
	}
	s.tempFail = true
	err := m.SendMail(context.Background(), []string{"x@example.com"}, "s", "b")
	var ra *bot.RetryAfterError
	if !errors.As(err, &ra) {
		t.Fatalf("451 should ask for a retry, got %v", err)
	}
}

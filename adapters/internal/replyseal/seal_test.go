package replyseal

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	a, err := New("bot-token-1", "discord")
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"t":"aW50ZXJhY3Rpb24tdG9rZW4"}`)
	s1, s2 := a.Seal(plain), a.Seal(plain)
	if s1 == s2 {
		t.Fatal("two seals of one route are equal: the nonce is not random")
	}
	if strings.Contains(s1, "aW50ZXJhY3Rpb24tdG9rZW4") || !strings.HasPrefix(s1, "rs1.") || strings.Trim(s1[4:], "0123456789abcdef") != "" {
		t.Fatalf("sealed %q: want rs1. and lowercase hex", s1)
	}
	// Another replica with the same secret opens it.
	b, _ := New("bot-token-1", "discord")
	if got, err := b.Open(s1); err != nil || string(got) != string(plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other := func(secret, platform string) *Sealer {
		s, err := New(secret, platform)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	flip := []byte(s1)
	flip[10] ^= 1
	for name, tc := range map[string]struct {
		s   *Sealer
		tok string
	}{
		"other secret":   {other("bot-token-2", "discord"), s1},
		"other platform": {other("bot-token-1", "slack"), s1},
		"random key":     {other("", "discord"), s1},
		"tampered":       {b, string(flip)},
		"clear":          {b, "1300000000000000011"},
		"cut":            {b, s1[:20]},
		"empty":          {b, ""},
	} {
		if _, err := tc.s.Open(tc.tok); !errors.Is(err, ErrNotSealed) {
			t.Errorf("%s: Open err = %v, want ErrNotSealed", name, err)
		}
	}
	if !other("", "slack").Ephemeral() || a.Ephemeral() {
		t.Fatal("Ephemeral wrong")
	}
}

func TestHide(t *testing.T) {
	base := &url.Error{Op: "Post", URL: "https://discord.com/api/v9/webhooks/app1/SECRET-TOKEN", Err: errors.New("connection reset")}
	err := Hide(fmt.Errorf("discord: post: %w", base), "SECRET-TOKEN")
	if strings.Contains(err.Error(), "SECRET-TOKEN") || !strings.Contains(err.Error(), "[redacted]") {
		t.Fatalf("Hide: %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatal("chain lost")
	}
	if Hide(nil, "x") != nil || Hide(base, "") != base || Hide(base, "absent") != base {
		t.Fatal("Hide changed an error it had nothing to hide in")
	}
}

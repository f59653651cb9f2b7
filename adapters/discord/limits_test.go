package discord

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// bodyTrap fails the test when the handler reads the body.
type bodyTrap struct{ t *testing.T }

func (b bodyTrap) Read([]byte) (int, error) {
	b.t.Error("body read before the signature headers were checked")
	return 0, http.ErrBodyReadAfterClose
}

func TestHeadersCheckedBeforeBody(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	goodSig := strings.Repeat("ab", 64)
	for name, hdr := range map[string][2]string{
		"no headers":   {"", ""},
		"short sig":    {"abcd", now},
		"non-hex sig":  {strings.Repeat("zz", 64), now},
		"no timestamp": {goodSig, ""},
		"stale":        {goodSig, stale},
		"future":       {goodSig, strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)},
	} {
		req := httptest.NewRequest("POST", InteractionsPath, bodyTrap{t})
		if hdr[0] != "" {
			req.Header.Set("X-Signature-Ed25519", hdr[0])
		}
		if hdr[1] != "" {
			req.Header.Set("X-Signature-Timestamp", hdr[1])
		}
		w := httptest.NewRecorder()
		hs.a.InteractionsHandler().ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", name, w.Code)
		}
	}
}

func TestBodyCap(t *testing.T) {
	hs := newHarness(t, ModeHTTP)
	code, _ := hs.signed(`{"type":1,"x":"` + strings.Repeat("a", 70<<10) + `"}`)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", code)
	}
}

func TestAllowedMentions(t *testing.T) {
	am := allowed("hi <@!42> and <@7> @everyone <@&9>")
	if am.Parse == nil || len(am.Parse) != 0 || len(am.Users) != 1 || am.Users[0] != "42" {
		t.Fatalf("%+v", am)
	}
	if got := noEveryone("@everyone @here"); strings.Contains(got, "@everyone") || strings.Contains(got, "@here") {
		t.Fatalf("%q", got)
	}
	if got := scrubMentions("<@!42>"); got != "<@42>" {
		t.Fatalf("%q", got)
	}
	var _ = discordgo.AllowedMentionTypeUsers
}

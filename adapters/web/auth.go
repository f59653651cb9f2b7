package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const cookieName = "paybot_dashboard"

// auth signs and checks links and session cookies with a key derived from
// the dashboard token.
type auth struct {
	tokenSum [32]byte // sha256 of the token, for a constant-time, length-blind compare
	key      []byte
}

func newAuth(token string) *auth {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("paybot dashboard v1"))
	return &auth{tokenSum: sha256.Sum256([]byte(token)), key: m.Sum(nil)}
}

func (a *auth) sign(purpose string, exp int64) string {
	m := hmac.New(sha256.New, a.key)
	fmt.Fprintf(m, "%s:%d", purpose, exp)
	return hex.EncodeToString(m.Sum(nil))
}

// valid checks sig for purpose and exp, and that exp is still ahead.
func (a *auth) valid(purpose, expText, sig string, now time.Time) bool {
	exp, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || len(sig) != 64 {
		return false
	}
	want := a.sign(purpose, exp)
	ok := subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(sig))) == 1
	return ok && now.Unix() < exp
}

// bearer reports whether r carries the token as a bearer token.
func (a *auth) bearer(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) == 1
}

func (a *auth) session(r *http.Request, now time.Time) bool {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return false
	}
	exp, sig, ok := strings.Cut(c.Value, ".")
	return ok && a.valid("session", exp, sig, now)
}

// loginURL is the signed link for base (the dashboard's public URL).
func (a *auth) loginURL(base string, exp time.Time) string {
	q := url.Values{}
	q.Set("exp", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", a.sign("link", exp.Unix()))
	return strings.TrimSuffix(base, "/") + "/dashboard/login?" + q.Encode()
}

func (a *auth) sessionCookie(r *http.Request, exp time.Time) *http.Cookie {
	e := exp.Unix()
	return &http.Cookie{
		Name: cookieName, Value: strconv.FormatInt(e, 10) + "." + a.sign("session", e),
		Path: "/dashboard/", Expires: exp, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"),
	}
}

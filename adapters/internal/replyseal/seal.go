// Package replyseal seals a chat platform's reply route (Slack's
// response_url, Discord's interaction id and token) into the opaque string
// an adapter puts in bot.Event.ReplyToken.
//
// A reply route is a bearer credential: whoever holds it can answer the
// person as the bot for up to 30 minutes (Slack) or 15 (Discord). It has to
// travel through the store, because the replica that receives a request is
// rarely the one that delivers the answer: the inbox payload holds it until
// the event is processed, the outbox's reply_token until the notification is
// sent or dead, and Discord's reply_state rows until they expire. The rule
// is that the store never holds one in clear: the adapter seals the route
// the moment the request arrives and opens it only to make the call.
//
// Sealing is AES-256-GCM with a random 96-bit nonce, under a key derived by
// HKDF-SHA256 from a secret every replica has in its environment
// (PAYBOT_REPLY_KEY, else the platform's bot token), with the platform in
// the HKDF info so the two platforms never share a key. A database dump
// alone opens nothing; a changed secret only makes the routes sealed before
// it unusable, and the adapter then falls back to what it does after a
// route expired.
package replyseal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// prefix marks a sealed route (version 1 of the format).
const prefix = "rs1."

// ErrNotSealed is returned by Open for a string that this Sealer did not
// seal: another format, another key (a changed secret, a random key of
// another process), or a modified token.
var ErrNotSealed = errors.New("reply route not sealed with this key")

// Sealer seals and opens reply routes; safe for concurrent use.
type Sealer struct {
	aead      cipher.AEAD
	ad        []byte
	ephemeral bool
}

// New derives a Sealer for platform ("slack", "discord") from secret. An
// empty secret gets a random key: routes then open only in this process,
// and Ephemeral reports true so the caller can warn.
func New(secret, platform string) (*Sealer, error) {
	var ikm []byte
	ephemeral := secret == ""
	if ephemeral {
		ikm = make([]byte, 32)
		if _, err := rand.Read(ikm); err != nil {
			return nil, err
		}
	} else {
		ikm = []byte(secret)
	}
	key, err := hkdf.Key(sha256.New, ikm, nil, "paybot reply route v1: "+platform, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead, ad: []byte(platform), ephemeral: ephemeral}, nil
}

// Ephemeral reports whether the key is random to this process.
func (s *Sealer) Ephemeral() bool { return s.ephemeral }

// Seal returns plain sealed: "rs1." and the lowercase hex of nonce,
// ciphertext and tag, 2*(len(plain)+28)+4 characters. Hex rather than
// base64: a sealed route never looks like text, a key or a marker a scan
// for leaked secrets looks for (base64 of random bytes spells anything
// short sooner or later).
func (s *Sealer) Seal(plain []byte) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("replyseal: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return prefix + hex.EncodeToString(s.aead.Seal(nonce, nonce, plain, s.ad))
}

// Open returns what Seal sealed. Errors: ErrNotSealed.
func (s *Sealer) Open(sealed string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrNotSealed
	}
	raw, err := hex.DecodeString(rest)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, ErrNotSealed
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], s.ad)
	if err != nil {
		return nil, ErrNotSealed
	}
	return plain, nil
}

// Hide returns err with every occurrence of secret in its message replaced
// by "[redacted]", keeping the chain for errors.Is and errors.As. An HTTP
// client's *url.Error names the whole URL, and a webhook URL carries the
// route (Discord's /webhooks/<app>/<token>, Slack's response_url), so calls
// made with a route wrap their errors with Hide before they reach a log or
// the outbox's last_error.
func Hide(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &hidden{msg: strings.ReplaceAll(err.Error(), secret, "[redacted]"), err: err}
}

type hidden struct {
	msg string
	err error
}

func (h *hidden) Error() string { return h.msg }
func (h *hidden) Unwrap() error { return h.err }

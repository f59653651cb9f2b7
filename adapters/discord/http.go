package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/adapters/internal/replyseal"
)

const (
	// maxBody caps an interaction request body: interactions are small
	// (a command with a few options, a modal of five inputs), 64 KiB is
	// ample and keeps a flood of large bodies cheap.
	maxBody = 64 << 10
	// freshness is how far a signature timestamp may be from now.
	freshness = 5 * time.Minute
	// ackBudget is how long the handler may take to accept an
	// interaction, inside Discord's 3 seconds.
	ackBudget = 2500 * time.Millisecond
	// InteractionsPath is where Discord posts interactions.
	InteractionsPath = "/discord/interactions"
)

const msgBusy = "Paybot could not take this in right now. Please try again in a moment."

// InteractionsHandler serves POST /discord/interactions.
func (a *Adapter) InteractionsHandler() http.Handler { return http.HandlerFunc(a.serveInteraction) }

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if a.pubKey == nil {
		http.Error(w, "interactions endpoint not configured", http.StatusNotFound)
		return
	}
	// The signature headers' presence and form and the timestamp's age are
	// checked before the body is read: a forged or replayed request costs
	// no body read at all.
	if !a.headersPlausible(r) {
		a.log.Info("discord interaction refused: missing, malformed or stale signature headers", "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	if r.ContentLength > maxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if !a.verify(r, body) {
		a.log.Info("discord interaction refused: bad or stale signature", "remote", r.RemoteAddr)
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	i, hint, err := parseInteraction(body)
	if err != nil {
		a.log.Info("discord interaction refused: malformed body", "err", err)
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	tr, err := a.translateInteraction(i, hint)
	switch {
	case errors.Is(err, errIgnore):
		writeJSON(w, ephemeral("Paybot does not handle this interaction."))
		return
	case err != nil:
		a.log.Info("discord interaction refused", "err", err)
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	// Discord waits 3 s for the first response; a handler that cannot
	// accept the event by 2.5 s gets a "try again" instead of a timeout.
	ctx, cancel := context.WithTimeout(r.Context(), ackBudget)
	defer cancel()
	resp, acc := a.accept(ctx, i, tr)
	writeJSON(w, resp)
	a.answered(acc)
}

// headersPlausible checks, without the body, that X-Signature-Ed25519 is
// 64 bytes in hex and X-Signature-Timestamp a Unix time within the replay
// window.
func (a *Adapter) headersPlausible(r *http.Request) bool {
	sig := r.Header.Get("X-Signature-Ed25519")
	if len(sig) != 2*ed25519.SignatureSize {
		return false
	}
	if _, err := hex.DecodeString(sig); err != nil {
		return false
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	if err != nil {
		return false
	}
	age := a.now().Sub(time.Unix(ts, 0))
	return age <= freshness && age >= -freshness
}

// verify checks the Ed25519 signature over timestamp+body with
// discordgo.VerifyInteraction, then the timestamp's age, which the library
// does not check: a replay older than 5 minutes is refused.
func (a *Adapter) verify(r *http.Request, body []byte) bool {
	r.Body = io.NopCloser(bytes.NewReader(body))
	if !discordgo.VerifyInteraction(r, a.pubKey) {
		return false
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Signature-Timestamp"), 10, 64)
	if err != nil {
		return false
	}
	age := a.now().Sub(time.Unix(ts, 0))
	return age <= freshness && age >= -freshness
}

// parseInteraction decodes a body with discordgo's types, never panicking.
// A "message" holding component types discordgo cannot parse is dropped and
// the rest retried; the message id is kept.
func parseInteraction(body []byte) (i *discordgo.Interaction, hint *channelHint, err error) {
	defer func() {
		if p := recover(); p != nil {
			i, hint, err = nil, nil, errors.New("unparseable interaction")
		}
	}()
	var head struct {
		Type    *int            `json:"type"`
		Channel *channelHint    `json:"channel"`
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return nil, nil, err
	}
	if head.Type == nil {
		return nil, nil, errors.New("interaction without type")
	}
	i = new(discordgo.Interaction)
	if err := json.Unmarshal(body, i); err != nil {
		if len(head.Message) == 0 {
			return nil, nil, err
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			return nil, nil, err
		}
		var msgID struct {
			ID        string `json:"id"`
			ChannelID string `json:"channel_id"`
		}
		_ = json.Unmarshal(head.Message, &msgID)
		delete(raw, "message")
		stripped, _ := json.Marshal(raw)
		i = new(discordgo.Interaction)
		if err2 := json.Unmarshal(stripped, i); err2 != nil {
			return nil, nil, err
		}
		if msgID.ID != "" {
			i.Message = &discordgo.Message{ID: msgID.ID, ChannelID: msgID.ChannelID}
		}
	}
	return i, head.Channel, nil
}

// accept hands a translated interaction to the handler and returns the
// response for Discord. A duplicate is acknowledged without a second
// handler call. The event carries the interaction's route sealed in
// ReplyToken, so that whichever replica delivers the answer can use the
// token. The caller passes the returned acceptance to answered once the
// response is on its way.
func (a *Adapter) accept(ctx context.Context, i *discordgo.Interaction, tr translation) (*discordgo.InteractionResponse, *accepted) {
	if !tr.Handle {
		return tr.Response, nil
	}
	h := a.getHandler()
	if h == nil {
		return ephemeral(msgBusy), nil
	}
	if !a.seen.claim(tr.Event.ID) {
		a.log.Debug("duplicate interaction ignored", "id", tr.Event.ID)
		return tr.Response, nil
	}
	var (
		r   *route
		ack *ackEntry
	)
	appID := i.AppID
	if appID == "" {
		appID = a.cfg.AppID
	}
	if i.Token != "" && appID != "" {
		r = &route{ID: i.ID, App: appID, Token: i.Token, Channel: i.ChannelID, User: tr.Event.User.ID,
			At: a.now().UnixMilli(), Deferred: tr.Response.Type == respDeferredMessage}
		tr.Event.ReplyToken = a.seal(r)
		ack = a.acks.add(i.ID, a.now())
	}
	if err := h.HandleEvent(ctx, tr.Event); err != nil {
		a.seen.release(tr.Event.ID)
		if r != nil {
			a.acks.remove(r.ID)
		}
		a.log.Error("discord event not accepted", "id", tr.Event.ID, "err", err)
		return ephemeral(msgBusy), nil
	}
	if r == nil {
		return tr.Response, nil
	}
	return tr.Response, &accepted{ack: ack, r: r, sealed: tr.Event.ReplyToken}
}

// accepted is an interaction handed to the handler, with a route.
type accepted struct {
	ack    *ackEntry
	r      *route
	sealed string
}

// answered runs once the initial response is on its way: this process may
// now use the token, and the interaction becomes the person's latest in its
// channel for every replica. That store write comes after the response, so
// it costs the acknowledgement nothing.
func (a *Adapter) answered(acc *accepted) {
	if acc == nil {
		return
	}
	acc.ack.done()
	if acc.r.Channel != "" && acc.r.User != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		a.rememberLatest(ctx, acc.r, acc.sealed)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// Gateway handlers feed the same translation.

func (a *Adapter) onInteractionCreate(s *discordgo.Session, ic *discordgo.InteractionCreate) {
	if ic == nil || ic.Interaction == nil {
		return
	}
	tr, err := a.translateInteraction(ic.Interaction, nil)
	if errors.Is(err, errIgnore) {
		return
	}
	if err != nil {
		a.log.Info("discord interaction ignored", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), ackBudget)
	defer cancel()
	resp, acc := a.accept(ctx, ic.Interaction, tr)
	rctx, rcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer rcancel()
	if err := s.InteractionRespond(ic.Interaction, resp, discordgo.WithContext(rctx)); err != nil {
		a.log.Warn("discord interaction response failed", "id", ic.ID, "err", replyseal.Hide(err, ic.Token))
	}
	a.answered(acc)
}

func (a *Adapter) onMessageCreate(_ *discordgo.Session, mc *discordgo.MessageCreate) {
	if mc == nil {
		return
	}
	ev, ok := a.translateMessage(mc.Message)
	if !ok {
		return
	}
	h := a.getHandler()
	if h == nil || !a.seen.claim(ev.ID) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.HandleEvent(ctx, ev); err != nil {
		a.seen.release(ev.ID)
		a.log.Error("discord message not accepted", "id", ev.ID, "err", err)
	}
}

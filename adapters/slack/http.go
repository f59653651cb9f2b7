package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Routes registers the HTTP transport on mux:
//
//	POST /slack/commands      slash commands
//	POST /slack/events        Events API (url_verification, message, app_mention)
//	POST /slack/interactions  block_actions and view_submission
//
// Every request is verified with the signing secret before its body is
// parsed.
func (a *Adapter) Routes(mux *http.ServeMux) {
	mux.Handle("POST /slack/commands", a.verified("commands", a.serveCommand))
	mux.Handle("POST /slack/events", a.verified("events", a.serveEvents))
	mux.Handle("POST /slack/interactions", a.verified("interactions", a.serveInteraction))
}

// maxCommandBody caps a slash command's body (64 KiB); events and
// interactions keep Options.MaxBodyBytes (1 MiB by default).
const maxCommandBody = 64 << 10

// verified wraps next with the body cap, the signature check and a panic
// guard. next receives the raw, verified body.
func (a *Adapter) verified(name string, next func(w http.ResponseWriter, r *http.Request, body []byte)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("slack request panicked", "route", name, "panic", fmt.Sprint(p))
				http.Error(w, "bad request", http.StatusBadRequest)
			}
		}()
		if a.opts.SigningSecret == "" {
			http.Error(w, "slack HTTP transport not configured", http.StatusNotFound)
			return
		}
		// Headers and timestamp first: a request without a valid, fresh
		// signature header is refused before its body is read.
		sv, err := slack.NewSecretsVerifier(r.Header, a.opts.SigningSecret)
		if err != nil {
			a.reject(w, r, name, err)
			return
		}
		limit := a.opts.MaxBodyBytes
		if name == "commands" {
			// A slash command is a form of a few fields with at most
			// 4,000 characters of text: 64 KiB is ample.
			limit = min(limit, maxCommandBody)
		}
		if r.ContentLength > limit {
			a.log.Warn("slack request refused: body too large", "route", name, "length", r.ContentLength)
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				a.log.Warn("slack request refused: body too large", "route", name)
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if _, err := sv.Write(body); err != nil {
			a.reject(w, r, name, err)
			return
		}
		if err := sv.Ensure(); err != nil {
			a.reject(w, r, name, err)
			return
		}
		next(w, r, body)
	})
}

// reject answers 401 and logs why, never the body.
func (a *Adapter) reject(w http.ResponseWriter, r *http.Request, route string, err error) {
	a.log.Warn("slack request rejected: signature check failed", "route", route, "reason", err.Error(), "remote", r.RemoteAddr)
	http.Error(w, "invalid signature", http.StatusUnauthorized)
}

func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	cmd := slack.SlashCommand{
		TeamID:      form.Get("team_id"),
		ChannelID:   form.Get("channel_id"),
		UserID:      form.Get("user_id"),
		UserName:    form.Get("user_name"),
		Command:     form.Get("command"),
		Text:        form.Get("text"),
		ResponseURL: form.Get("response_url"),
		TriggerID:   form.Get("trigger_id"),
	}
	if cmd.Command == "" || cmd.ChannelID == "" || cmd.UserID == "" {
		http.Error(w, "missing command, channel_id or user_id", http.StatusBadRequest)
		return
	}
	in := a.fromSlashCommand(cmd, string(body))
	if in.openModal != nil {
		a.openModalAsync(in.openModal)
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := a.deliver(r.Context(), in); err != nil {
		// Slack does not retry slash commands: tell the person instead.
		writeJSON(w, map[string]string{"response_type": "ephemeral", "text": "Sorry, Paybot could not take that command right now. Please try again."})
		return
	}
	// An empty 200 is the acknowledgement; the engine's answer (the card, or
	// the reply to "help", "list", …) is posted with chat.postMessage.
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	if !json.Valid(body) {
		http.Error(w, "malformed JSON", http.StatusBadRequest)
		return
	}
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		// Valid JSON that slack-go cannot map (an event type we did not
		// subscribe to): acknowledge so that Slack does not retry it.
		a.log.Debug("slack event ignored", "reason", err.Error())
		w.WriteHeader(http.StatusOK)
		return
	}
	if ev.Type == slackevents.URLVerification {
		ch, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok {
			http.Error(w, "malformed url_verification", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ch.Challenge)
		return
	}
	in := a.fromEventsAPI(ev)
	if err := a.deliver(r.Context(), in); err != nil {
		// A 5xx makes Slack retry with the same event_id.
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "malformed form", http.StatusBadRequest)
		return
	}
	payload := form.Get("payload")
	if payload == "" {
		http.Error(w, "missing payload", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil {
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	in := a.fromInteraction(cb)
	if in.openModal != nil {
		a.openModalAsync(in.openModal)
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := a.deliver(r.Context(), in); err != nil {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	if cb.Type == slack.InteractionTypeViewSubmission {
		writeJSON(w, map[string]string{"response_action": "clear"})
		return
	}
	w.WriteHeader(http.StatusOK)
}

// deliver hands the translated events to the handler (the engine's durable
// Accept), within the ack deadline.
func (a *Adapter) deliver(ctx context.Context, in inbound) error {
	if len(in.events) == 0 {
		if in.reason != "" {
			a.log.Debug("slack payload ignored", "reason", in.reason)
		}
		return nil
	}
	h := a.currentHandler()
	if h == nil {
		return errors.New("slack: adapter not started")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.opts.AckTimeout)
	defer cancel()
	for _, ev := range in.events {
		if err := h.HandleEvent(ctx, ev); err != nil {
			a.log.Error("slack event not accepted", "id", ev.ID, "kind", ev.Kind, "err", err)
			return err
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// openModalAsync opens the "open incident" modal. The trigger id expires
// after 3 seconds, so this runs right away, beside the acknowledgement.
func (a *Adapter) openModalAsync(m *modalRequest) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var err error
		if m.action != "" {
			err = a.OpenActionModal(ctx, m.triggerID, m.action, m.ref, m.channel, m.thread)
		} else {
			err = a.OpenIncidentModal(ctx, m.triggerID, m.channel, m.thread)
		}
		if err != nil {
			a.log.Error("slack views.open failed", "err", err)
		}
	}()
}

package bot

import (
	"context"
	"fmt"
	"regexp"

	"github.com/paybot/paybot/incidents"
)

// registerCaseCommand adds "/payissue case <number>": the case number the
// gateway's support desk gave, stored typed on the incident and printed in
// the support packet. (Another branch may add a case command too: this is
// the one function to keep or drop when merging.)
func (e *Engine) registerCaseCommand() {
	e.register(&command{name: "case", usage: "/payissue case [REF] <number>",
		help: "record the gateway's case number; it goes into the support packet", run: e.cmdCase})
}

// reCaseNumber is what a desk's case number looks like: letters, digits
// and a few separators, at most 64 characters ("01234567", "SR-2026-0042").
var reCaseNumber = regexp.MustCompile(`^#?([A-Za-z0-9][A-Za-z0-9._/-]{0,63})$`)

func (e *Engine) cmdCase(ctx context.Context, r *reply, args string) error {
	inc, number, err := e.incidentArg(ctx, r, args)
	if err != nil {
		return err
	}
	m := reCaseNumber.FindStringSubmatch(number)
	if m == nil {
		if number == "" && inc.Details.GatewayCase != nil {
			r.say(KindText, fmt.Sprintf("The gateway's case number for %s is %s.", inc.Ref, inc.Details.GatewayCase.Number)).Incident = inc.Ref
			return nil
		}
		return userErrorf("Give the gateway's case number, one word of letters and digits, for example: /payissue case 01234567.")
	}
	now := r.ev.At
	prev := inc.Details.GatewayCase
	inc.Details.GatewayCase = &incidents.GatewayCase{Number: m[1], By: r.ev.User, At: now.UTC()}
	inc.UpdatedAt = now
	text := "gateway case number " + m[1]
	if prev != nil && prev.Number != m[1] {
		text += " (was " + prev.Number + ")"
	}
	entry := incidents.TimelineEntry{IncidentID: inc.ID, At: now, Actor: r.ev.User, Kind: incidents.EventCase, Text: text,
		Data: map[string]string{"case": m[1]}}
	if err := r.commit(ctx, inc, incidents.Change{Timeline: []incidents.TimelineEntry{entry}}); err != nil {
		return err
	}
	r.add(Message{Conversation: inc.Conversation, Incident: inc.Ref, Kind: KindText,
		Text: fmt.Sprintf("Recorded the gateway's case number for %s: %s. It is in the support packet (/payissue summary).", inc.Ref, m[1])})
	e.confirmElsewhere(r, inc, "Recorded the case number in the thread of %s.")
	return nil
}

// packetOptions: the packet for the desk is written in the bot's time zone
// with the provider's ids from the config.
func (e *Engine) packetOptions() incidents.PacketOptions {
	return incidents.PacketOptions{Location: e.loc, Policy: e.policy}
}

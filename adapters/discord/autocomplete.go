package discord

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
)

// autocompleteBudget keeps the answer inside Discord's 3 s window.
const autocompleteBudget = 2 * time.Second

// autocomplete answers an APPLICATION_COMMAND_AUTOCOMPLETE interaction:
// for the focused "ref" option, the open incidents from the engine
// (bot.RefSource), at most 25 (Discord's limit). Anything else, or an
// error, gets no choices: the person can still type the ref.
func (a *Adapter) autocomplete(d discordgo.ApplicationCommandInteractionData, ev bot.Event) *discordgo.InteractionResponse {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	resp := &discordgo.InteractionResponse{Type: respAutocomplete, Data: &discordgo.InteractionResponseData{Choices: choices}}
	if a.refs == nil || d.Name != CommandName {
		return resp
	}
	focused := focusedOption(d.Options)
	if focused == nil || (focused.Name != "ref" && focused.Name != "into") {
		return resp
	}
	ctx, cancel := context.WithTimeout(context.Background(), autocompleteBudget)
	defer cancel()
	prefix := ""
	if focused.Value != nil {
		prefix = fmt.Sprint(focused.Value)
	}
	refs, err := a.refs.OpenRefs(ctx, ev.Conversation, ev.User, prefix, 25)
	if err != nil {
		a.log.Warn("discord autocomplete", "err", err)
		return resp
	}
	for _, c := range refs {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: c.Label, Value: c.Value})
	}
	resp.Data.Choices = choices
	return resp
}

func focusedOption(opts []*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if o.Focused {
			return o
		}
		if f := focusedOption(o.Options); f != nil {
			return f
		}
	}
	return nil
}

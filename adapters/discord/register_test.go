package discord

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/paybot/paybot/bot"
	"github.com/paybot/paybot/bot/bottest"
)

// The registered commands are a golden file, and every command that
// /payissue help lists is registered as a subcommand.
func TestRegisteredCommands(t *testing.T) {
	cmds := Commands()
	if len(cmds) != 1 || cmds[0].Name != "payissue" {
		t.Fatal(cmds)
	}
	golden(t, "commands", cmds)

	registered := map[string]*discordgo.ApplicationCommandOption{}
	for _, o := range cmds[0].Options {
		registered[o.Name] = o
	}
	h := bottest.New(t, bot.Config{})
	help := h.Command("help")
	var missing []string
	for _, m := range regexp.MustCompile(`(?m)^  /payissue ([a-z]+)`).FindAllStringSubmatch(help[0].Text, -1) {
		if registered[m[1]] == nil {
			missing = append(missing, m[1])
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("commands in /payissue help that Discord cannot run: %s", strings.Join(missing, ", "))
	}
	// Refs are autocompleted and severities are choices.
	for name, o := range registered {
		for _, opt := range o.Options {
			if opt.Name == "ref" && !opt.Autocomplete {
				t.Errorf("%s: ref is not autocompleted", name)
			}
		}
	}
	if sev := registered["severity"]; sev == nil || len(sev.Options[0].Choices) != 4 {
		t.Errorf("severity without its four choices: %+v", sev)
	}
}

// Options arrive in any order; the core gets them in the order it reads.
func TestCommandTextOrder(t *testing.T) {
	opt := func(name string, v any) *discordgo.ApplicationCommandInteractionDataOption {
		typ := discordgo.ApplicationCommandOptionString
		if name == "person" {
			typ = discordgo.ApplicationCommandOptionUser
		}
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: typ, Value: v}
	}
	sub := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) []*discordgo.ApplicationCommandInteractionDataOption {
		return []*discordgo.ApplicationCommandInteractionDataOption{{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}}
	}
	for _, tc := range []struct {
		opts []*discordgo.ApplicationCommandInteractionDataOption
		want string
	}{
		{sub("ack", opt("ref", "PAY-1")), "ack PAY-1"},
		{sub("severity", opt("reason", "one merchant"), opt("ref", "PAY-2"), opt("level", "SEV3")), "severity SEV3 PAY-2 one merchant"},
		{sub("resolve", opt("root_cause", "expired secret"), opt("fix", "rotated :: it"), opt("ref", "PAY-3")), "resolve PAY-3 rotated : it :: expired secret"},
		{sub("update", opt("text", "rolled back"), opt("ref", "PAY-4")), "update PAY-4 rolled back"},
		{sub("join", opt("person", "42"), opt("ref", "PAY-5")), "join PAY-5 <@42>"},
		{sub("case", opt("number", "01234567")), "case 01234567"},
		{sub("learn", opt("answer", "rotate it"), opt("question", "webhook 401?")), "learn webhook 401? :: rotate it"},
		{sub("escalate"), "escalate"},
		{sub("merge", opt("into", "PAY-12"), opt("ref", "PAY-13")), "merge PAY-13 into PAY-12"},
	} {
		if got, form := commandText(tc.opts); got != tc.want || form {
			t.Errorf("%s: got %q (form %v), want %q", tc.opts[0].Name, got, form, tc.want)
		}
	}
	if _, form := commandText(sub("open")); !form {
		t.Errorf("open without a summary should open the form")
	}
}

func TestCommandExample(t *testing.T) {
	a, _ := New(Config{Token: "t"}, Options{})
	if got := a.CommandExample("ack", [2]string{"ref", "PAY-1"}); got != "/payissue ack ref:PAY-1" {
		t.Fatal(got)
	}
}

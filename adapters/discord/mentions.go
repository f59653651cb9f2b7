package discord

import (
	"regexp"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// Mentions (issue 9): no user text may ping anyone. Every message the bot
// sends carries allowed_mentions with parse: [] (no @everyone, @here, role
// or user mention is parsed from the content) plus, explicitly, the users
// the bot mentions on purpose: those written by mention() in the "<@!id>"
// form, which user text cannot carry (scrubMentions).

var deliberate = regexp.MustCompile(`<@!([0-9]+)>`)

// allowed returns the allowed_mentions for content: nothing parsed, and the
// deliberately mentioned users (at most 100, Discord's limit).
func allowed(content string) *discordgo.MessageAllowedMentions {
	am := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
	seen := map[string]bool{}
	for _, m := range deliberate.FindAllStringSubmatch(content, -1) {
		if !seen[m[1]] && len(am.Users) < 100 {
			seen[m[1]] = true
			am.Users = append(am.Users, m[1])
		}
	}
	return am
}

// scrubMentions rewrites a user's "<@!id>" to "<@id>" so inbound text can
// never pass for a deliberate mention.
func scrubMentions(s string) string {
	if !strings.Contains(s, "<@!") {
		return s
	}
	return strings.ReplaceAll(s, "<@!", "<@")
}

// noEveryone puts a zero-width joiner after the '@' of @everyone and @here,
// so even a client that ignored allowed_mentions would not ping.
func noEveryone(s string) string {
	if !strings.Contains(s, "@everyone") && !strings.Contains(s, "@here") {
		return s
	}
	return everyoneNeutraliser.Replace(s)
}

var everyoneNeutraliser = strings.NewReplacer("@everyone", "@\u200deveryone", "@here", "@\u200dhere")

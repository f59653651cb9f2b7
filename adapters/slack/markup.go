package slack

import (
	"regexp"
	"strings"
)

// Text hygiene at the edge (issue 9). Inbound, Slack's markup becomes the
// plain text a person sees, so the core stores and searches words, not
// brackets; outbound, user text is escaped so it can never become a live
// @channel, @here or user mention.

// markup matches one Slack control sequence: <url|label>, <url>,
// <mailto:a@b|a@b>, <@U123|name>, <#C123|general>, <!here>,
// <!subteam^S123|@team>, <!date^…|fallback>.
var markup = regexp.MustCompile(`<([^<>|]*)(?:\|([^<>]*))?>`)

// plainText turns Slack message text (entity-escaped, with control
// sequences) into plain text: links become "label (url)" or the url, mail
// links their address, user and channel references "@name" and "#name"
// (or "@U123" / "#C123" without a label), special mentions plain words
// ("@channel", "@here", "@team"), dates their fallback text. Then &amp;,
// &lt; and &gt; are unescaped, and a '<' the person typed before '@', '#'
// or '!' gets a word joiner (U+2060), so the text can never turn back into
// a control sequence when it is echoed.
func plainText(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = markup.ReplaceAllStringFunc(s, func(m string) string {
			sub := markup.FindStringSubmatch(m)
			target, label := sub[1], sub[2]
			switch {
			case strings.HasPrefix(target, "@"):
				if label != "" {
					return "@" + strings.TrimPrefix(label, "@")
				}
				return target
			case strings.HasPrefix(target, "#"):
				if label != "" {
					return "#" + strings.TrimPrefix(label, "#")
				}
				return target
			case strings.HasPrefix(target, "!"):
				word := strings.TrimPrefix(target, "!")
				if label != "" {
					if strings.HasPrefix(word, "subteam^") || strings.HasPrefix(word, "date^") {
						return label
					}
				}
				if i := strings.IndexAny(word, "^"); i >= 0 {
					word = word[:i]
				}
				return "@" + word
			case strings.HasPrefix(target, "mailto:"):
				addr := strings.TrimPrefix(target, "mailto:")
				if label == "" || label == addr {
					return addr
				}
				return label + " (" + addr + ")"
			default: // a link
				if label == "" || label == target {
					return target
				}
				return label + " (" + target + ")"
			}
		})
	}
	return unescapeTyped(s)
}

// typedUnescaper undoes Slack's escaping of what the person typed; a '<'
// before '@', '#' or '!' keeps a word joiner after it.
var typedUnescaper = strings.NewReplacer(
	"&lt;@", "<\u2060@", "&lt;#", "<\u2060#", "&lt;!", "<\u2060!",
	"&lt;", "<", "&gt;", ">", "&amp;", "&")

func unescapeTyped(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	return typedUnescaper.Replace(s)
}

// neutralise puts a word joiner after a '<' that starts what could be a
// control sequence, for text Slack sends unescaped (modal inputs, option
// values, user names).
func neutralise(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	return neutraliser.Replace(s)
}

var neutraliser = strings.NewReplacer("<@", "<\u2060@", "<#", "<\u2060#", "<!", "<\u2060!")

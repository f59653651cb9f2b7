package slack

import (
	"strings"
	"testing"
)

func TestPlainText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"see <https://status.example.com>", "see https://status.example.com"},
		{"see <https://status.example.com|the status page>", "see the status page (https://status.example.com)"},
		{"mail <mailto:ops@example.com|ops@example.com>", "mail ops@example.com"},
		{"mail <mailto:ops@example.com|Ops>", "mail Ops (ops@example.com)"},
		{"ping <@U123|ana> and <@U456>", "ping @ana and @U456"},
		{"in <#C123|payments> and <#C456>", "in #payments and #C456"},
		{"<!channel> <!here> <!everyone>", "@channel @here @everyone"},
		{"<!subteam^S123|@payments-oncall> help", "@payments-oncall help"},
		{"at <!date^1392734382^{date}|Feb 18, 2014>", "at Feb 18, 2014"},
		{"AT&amp;T 5 &lt; 6 &gt; 4", "AT&T 5 < 6 > 4"},
		// typed by the person: Slack escapes it, and it must not turn back
		// into a control sequence
		{"&lt;!channel&gt; &lt;@U999&gt; &lt;#C1&gt;", "<\u2060!channel> <\u2060@U999> <\u2060#C1>"},
	} {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// slackEscape is what Slack does to typed text before sending it.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// FuzzNoLiveMention: whatever a person types, what the bot echoes in mrkdwn
// holds no '<' at all (so no <!channel>, <!here>, <@U…>, <#C…> or link), and
// modal input (sent unescaped) cannot form a control sequence either.
func FuzzNoLiveMention(f *testing.F) {
	for _, s := range []string{"<!channel>", "<@U123>", "<https://x|y>", "&lt;!here&gt;", "a & b", "<<!channel>>", "<!subteam^S1|@x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		out := escapeText(plainText(slackEscape.Replace(typed)))
		if strings.Contains(out, "<") {
			t.Fatalf("typed %q went out as %q", typed, out)
		}
		modal := escapeText(neutralise(typed))
		if controlSeq.MatchString(modal) {
			t.Fatalf("modal input %q went out as %q", typed, modal)
		}
	})
}

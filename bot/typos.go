package bot

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/paybot/paybot/incidents"
)

// plannedCommands are command words reserved for features that are not
// registered in every build yet. They are never taken as the first word of
// an incident title: "/payissue update the card is still failing" is an
// update, not a new incident, even before the update command exists.
var plannedCommands = []string{"update", "lead", "join"}

// unknownCommand handles "/payissue <word> …" when <word> is no registered
// command. It opens an incident only when that is surely what was meant:
//
//   - inside an incident thread, never (a new incident needs
//     /payissue open <summary>);
//   - a first word that is a near miss of a command ("stauts", "esclate")
//     or a planned command ("update") is answered, never opened;
//   - a lone command-looking word ("outage", "foo") is answered, never
//     opened: a title needs a few words;
//   - anything else outside a thread is the summary of a new incident.
//
// The answers are private to the sender and echo at most the first word.
func (e *Engine) unknownCommand(ctx context.Context, r *reply, text string) error {
	summary := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "/payissue"))
	words := strings.Fields(summary)
	if len(words) == 0 {
		return e.cmdHelp(ctx, r, "")
	}
	first := strings.ToLower(words[0])
	inThread := false
	if _, err := e.threadIncident(ctx, r.ev.Conversation); err == nil {
		inThread = true
	} else if !errors.Is(err, incidents.ErrNotFound) {
		return err
	}
	openHint := "To open a new incident, use /payissue open <summary>."
	if !inThread {
		openHint = "To open an incident with that title, use /payissue open <summary>."
	}
	if slices.Contains(plannedCommands, first) {
		return userErrorf("/payissue %s is not available in this version, and nothing was opened. Post it as a message in the incident's thread; /payissue help lists the commands. %s", first, openHint)
	}
	if guess := guessCommand(first, e.commandWords(), len(words) == 1); guess != "" {
		return userErrorf("Did you mean /payissue %s? Nothing was opened. %s", e.canonical(guess), openHint)
	}
	if inThread {
		return userErrorf("%q is not a command, and this thread already has its incident. /payissue help lists the commands. %s", clipWord(words[0]), openHint)
	}
	if len(words) == 1 && isLetters(first) {
		return userErrorf("%q is not a command. To open an incident, describe it in a few words, for example /payissue card payments failing at checkout, or use /payissue open <summary>.", clipWord(words[0]))
	}
	return e.openIncident(ctx, r, summary)
}

// commandWords lists the names and aliases a first word is matched against:
// the registered commands and the planned ones.
func (e *Engine) commandWords() []string {
	var out []string
	for name := range e.commands {
		out = append(out, name)
	}
	for _, p := range plannedCommands {
		if _, ok := e.commands[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// canonical maps an alias to its command's name.
func (e *Engine) canonical(word string) string {
	if c, ok := e.commands[word]; ok {
		return c.name
	}
	return word
}

func clipWord(w string) string {
	if r := []rune(w); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return w
}

// isWord reports whether w is made of ASCII letters only, the shape of a
// command name.
func isLetters(w string) bool {
	if w == "" {
		return false
	}
	for _, c := range w {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// guessCommand returns the command that word (lower case) most likely
// meant, or "". oneWord says the word is all the text there is; a word
// followed by more words must be a closer miss, because it is more likely
// the start of an incident title.
//
// A word is a near miss of a command name when
//   - it has 6 letters or more and a Damerau-Levenshtein distance of at
//     most 2 ("stauts", "esclate", "sevrity");
//   - it has 4 or 5 letters and is one letter dropped, added or swapped
//     ("staus", "lsit", "hlep"); a single changed letter is how other
//     words are spelt ("lost" for list, "held" for help), so it does not
//     count;
//   - it is the command with an ending ("resolved", "updates"), or a
//     prefix of at least 3 letters of it ("stat", "esc"), and it is the
//     only word.
//
// Short command names (ack) take only the prefix rule, or "hack attempt"
// would ask about ack. Words with digits or punctuation are never guesses.
func guessCommand(word string, names []string, oneWord bool) string {
	if !isLetters(word) {
		return ""
	}
	best, bestDist := "", 99
	for _, name := range names {
		if word == name {
			return name
		}
		d := 99
		inflected := len(name) >= 4 && strings.HasPrefix(word, name)
		if inflected && oneWord {
			d = len(word) - len(name)
		}
		if len(word) >= 3 && strings.HasPrefix(name, word) && oneWord {
			d = len(name) - len(word)
		}
		if !inflected && len(word) >= 4 && len(name) >= 4 {
			dist := incidents.EditDistance(word, name)
			if (len(word) >= 6 && dist <= 2) || (dist == 1 && !oneSubstitution(word, name)) {
				d = min(d, dist)
			}
		}
		if d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// oneSubstitution reports whether a and b differ in exactly one letter at
// the same position.
func oneSubstitution(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	diff := 0
	for i := 0; i < len(a); i++ {
		if a[i] != b[i] {
			diff++
		}
	}
	return diff == 1
}

package kb

import (
	"context"
	"strings"
	"unicode"

	"github.com/paybot/paybot/incidents/paycode"
)

// Code normalisation is paycode's (incidents/paycode), the one vocabulary
// shared with the intake: every code, at index time and at query time, is
// reduced to paycode.Canonical, so the spellings people type meet the
// spellings sources use (05 = 5 = 005, R01 = r1 = R-01, E0054 = e-0054 =
// E_0054, do_not_honor = "do not honor", INSTRUMENT_DECLINED =
// instrument_declined).
//
// Besides the bare code, each document also gets a qualified code
// "<system>:<code>" (system = the id prefix, e.g. "iso8583_1987_field39:51",
// "3ds-transstatusreason:04", "ach-return:r01", or the provider for
// articles), so a question that names its code system ("DE39 59",
// "transStatusReason 6", "action code 100") prefers that system's record.

// canonCode returns the canonical form of s, or "" when s cannot be a code.
func canonCode(s string) string { return paycode.Canonical(s) }

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// codeSystem returns the qualifier of a document: the id prefix before the
// first ':' for ids shaped like "system:...:code", else the provider.
func codeSystem(d Doc) string {
	if i := strings.IndexByte(d.ID, ':'); i > 0 {
		return strings.ToLower(d.ID[:i])
	}
	return strings.ToLower(strings.TrimSpace(d.Provider))
}

// docCodes extracts the canonical codes of a document for the codes field:
// the codes listed in the document, the code part of a "system:code" id, and
// code-looking tokens of the title (snake_case / SCREAMING_SNAKE words and
// letter+number codes such as R01). Each code is also emitted qualified by
// the document's system.
func docCodes(d Doc) []string {
	var raw []string
	raw = append(raw, d.Codes...)
	if i := strings.LastIndexByte(d.ID, ':'); i > 0 && i < len(d.ID)-1 {
		raw = append(raw, d.ID[i+1:])
	}
	for _, tok := range splitRawTokens(d.Title) {
		if (looksLikeCode(tok) || upperPrefixed(tok)) && !notCodeNumbers[tok] {
			raw = append(raw, tok)
		}
	}
	sys := codeSystem(d)
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, r := range raw {
		c := canonCode(r)
		if c == "" {
			continue
		}
		add(c)
		if sys != "" {
			add(sys + ":" + c)
		}
	}
	return out
}

// upperPrefixed reports whether a title token is written as a code of an
// upper-case letter prefix and a short number (SEPA's AM04 and MD06, GW-31,
// AB7), which looksLikeCode leaves to the longer numbers (E0054) because
// people type such words in lower case too ("v2", "md5"). A code system's
// own name (DE39, ISO8583) is not a code.
func upperPrefixed(tok string) bool {
	if !paycode.IsPrefixed(tok) || systemNames[strings.ToLower(tok)] {
		return false
	}
	for i := 0; i < len(tok) && !(tok[i] >= '0' && tok[i] <= '9'); i++ {
		if tok[i] >= 'a' && tok[i] <= 'z' {
			return false
		}
	}
	return true
}

// systemNames are the one-word names of code systems (systemPhrases).
var systemNames = func() map[string]bool {
	m := map[string]bool{}
	for _, sp := range systemPhrases {
		if !strings.Contains(sp.phrase, " ") {
			m[sp.phrase] = true
		}
	}
	return m
}()

// notCodeNumbers are numbers that name a standard or its year, never a
// code ("ISO 8583 action code (1993) 021").
var notCodeNumbers = map[string]bool{"8583": true, "1987": true, "1993": true, "2003": true, "4217": true}

// looksLikeCode reports whether a raw token, as typed, is written like a
// code: snake_case or kebab with digits, SCREAMING words of 4+ letters, a
// letter followed by digits (R01, C02), or a number of 1-3 digits.
func looksLikeCode(tok string) bool {
	if tok == "" {
		return false
	}
	if strings.Contains(tok, "_") {
		return canonCode(tok) != ""
	}
	l := strings.ToLower(tok)
	if len(l) >= 2 && len(l) <= 4 && isLetter(l[0]) {
		rest := strings.TrimPrefix(l[1:], "-")
		if isDigits(rest) && len(rest) <= 2 {
			return true
		}
	}
	// a letter prefix and a number of 3+ digits: E0054, e-0054, AB123
	if paycode.IsPrefixed(l) {
		if i := strings.IndexFunc(l, func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 && len(l)-i >= 3 && canonCode(l) != "" {
			return true
		}
	}
	// numbers up to paycode.MaxDigits: ISO 8583 (05), HTTP (429),
	// Braintree (2046), Checkout.com (20051)
	if isDigits(tok) && len(tok) <= paycode.MaxDigits {
		return true
	}
	if len(tok) >= 4 && strings.ToUpper(tok) == tok && strings.ToLower(tok) != tok {
		for i := 0; i < len(tok); i++ {
			if !(tok[i] >= 'A' && tok[i] <= 'Z') {
				return false
			}
		}
		return true
	}
	return false
}

// splitRawTokens splits text into tokens of letters, digits, '_' and inner
// '-' (so "R-01" and "do_not_honor" survive), keeping the original case.
// An apostrophe inside a word is kept ("what's").
func splitRawTokens(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			t := strings.Trim(string(cur), "-_'")
			if t != "" {
				out = append(out, t)
			}
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'
		if (r == '.' || r == ',') && len(cur) > 0 && unicode.IsDigit(cur[len(cur)-1]) && i+1 < len(rs) && unicode.IsDigit(rs[i+1]) {
			ok = true // 0.30, 1,000: an amount, kept whole
		}
		if (r == '\'' || r == '\u2019') && len(cur) > 0 && i+1 < len(rs) && unicode.IsLetter(rs[i+1]) {
			ok, r = true, '\''
		}
		if ok {
			cur = append(cur, r)
		} else {
			flush()
		}
	}
	flush()
	return out
}

// questionTokens splits a question into raw tokens as the search reads
// them: ACH codes typed with a space joined ("r 01"), at most
// maxQueryTokens.
func questionTokens(q string) []string {
	raw := joinSpacedACHCodes(splitGluedContext(splitRawTokens(q)))
	if len(raw) > maxQueryTokens {
		raw = raw[:maxQueryTokens]
	}
	return raw
}

// gluedContext are the words people glue to a response code ("rc05",
// "RC51", "resp05"): the token is that word and the code.
var gluedContext = []string{"rc", "resp", "de39"}

// splitGluedContext splits a token of a context word glued to a code of
// one to three digits into the two.
func splitGluedContext(toks []string) []string {
	for i := 0; i < len(toks); i++ {
		low := strings.ToLower(toks[i])
		for _, w := range gluedContext {
			rest := strings.TrimPrefix(low, w)
			if rest == low || len(rest) < 1 || len(rest) > 3 || !isDigits(rest) {
				continue
			}
			toks = append(toks[:i+1], toks[i:]...)
			toks[i], toks[i+1] = toks[i][:len(w)], rest
			i++
			break
		}
	}
	return toks
}

// KnownCodes returns the canonical keys of the codes in text that the
// index's documents hold as codes and that are written like codes: letters
// and digits (E0054, SEPA's AM04, a gateway's GW-31) or snake case
// (do_not_honor), in any spelling. Bare numbers and plain words are left to
// the context that makes them codes (incidents.ExtractCodes). The bot uses
// it to tell a thread message that names a code the knowledge base knows
// from a remark.
func (ix *Index) KnownCodes(ctx context.Context, text string) []string {
	if ix.closed.Load() {
		return nil
	}
	g := ix.cur.Load()
	rs := newReaderStats(ctx, g.idx)
	defer rs.close()
	var out []string
	seen := map[string]bool{}
	for _, tok := range questionTokens(text) {
		low := strings.ToLower(tok)
		if !paycode.IsPrefixed(low) && !strings.Contains(low, "_") || systemNames[low] {
			continue
		}
		if c := canonCode(low); c != "" && !seen[c] && rs.knownCode(c) {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

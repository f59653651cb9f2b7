package postgres

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/paybot/paybot/incidents"
)

// Reading a DSN without ever showing its password.
//
// A parser's error quotes the text it failed on, and a password that holds
// a character with a meaning in a URL ('/', '@') moves the parser's idea
// of where the password ends: net/url said `invalid port
// ":Xk9vLongSecretPart1" after host`. So no parser error about the dsn is
// shown as it is. When the dsn fails to parse, the same parse is run on a
// copy whose password (the URL's user:password and every password= or
// sslpassword= value) is replaced by a mask, and that error is shown: it
// cannot hold what is not there. A URL in which an '@' follows the host
// (the sign of a password holding '/', which ends the user:password part
// for libpq and pgx) is refused before anything is parsed, since the parts
// it would be read as (a host, a port, a database name) are pieces of the
// password. Every message is finally scrubbed of the password's text.

// dsnMask replaces a password in what is shown.
const dsnMask = "xxxxx"

// encodeHint says how to write a password that holds URL characters.
const encodeHint = "write these characters of a user name or password percent-encoded: / as %2F, @ as %40, : as %3A, ? as %3F, # as %23, % as %25, a space as %20"

// schemeRE matches a URL's scheme; key=value strings have none.
var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`)

// CheckDSN reports whether dsn is a database URL Open can use (a
// postgres:// or postgresql:// URL, or a key=value string, that pgx
// parses), without connecting. Errors: ErrInvalid, with a message that
// never holds the password.
func CheckDSN(dsn string) error {
	_, err := parseDSN(dsn)
	return err
}

// parseDSN parses dsn into the main pool's config: pool_max_conns, when
// given, sizes it, else defaultMaxConns. Errors: ErrInvalid, never holding
// the password.
func parseDSN(dsn string) (*pgxpool.Config, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, invalidDSN(dsn, "it is empty")
	}
	if m := schemeRE.FindStringSubmatch(dsn); m != nil {
		if m[1] != "postgres" && m[1] != "postgresql" {
			// The scheme is letters, digits and + . - only: no secret.
			return nil, invalidDSN(dsn, fmt.Sprintf("the scheme %q is not PostgreSQL's: give a postgres:// URL, or key=value pairs (host=… dbname=…)", m[1]))
		}
		if strandedAt(dsn[len(m[0]):]) {
			return nil, invalidDSN(dsn, "an '@' follows the host, so the user name or password holds a '/' or an '@' (or a parameter an '@'): "+encodeHint+" (an '@' in a parameter as %40 too)")
		}
		if !numericPorts(dsn[len(m[0]):]) {
			// Not quoted: with no '@', a "port" may be a password
			// (postgres://user:secret/…).
			return nil, invalidDSN(dsn, "the port is not a number (a user name and password end with an '@' before the host; "+encodeHint+")")
		}
	}
	// pgx.ParseConfig tells whether pool_max_conns was given (it is a
	// runtime parameter there); pgxpool.ParseConfig would default it to
	// the number of CPUs.
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, parseFailure(dsn)
	}
	_, sized := cc.RuntimeParams["pool_max_conns"]
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, parseFailure(dsn)
	}
	if !sized {
		cfg.MaxConns = defaultMaxConns
	}
	return cfg, nil
}

// strandedAt reports whether an '@' follows the user:password part of a
// URL (p is what follows "scheme://"). pgx, like libpq, ends that part at
// the first '@' unless a '/' comes first; an '@' after it, in the host,
// port or database name, is a password's '/' or '@' read as the end of
// the host. In the query an '@' may belong to a value (user=ana@example),
// but not when a host and a port or a path follow it.
func strandedAt(p string) bool {
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		p = p[i+1:]
	}
	q := strings.IndexByte(p, '?')
	if q < 0 {
		return strings.Contains(p, "@")
	}
	if strings.Contains(p[:q], "@") {
		return true
	}
	for _, pair := range strings.Split(p[q+1:], "&") {
		key, val, _ := strings.Cut(pair, "=")
		if strings.Contains(key, "@") {
			return true
		}
		if j := strings.LastIndexByte(val, '@'); j >= 0 && strings.ContainsAny(val[j+1:], ":/") {
			return true
		}
	}
	return false
}

// numericPorts reports whether every port of a URL's host list (p follows
// "scheme://") is digits or empty, read as pgx reads them.
func numericPorts(p string) bool {
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		p = p[i+1:]
	}
	if i := strings.IndexAny(p, "/?"); i >= 0 {
		p = p[:i]
	}
	for _, h := range strings.Split(p, ",") {
		if strings.HasPrefix(h, "[") {
			if end := strings.IndexByte(h, ']'); end >= 0 {
				h = h[end+1:]
			}
		}
		_, port, _ := strings.Cut(h, ":")
		if strings.Trim(port, "0123456789") != "" {
			return false
		}
	}
	return true
}

// parseFailure is the error for a dsn pgx could not parse: pgx's error on
// the masked dsn, or, when the masked one parses, the user name or
// password is what failed.
func parseFailure(dsn string) error {
	masked, ok := maskDSN(dsn)
	if !ok {
		return invalidDSN(dsn, "it is neither a postgres:// URL nor key=value pairs that can be read (a value that holds a space, a quote or a backslash is written in single quotes, with \\' and \\\\ inside)")
	}
	if _, err := pgxpool.ParseConfig(masked); err != nil {
		return invalidDSN(dsn, parseReason(err))
	}
	return invalidDSN(dsn, "the user name or password cannot be read (a '%' must start a percent-encoded character): "+encodeHint)
}

// parseReason is pgx's reason for refusing a dsn, without the dsn, which
// pgx quotes with its passwords masked as far as pgx can tell them.
func parseReason(err error) string {
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		c := *pce
		c.ConnString = ""
		return strings.TrimPrefix(c.Error(), "cannot parse ``: ")
	}
	return err.Error()
}

// invalidDSN is ErrInvalid with reason, scrubbed of dsn's passwords.
func invalidDSN(dsn, reason string) error {
	return fmt.Errorf("%w: postgres dsn: %s", incidents.ErrInvalid, scrubDSN(reason, dsn))
}

// maskDSN returns dsn with every password replaced by dsnMask, and false
// when dsn cannot be split into its parts with certainty.
func maskDSN(dsn string) (string, bool) {
	if m := schemeRE.FindStringSubmatch(dsn); m != nil {
		return maskURL(m[0], dsn[len(m[0]):]), true
	}
	pairs, ok := splitKeywordValues(dsn)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.key + "=")
		if secretKey(p.key) {
			b.WriteString("'" + dsnMask + "'")
		} else {
			b.WriteString(p.raw)
		}
	}
	return b.String(), true
}

// maskURL masks the user:password part of a URL (up to its last '@', so
// that a password holding '@' is masked whole) and every password query
// value.
func maskURL(scheme, p string) string {
	var b strings.Builder
	b.WriteString(scheme)
	rest := p
	if at := userinfoEnd(p); at >= 0 {
		user, _, hasPassword := strings.Cut(p[:at], ":")
		b.WriteString(user)
		if hasPassword {
			b.WriteString(":" + dsnMask)
		}
		b.WriteByte('@')
		rest = p[at+1:]
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		b.WriteString(rest)
		return b.String()
	}
	b.WriteString(rest[:q+1])
	for i, pair := range strings.Split(rest[q+1:], "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		key, _, hasValue := strings.Cut(pair, "=")
		if hasValue && secretQueryKey(key) {
			pair = key + "=" + dsnMask
		}
		b.WriteString(pair)
	}
	return b.String()
}

// userinfoEnd is the index of the '@' that ends a URL's user:password
// part (p follows "scheme://"), or -1: the last '@' before the query, or
// the first one when a '/' precedes it (a user name of pgx's reading).
func userinfoEnd(p string) int {
	head := p
	if q := strings.IndexByte(p, '?'); q >= 0 {
		head = p[:q]
	}
	if at := strings.LastIndexByte(head, '@'); at >= 0 {
		return at
	}
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		return i
	}
	return -1
}

// secretKey reports whether a key=value keyword names a secret.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return k == "password" || k == "sslpassword"
}

// secretQueryKey is secretKey for a URL's query key as written: percent
// escapes are decoded, and a key that does not decode is taken as secret.
func secretQueryKey(raw string) bool {
	k, err := url.PathUnescape(raw)
	return err != nil || secretKey(k)
}

// kvPair is one keyword=value of a DSN; raw is the value as written.
type kvPair struct{ key, raw, value string }

// splitKeywordValues splits a key=value DSN the way pgx does (libpq's
// rules: spaces around '=' allowed, a value in single quotes may hold
// spaces, a backslash escapes the next character). ok is false where pgx
// would fail to split it.
func splitKeywordValues(s string) (pairs []kvPair, ok bool) {
	const spaces = " \t\n\r\v\f"
	s = strings.TrimLeft(s, spaces)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, false
		}
		key := strings.Trim(s[:eq], spaces)
		if key == "" || strings.ContainsAny(key, spaces) {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], spaces)
		var raw string
		if strings.HasPrefix(s, "'") {
			end := 1
			for ; end < len(s) && s[end] != '\''; end++ {
				if s[end] == '\\' {
					end++
				}
			}
			if end >= len(s) {
				return nil, false
			}
			raw, s = s[:end+1], s[end+1:]
		} else {
			end := 0
			for ; end < len(s) && !strings.ContainsRune(spaces, rune(s[end])); end++ {
				if s[end] == '\\' {
					end++
				}
			}
			end = min(end, len(s))
			raw, s = s[:end], s[end:]
		}
		pairs = append(pairs, kvPair{key: key, raw: raw, value: unescapeValue(raw)})
		s = strings.TrimLeft(s, spaces)
	}
	return pairs, true
}

// unescapeValue removes a value's quotes and backslash escapes.
func unescapeValue(raw string) string {
	if len(raw) >= 2 && raw[0] == '\'' && raw[len(raw)-1] == '\'' {
		raw = raw[1 : len(raw)-1]
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] == '\\' && i+1 < len(raw) {
			i++
		}
		b.WriteByte(raw[i])
	}
	return b.String()
}

// minSecretShown is the shortest text scrubDSN removes: shorter pieces of
// a password would blank out ordinary words of the message and tell
// nothing worth guessing.
const minSecretShown = 3

// dsnSecrets returns the passwords of dsn in every form a message may
// quote them: as written, percent-decoded or unescaped, and each piece of
// a password cut at the characters that end a part of a URL.
func dsnSecrets(dsn string) []string {
	var raw []string
	if m := schemeRE.FindStringSubmatch(dsn); m != nil {
		p := dsn[len(m[0]):]
		if at := userinfoEnd(p); at >= 0 {
			if _, pw, ok := strings.Cut(p[:at], ":"); ok {
				raw = append(raw, pw)
			}
		}
		if q := strings.IndexByte(p, '?'); q >= 0 {
			for _, pair := range strings.Split(p[q+1:], "&") {
				if key, val, ok := strings.Cut(pair, "="); ok && secretQueryKey(key) {
					raw = append(raw, val)
				}
			}
		}
	} else if pairs, ok := splitKeywordValues(dsn); ok {
		for _, p := range pairs {
			if secretKey(p.key) {
				raw = append(raw, p.raw, p.value)
			}
		}
	} else {
		// Not splittable: whatever follows a password keyword, up to
		// the end, is taken as secret.
		low := strings.ToLower(dsn)
		for _, k := range []string{"password", "sslpassword"} {
			for i := strings.Index(low, k); i >= 0; {
				rest := strings.TrimLeft(dsn[i+len(k):], " \t=")
				raw = append(raw, rest, strings.Trim(rest, "'"))
				for _, w := range strings.Fields(rest) {
					raw = append(raw, strings.Trim(w, "'"))
				}
				next := strings.Index(low[i+len(k):], k)
				if next < 0 {
					break
				}
				i += len(k) + next
			}
		}
	}
	var out []string
	for _, s := range raw {
		out = append(out, s)
		if d, err := url.PathUnescape(s); err == nil {
			out = append(out, d)
		}
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("/?#@:&=%' ", r) })...)
	}
	return out
}

// scrubDSN removes dsn's passwords from msg, longest first (a piece of a
// password must not leave the rest of it standing).
func scrubDSN(msg, dsn string) string {
	secrets := dsnSecrets(dsn)
	for range secrets {
		longest := -1
		for i, s := range secrets {
			if len(s) >= minSecretShown && (longest < 0 || len(s) > len(secrets[longest])) {
				longest = i
			}
		}
		if longest < 0 {
			break
		}
		msg = strings.ReplaceAll(msg, secrets[longest], dsnMask)
		secrets[longest] = ""
	}
	return msg
}

// safeError is an error whose message is scrubbed of a dsn's passwords;
// errors.Is and errors.As still see the error it wraps.
type safeError struct {
	msg string
	err error
}

func (e *safeError) Error() string { return e.msg }
func (e *safeError) Unwrap() error { return e.err }

// scrubbed wraps err so that its message holds none of dsn's passwords.
func scrubbed(err error, dsn string) error {
	if err == nil {
		return nil
	}
	return &safeError{msg: scrubDSN(err.Error(), dsn), err: err}
}

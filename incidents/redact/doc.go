// Package redact masks card numbers, CVV/CVC values and secrets in chat
// text. Every inbound text passes through Redact before it is stored, logged,
// indexed or echoed (PCI DSS 4.0 req. 3.4.1: show at most the last four).
//
// It is one hand-written left-to-right scan with no regular expressions and
// no allocation when nothing is found. It scans a normalised view of the text
// (normalize.go: any script's decimal digits, fullwidth ASCII, zero-width and
// format characters dropped, Unicode spaces and dashes, %XX URL escapes) and
// masks the original spans, so what the person wrote is kept around the
// masks.
//
// A card number is Luhn-valid and in a real brand's IIN range and length;
// a context word never makes a card of anything else (so a millisecond
// timestamp after "card_declined" stays). It may be written plain, grouped
// (a first group of four, groups of 4–6, a last group of 1–9: 4-4-4-4,
// 4-6-5, 4-6-9, …) with runs of up to three separators of any kind, mixed
// (space, tab, dash, dot, slash, underscore, comma, colon, '+', brackets,
// quotes, line breaks), or cut in two by a line break. In a run of five or
// more groups of four joined by one separator (two cards back to back, a
// card then its expiry and CVC, a long reference), every four consecutive
// groups that make a card are masked, left to right. An expiry date and a
// three- or four-digit code typed right after a card are masked with it
// (cardTail). Left alone on
// purpose: IBAN-shaped strings, decimal fractions, '+'-prefixed phone
// numbers of up to 15 digits and the tail of a longer grouped number. An unbroken run glued to letters
// ("ORD4242…") is still checked, since a masked order id costs less than a
// leaked PAN; a grouped one needs clean edges.
//
// CVVs follow their words ("cvv", "cvc2", "security code", "the 3 digits on
// the back are"). Secrets are recognised by their shape (Stripe, Slack, AWS,
// Google, GitHub, GitLab, Square, SendGrid, PayPal/Braintree, Adyen, PEM
// private keys), by the name before them in key=value, JSON, YAML or header
// form (password, secret, api_key, client_secret, token, access_token,
// private_key, aws_secret_access_key, Azure AccountKey, …), as HTTP
// authorization credentials of any scheme, curl's -u, and URL credentials
// and query parameters. They become "[REDACTED <type>]". Stripe publishable
// keys (pk_live_) are public by design and stay.
//
// Redact is idempotent: a second pass finds nothing (the property test and
// the fuzz target check it, with an oracle that sees the normalised view and
// every grouped form).
//
// The package imports only the standard library.
package redact

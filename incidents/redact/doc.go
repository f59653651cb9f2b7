// Package redact masks card numbers, CVV/CVC values and API secrets in chat
// text. Every inbound text passes through Redact before it is stored, logged,
// indexed or echoed (PCI DSS 4.0 req. 3.4.1: show at most the last four).
//
// It is one hand-written left-to-right scan with no regular expressions and
// no allocation when nothing is found. Card numbers are Luhn-valid 13–19 digit
// runs in a real brand's IIN range and length, plain or grouped with a single
// space, dash or no-break space (first group of four). A context word such as
// "card", "pan" or "cc" just before a Luhn-valid 13–19 digit number makes it a
// card whatever its range. Valid IBANs (mod-97 and country length), decimal
// fractions and '+'-prefixed phone numbers of up to 15 digits are left alone,
// and so is a space-grouped run of five or more four-digit groups (a 20+ digit
// number) unless a context word is near. An unbroken run glued to letters
// ("ORD4242…") is still checked, since a masked order id costs less than a
// leaked PAN; a grouped one needs clean edges. Secrets (Stripe, Slack,
// PayPal/Braintree, Adyen, and values after client_secret, secret,
// private_key, api_key, Bearer) become "[REDACTED <type>]"; Redact is
// idempotent.
//
// The package imports only the standard library.
package redact

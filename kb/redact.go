package kb

import (
	"strings"

	"github.com/paybot/paybot/incidents/redact"
)

// RedactDoc masks card numbers, CVVs and secrets in every text field of d
// (id, title, body, tags, codes, provider, category, url, source, license)
// and replaces invalid UTF-8, before a document is stored, indexed or
// printed: an imported community answer or a learned one can hold a pasted
// card number or an sk_live_ key just like a chat message. It returns the
// labels of what it masked. Calling it twice changes nothing more.
func RedactDoc(d *Doc) (labels []string) {
	clean := func(s string) string {
		if s == "" {
			return s
		}
		out, fs := redact.Redact(strings.ToValidUTF8(s, "\uFFFD"))
		for _, f := range fs {
			labels = append(labels, f.Label)
		}
		return out
	}
	for _, p := range []*string{&d.ID, &d.Title, &d.Body, &d.Provider, &d.Category, &d.URL, &d.Source, &d.License} {
		*p = clean(*p)
	}
	for i := range d.Tags {
		d.Tags[i] = clean(d.Tags[i])
	}
	for i := range d.Codes {
		d.Codes[i] = clean(d.Codes[i])
	}
	return labels
}

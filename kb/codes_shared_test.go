package kb

import (
	"testing"

	"github.com/paybot/paybot/incidents"
)

// TestOneCodeVocabulary: a code the intake extracts from a message has the
// same key as that code in a document's codes field, whatever the two
// spellings (both use incidents/paycode).
func TestOneCodeVocabulary(t *testing.T) {
	for text, docCode := range map[string]string{
		"issuer response code 5":            "05",
		"DE39=05":                           "5",
		"ACH return r1":                     "R01",
		"stripe says do not honour":         "DO-NOT-HONOR",
		"PayPal INSTRUMENT_DECLINED":        "instrument declined",
		"acquirer sent e-0054":              "E_0054",
		"Braintree processor response 2046": "2046",
		"HTTP 429 from the API":             "429",
	} {
		codes := incidents.ExtractCodes(text)
		if len(codes) == 0 {
			t.Errorf("%q: no code extracted", text)
			continue
		}
		dc := docCodes(Doc{ID: "x", Codes: []string{docCode}})
		if !containsString(dc, codes[0].Key()) {
			t.Errorf("%q: intake key %q not among the document's codes %v", text, codes[0].Key(), dc)
		}
	}
}

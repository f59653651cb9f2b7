package incidents

import (
	"testing"
	"time"
)

func TestFindDuplicates(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	mk := func(ref string, st Status, at time.Time, prov string, codes []Code, txns ...string) *Incident {
		inc := New(ref, User{ID: "u"}, Conversation{Channel: "C"}, at)
		inc.Ref, inc.Status = ref, st
		inc.Details.Provider, inc.Details.Codes, inc.Details.TransactionIDs = prov, codes, txns
		return inc
	}
	c05 := []Code{{System: "iso8583", Value: "05"}}
	cR01 := []Code{{System: "nacha", Value: "R01"}}
	newInc := mk("PAY-9", StatusOpen, t0, "Stripe", c05, "ch_ABC")
	tests := []struct {
		name string
		cand *Incident
		want string // "" for no match
	}{
		{"same txn, other provider", mk("PAY-1", StatusOpen, t0.Add(-48*time.Hour), "adyen", nil, "CH_abc"), "the same transaction id ch_ABC"},
		{"same provider and code in window", mk("PAY-2", StatusEscalated, t0.Add(-119*time.Minute), "stripe", c05), "the same gateway (stripe) and error code 05 within 2h"},
		{"same provider and code, outside window", mk("PAY-3", StatusOpen, t0.Add(-121*time.Minute), "stripe", c05), ""},
		{"same provider, other code", mk("PAY-4", StatusOpen, t0, "stripe", cR01), ""},
		{"same code, other provider", mk("PAY-5", StatusOpen, t0, "adyen", c05), ""},
		{"resolved is not open", mk("PAY-6", StatusResolved, t0, "stripe", c05, "ch_abc"), ""},
		{"intake is not open yet", mk("PAY-7", StatusIntake, t0, "stripe", c05, "ch_abc"), ""},
		{"itself", newInc, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := FindDuplicates(newInc, []*Incident{tc.cand}, 2*time.Hour)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("matched %s: %s", got[0].Incident.Ref, got[0].Why)
			case tc.want != "" && (len(got) != 1 || got[0].Why != tc.want):
				t.Errorf("got %+v, want %q", got, tc.want)
			}
		})
	}
	// Transaction matches rank first.
	all := []*Incident{tests[1].cand, tests[0].cand}
	got := FindDuplicates(newInc, all, 2*time.Hour)
	if len(got) != 2 || got[0].Incident.Ref != "PAY-1" || !got[0].ByTransaction {
		t.Errorf("order: %+v", got)
	}
	// No provider: codes alone never match.
	bare := mk("PAY-10", StatusOpen, t0, "", c05)
	if got := FindDuplicates(bare, []*Incident{mk("PAY-11", StatusOpen, t0, "", c05)}, 2*time.Hour); len(got) != 0 {
		t.Errorf("empty provider matched: %+v", got)
	}
}

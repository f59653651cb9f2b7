package incidents

import (
	"sort"
	"strings"
	"time"
)

// DuplicateMatch is an open incident that a new report seems to repeat.
type DuplicateMatch struct {
	Incident *Incident
	// Why says what matched: "transaction id ch_123" or "stripe and code
	// iso8583:05 within 2h".
	Why string
	// ByTransaction is true when a transaction id matched, the strongest sign.
	ByTransaction bool
}

// FindDuplicates returns the active incidents among candidates (inc itself
// and incidents still in intake excluded) that share a transaction id with
// inc, or its provider and an error code when they were created within
// window of it. Transaction matches come first, then the newest.
func FindDuplicates(inc *Incident, candidates []*Incident, window time.Duration) []DuplicateMatch {
	txns := map[string]string{}
	for _, t := range inc.Details.TransactionIDs {
		if k := strings.ToLower(strings.TrimSpace(t)); k != "" {
			txns[k] = t
		}
	}
	codes := map[string]bool{}
	for _, c := range inc.Details.Codes {
		codes[c.String()] = true
	}
	prov := strings.ToLower(strings.TrimSpace(inc.Details.Provider))
	var out []DuplicateMatch
	for _, o := range candidates {
		if o == nil || o.ID == inc.ID || !o.Status.Active() || o.Status == StatusIntake {
			continue
		}
		var m *DuplicateMatch
		for _, t := range o.Details.TransactionIDs {
			if orig, ok := txns[strings.ToLower(strings.TrimSpace(t))]; ok {
				m = &DuplicateMatch{Incident: o, Why: "the same transaction id " + orig, ByTransaction: true}
				break
			}
		}
		if m == nil && prov != "" && strings.EqualFold(strings.TrimSpace(o.Details.Provider), prov) {
			d := inc.CreatedAt.Sub(o.CreatedAt)
			if d < 0 {
				d = -d
			}
			if d <= window {
				for _, c := range o.Details.Codes {
					if codes[c.String()] {
						m = &DuplicateMatch{Incident: o, Why: "the same gateway (" + o.Details.Provider + ") and error code " + c.Value +
							" within " + FmtDuration(window)}
						break
					}
				}
			}
		}
		if m != nil {
			out = append(out, *m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].ByTransaction != out[j].ByTransaction {
			return out[i].ByTransaction
		}
		return out[i].Incident.CreatedAt.After(out[j].Incident.CreatedAt)
	})
	return out
}

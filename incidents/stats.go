package incidents

// Stats is a snapshot of a store's counts for monitoring (the Prometheus
// collector of `paybot serve` reads it on every scrape).
type Stats struct {
	// Incidents counts incidents by status and severity (SevUnknown while
	// not yet assessed); combinations with no incident are absent.
	Incidents []IncidentCount
	// OutboxPending is the number of notifications not yet delivered nor
	// given up; OutboxDead those given up for good.
	OutboxPending, OutboxDead int
	// JobsDue is the number of pending jobs due at or before the time asked
	// about: in a healthy deployment it stays near zero.
	JobsDue int
}

// IncidentCount is N incidents with one status and severity.
type IncidentCount struct {
	Status   Status
	Severity Severity
	N        int
}

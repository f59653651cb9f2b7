package postgres

import "time"

// ReportKindsWhere exposes the report's timeline condition to the plan test.
var ReportKindsWhere = reportKindsWhere

// ReportQuery and ReportPlanSettings expose the report's query and its
// planner settings to the plan test.
var ReportQuery, ReportPlanSettings = reportQuery, reportPlanSettings

// PgTime exposes the binary timestamptz decoder to its test.
var PgTime = pgTime

// SetBounds shortens the statement, ping and LISTEN-check bounds for a
// test and returns a function that restores them.
func SetBounds(statement, ping, listen time.Duration) (restore func()) {
	s, p, l := statementTimeout.get(), pingTimeout.get(), listenCheck.get()
	statementTimeout.set(statement)
	pingTimeout.set(ping)
	listenCheck.set(listen)
	return func() {
		statementTimeout.set(s)
		pingTimeout.set(p)
		listenCheck.set(l)
	}
}

package postgres

// ReportKindsWhere exposes the report's timeline condition to the plan test.
var ReportKindsWhere = reportKindsWhere

// ReportQuery and ReportPlanSettings expose the report's query and its
// planner settings to the plan test.
var ReportQuery, ReportPlanSettings = reportQuery, reportPlanSettings

// PgTime exposes the binary timestamptz decoder to its test.
var PgTime = pgTime

package postgres

// ReportKindsWhere exposes the report's timeline condition to the plan test.
var ReportKindsWhere = reportKindsWhere

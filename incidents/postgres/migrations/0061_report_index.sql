-- 0061: the timeline entries a report reads (report.FactKinds: the moves to
-- open, acknowledgements and case entries), in (incident, seq) order with
-- the columns it reads, so ScanReport merges them with the incidents from
-- an index-only scan instead of hashing and sorting the whole join
-- (BENCHMARKS.md, issue 13). The WHERE is reportKindsWhere(report.FactKinds)
-- in report.go, with the same literals, so that the planner can prove the
-- query needs only these rows (TestReportUsesIndex).
CREATE INDEX timeline_report ON timeline (incident_id, seq) INCLUDE (at, kind, data)
	WHERE (kind = 'status' AND data->>'to' = 'open') OR kind = 'ack' OR kind = 'case';

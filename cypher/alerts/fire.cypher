// name: fire
// purpose: record alerts; an alert id exists once, so each threshold fires once per window
// params: $alerts: list of {id, kind, level, budget_id, threshold, window_start, observed, limit, unit, message}
// example: :param alerts => [{id: 'alr_1', kind: 'threshold', level: 'warning', budget_id: 'b', threshold: 80,
//            window_start: datetime('2026-11-01T00:00:00Z'), observed: 8, limit: 10, unit: 'usd', message: '80%'}]
UNWIND $alerts AS row
MERGE (a:Alert {id: row.id})
ON CREATE SET a += row, a.created_at = datetime(), a.acknowledged = false, a.fresh = true
WITH a, row, coalesce(a.fresh, false) AS created
REMOVE a.fresh
WITH a, row, created
OPTIONAL MATCH (b:Budget {id: row.budget_id})
FOREACH (_ IN CASE WHEN created AND b IS NOT NULL THEN [1] ELSE [] END | MERGE (a)-[:ON]->(b))
RETURN a.id AS id, created

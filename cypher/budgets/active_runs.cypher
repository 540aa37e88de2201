// name: active_runs
// purpose: runs holding live reservations under a budget (for max concurrent runs)
// params: $budget_id, $now
// example: :param budget_id => 'limits:platform:run'; :param now => datetime()
MATCH (:Budget {id: $budget_id})-[:HAS_WINDOW]->(:SpendWindow)<-[:HOLDS]-(r:Reservation {state: 'held'})
WHERE r.expires_at > $now AND r.run_id IS NOT NULL
RETURN collect(DISTINCT r.run_id) AS run_ids

// name: lock_window
// purpose: take the write lock of one spend window (creating it if new), for check-and-hold under concurrency
// params: $id, $budget_id, $start, $end
// example: :param id => 'b|2026-11-01T00:00:00+00:00'; :param budget_id => 'b';
//          :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
MATCH (b:Budget {id: $budget_id})
MERGE (w:SpendWindow {id: $id})
ON CREATE SET w.budget_id = $budget_id, w.start = $start, w.end = $end,
              w.spent_nanousd = 0, w.reserved_nanousd = 0, w.tokens = 0, w.reserved_tokens = 0
MERGE (b)-[:HAS_WINDOW]->(w)
SET w.lock_count = coalesce(w.lock_count, 0) + 1
RETURN w.id AS id

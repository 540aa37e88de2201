// name: create_windows
// purpose: create the spend windows that do not exist yet, linked to their budgets. Windows that
//          exist are found through the (budget_id, start) index, which takes no lock: a seek on
//          the unique id in a writing query takes a shared lock, and two writers that both hold
//          one and then both write the window deadlock.
// params: $windows: list of {id, budget_id, start, end, base_nanos?, base_tokens?}; base_* is what a
//         new window starts from (the usage recorded before it, found by traversal), default 0
// example: :param windows => [{id: 'b|2026-11-01T00:00:00+00:00', budget_id: 'b',
//            start: datetime('2026-11-01T00:00:00Z'), end: datetime('2026-12-01T00:00:00Z')}]
UNWIND $windows AS row
OPTIONAL MATCH (existing:SpendWindow)
  USING INDEX existing:SpendWindow(budget_id, start)
  WHERE existing.budget_id = row.budget_id AND existing.start IS NOT NULL AND existing.id = row.id
WITH row WHERE existing IS NULL
MATCH (b:Budget {id: row.budget_id})
MERGE (w:SpendWindow {id: row.id})
ON CREATE SET w.budget_id = row.budget_id, w.start = row.start, w.end = row.end,
              w.spent_nanousd = coalesce(row.base_nanos, 0), w.reserved_nanousd = 0,
              w.tokens = coalesce(row.base_tokens, 0), w.reserved_tokens = 0,
              w.created_here = true
// Only the transaction that created the window links it (a concurrent MERGE may have met it).
FOREACH (_ IN CASE WHEN w.created_here THEN [1] ELSE [] END |
  CREATE (b)-[:HAS_WINDOW]->(w)
  REMOVE w.created_here
)
RETURN count(w) AS windows

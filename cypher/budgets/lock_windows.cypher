// name: lock_windows
// purpose: take the write locks of spend windows (creating missing ones) in the order given,
//          and return their totals as seen under the lock
// params: $windows: list of {id, budget_id, start, end}, sorted by id (the one global lock order)
// example: :param windows => [{id: 'b|2026-11-01T00:00:00+00:00', budget_id: 'b',
//            start: datetime('2026-11-01T00:00:00Z'), end: datetime('2026-12-01T00:00:00Z')}]
UNWIND $windows AS row
MATCH (b:Budget {id: row.budget_id})
MERGE (w:SpendWindow {id: row.id})
ON CREATE SET w.budget_id = row.budget_id, w.start = row.start, w.end = row.end,
              w.spent_nanousd = 0, w.reserved_nanousd = 0, w.tokens = 0, w.reserved_tokens = 0
// A window is linked to its budget once, when created: linking it again would lock the
// budget node on every call and make concurrent writers queue on it.
FOREACH (_ IN CASE WHEN w.budget_linked IS NULL THEN [1] ELSE [] END |
  CREATE (b)-[:HAS_WINDOW]->(w)
  SET w.budget_linked = true
)
SET w.lock_count = coalesce(w.lock_count, 0) + 1
RETURN w.id AS id, w.spent_nanousd AS spent_nanousd, w.reserved_nanousd AS reserved_nanousd,
       w.tokens AS tokens, w.reserved_tokens AS reserved_tokens

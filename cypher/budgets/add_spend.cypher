// name: add_spend
// purpose: add recorded spend to spend windows (one aggregated row per window), creating windows as needed
// params: $windows: list of {id, budget_id, start, end, nanos, tokens, base_nanos, base_tokens}, sorted
//         by id (a fixed lock order); base_* is what a window not yet created starts from (the usage
//         recorded before it, found by traversal)
// example: :param windows => [{id: 'b|2026-11-01T00:00:00+00:00', budget_id: 'b',
//            start: datetime('2026-11-01T00:00:00Z'), end: datetime('2026-12-01T00:00:00Z'), nanos: 1000, tokens: 10, base_nanos: 0, base_tokens: 0}]
UNWIND $windows AS row
MATCH (b:Budget {id: row.budget_id})
MERGE (w:SpendWindow {id: row.id})
ON CREATE SET w.budget_id = row.budget_id, w.start = row.start, w.end = row.end,
              w.spent_nanousd = row.base_nanos, w.reserved_nanousd = 0, w.tokens = row.base_tokens,
              w.reserved_tokens = 0
// A window is linked to its budget once, when created: linking it again would lock the
// budget node on every call and make concurrent writers queue on it.
FOREACH (_ IN CASE WHEN w.budget_linked IS NULL THEN [1] ELSE [] END |
  CREATE (b)-[:HAS_WINDOW]->(w)
  SET w.budget_linked = true
)
// The property read on the right-hand side makes Cypher lock the window before reading it.
SET w.spent_nanousd = w.spent_nanousd + row.nanos, w.tokens = w.tokens + row.tokens
RETURN row.id AS id, row.budget_id AS budget_id, w.spent_nanousd AS spent_nanousd,
       w.tokens AS tokens, w.reserved_nanousd AS reserved_nanousd, w.reserved_tokens AS reserved_tokens

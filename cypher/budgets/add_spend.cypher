// name: add_spend
// purpose: add recorded spend to existing spend windows (one aggregated row per window; create
//          missing windows first with create_windows)
// params: $windows: list of {id, budget_id, nanos, tokens}, sorted by id (a fixed lock order)
// example: :param windows => [{id: 'b|2026-11-01T00:00:00+00:00', budget_id: 'b', nanos: 1000, tokens: 10}]
UNWIND $windows AS row
// The (budget_id, start) index takes no lock; see lock_windows.
MATCH (w:SpendWindow)
  USING INDEX w:SpendWindow(budget_id, start)
  WHERE w.budget_id = row.budget_id AND w.start IS NOT NULL AND w.id = row.id
SET w.spent_nanousd = w.spent_nanousd + row.nanos, w.tokens = w.tokens + row.tokens
RETURN row.id AS id, w.budget_id AS budget_id, w.spent_nanousd AS spent_nanousd,
       w.tokens AS tokens, w.reserved_nanousd AS reserved_nanousd, w.reserved_tokens AS reserved_tokens

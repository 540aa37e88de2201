// name: lock_windows
// purpose: take the write locks of existing spend windows in the order given, and return their
//          totals as seen under the lock; windows not found are left out (create_windows makes them)
// params: $windows: list of {id, budget_id}, sorted by id (the one global lock order)
// example: :param windows => [{id: 'b|2026-11-01T00:00:00+00:00', budget_id: 'b'}]
UNWIND $windows AS row
// Found through the (budget_id, start) index, not the unique id: that seek would take a shared
// lock first, and writers upgrading shared locks on one window deadlock each other.
MATCH (w:SpendWindow)
  USING INDEX w:SpendWindow(budget_id, start)
  WHERE w.budget_id = row.budget_id AND w.start IS NOT NULL AND w.id = row.id
SET w.lock_count = coalesce(w.lock_count, 0) + 1
RETURN w.id AS id, w.spent_nanousd AS spent_nanousd, w.reserved_nanousd AS reserved_nanousd,
       w.tokens AS tokens, w.reserved_tokens AS reserved_tokens

// name: carry_spend
// purpose: keep in a window the spend of usage that compaction is about to delete, so the window still equals the traversal plus what was carried
// params: $rows: list of {id, nanos, tokens}, sorted by id
// example: :param rows => [{id: 'b|1970-01-01T00:00:00+00:00', nanos: 1000, tokens: 10}]
UNWIND $rows AS row
MATCH (w:SpendWindow {id: row.id})
SET w.carried_nanousd = coalesce(w.carried_nanousd, 0) + row.nanos,
    w.carried_tokens = coalesce(w.carried_tokens, 0) + row.tokens

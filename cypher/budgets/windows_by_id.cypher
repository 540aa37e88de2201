// name: windows_by_id
// purpose: the running totals of spend windows (missing ones are simply absent)
// params: $ids (list of window ids)
// example: :param ids => ['b|2026-11-01T00:00:00+00:00']
UNWIND $ids AS id
MATCH (w:SpendWindow {id: id})
RETURN w.id AS id, w.spent_nanousd AS spent_nanousd, w.reserved_nanousd AS reserved_nanousd,
       w.tokens AS tokens, w.reserved_tokens AS reserved_tokens

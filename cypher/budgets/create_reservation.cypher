// name: create_reservation
// purpose: hold an amount against spend windows (already locked by the caller)
// params: $reservation (map: id, amount_nanousd, tokens, expires_at, run_id, agent_id, ...), $window_ids
// example: :param reservation => {id: 'res_1', amount_nanousd: 400000000, tokens: 0, expires_at: datetime() + duration('PT10M')};
//          :param window_ids => ['b|2026-11-01T00:00:00+00:00']
CREATE (r:Reservation)
SET r = $reservation, r.state = 'held', r.created_at = datetime()
WITH r
UNWIND $window_ids AS id
MATCH (w:SpendWindow {id: id})
CREATE (r)-[:HOLDS]->(w)
SET w.reserved_nanousd = w.reserved_nanousd + r.amount_nanousd,
    w.reserved_tokens = w.reserved_tokens + r.tokens
RETURN count(w) AS windows

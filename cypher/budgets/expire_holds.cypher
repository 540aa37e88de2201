// name: expire_holds
// purpose: release every held reservation on these windows whose time is up
// params: $window_ids (list), $now (datetime)
// example: :param window_ids => ['b|2026-11-01T00:00:00+00:00']; :param now => datetime()
UNWIND $window_ids AS id
MATCH (w:SpendWindow {id: id})<-[:HOLDS]-(r:Reservation {state: 'held'})
WHERE r.expires_at <= $now
WITH DISTINCT r
SET r.state = 'expired', r.closed_at = $now
WITH r
MATCH (r)-[:HOLDS]->(w:SpendWindow)
SET w.reserved_nanousd = w.reserved_nanousd - r.amount_nanousd,
    w.reserved_tokens = w.reserved_tokens - r.tokens
RETURN count(DISTINCT r) AS expired

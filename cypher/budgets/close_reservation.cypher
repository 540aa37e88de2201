// name: close_reservation
// purpose: end a held reservation (settled or released) and give its amount back to its windows
// params: $id, $state ('settled' | 'released'), $now, $event_id (or null)
// example: :param id => 'res_1'; :param state => 'released'; :param now => datetime(); :param event_id => null
MATCH (r:Reservation {id: $id, state: 'held'})
SET r.state = $state, r.closed_at = $now, r.event_id = $event_id
WITH r
MATCH (r)-[:HOLDS]->(w:SpendWindow)
SET w.reserved_nanousd = w.reserved_nanousd - r.amount_nanousd,
    w.reserved_tokens = w.reserved_tokens - r.tokens
RETURN count(w) AS windows

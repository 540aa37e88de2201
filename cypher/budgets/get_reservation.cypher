// name: get_reservation
// purpose: a reservation with the windows it holds, locked for update
// params: $id
// example: :param id => 'res_1'
MATCH (r:Reservation {id: $id})
SET r.touched = coalesce(r.touched, 0) + 1
RETURN r {.*} AS reservation, [(r)-[:HOLDS]->(w:SpendWindow) | w.id] AS window_ids

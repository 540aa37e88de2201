// name: existing
// purpose: the stored result of every event id already recorded (duplicate detection and replay)
// params: $event_ids (list of strings)
// example: :param event_ids => ['run-42-call-7']
UNWIND $event_ids AS event_id
MATCH (u:TokenUsage {event_id: event_id})-[:INCURRED]->(c:CostEntry)
// A plan cached while the graph was empty may scan the index per id instead of seeking.
USING INDEX u:TokenUsage(event_id)
RETURN u.event_id AS event_id, u.price_version AS price_version, c {.*} AS cost

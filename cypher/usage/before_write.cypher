// name: before_write
// purpose: what writing a batch of usage must know first, in one round trip: the stored result
//          of each event id already recorded (duplicates and their replies), the compaction
//          horizon (null: nothing compacted yet) and whether any budget exists
// params: $event_ids (list of strings)
// example: :param event_ids => ['run-42-call-7']
OPTIONAL MATCH (state:RollupState {id: 'usage'})
CALL () {
  MATCH (b:Budget)
  RETURN count(b) > 0 AS budgets
}
CALL () {
  UNWIND $event_ids AS event_id
  MATCH (u:TokenUsage {event_id: event_id})-[:INCURRED]->(c:CostEntry)
  // A plan cached while the graph was empty may scan the index per id instead of seeking.
  USING INDEX u:TokenUsage(event_id)
  RETURN collect({event_id: u.event_id, price_version: u.price_version, cost: c {.*}}) AS known
}
RETURN state.compacted_before AS horizon, budgets, known

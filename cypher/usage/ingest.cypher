// name: ingest
// purpose: CREATE a batch of priced usage events and their cost entries, linked to the scopes,
//          agents and prices that usage/merge_scopes made sure exist
// params: $rows: list of {usage: map of TokenUsage properties, ts_s, ts_ns (the event's time as
//         seconds and nanoseconds since the Unix epoch, UTC), cost: map of CostEntry properties,
//         price_version, run_id, attach_kind ('task'|'project'|'team'|'platform'|null when run_id is set),
//         attach_id, agent_id}; $recorded_at (datetime: when the batch is written)
// example: :param rows => [{usage: {event_id: 'e1', input_tokens: 10}, ts_s: 1764000000, ts_ns: 0,
//            cost: {event_id: 'e1', total_nanousd: 30000}, price_version: 'claude-sonnet-4-5@2025-09-29T00:00:00Z',
//            run_id: 'run-42', attach_kind: null, attach_id: null, agent_id: 'coder-v3'}];
//          :param recorded_at => datetime()
// Attachment rule: an event hangs off its run (IN_RUN), else ATTRIBUTED_TO its most specific
// named scope (task, project, team, platform).
UNWIND $rows AS row
MATCH (price:Price {version: row.price_version})
CREATE (u:TokenUsage)-[:INCURRED]->(c:CostEntry)
SET u = row.usage, c = row.cost
SET u.timestamp = datetime({epochSeconds: row.ts_s, nanosecond: row.ts_ns}),
    u.recorded_at = $recorded_at
CREATE (u)-[:PRICED_BY]->(price)
WITH row, u
CALL (row, u) {
  WITH row, u WHERE row.run_id IS NOT NULL
  MATCH (run:Run {id: row.run_id})
  CREATE (u)-[:IN_RUN]->(run)
}
CALL (row, u) {
  WITH row, u WHERE row.attach_kind = 'task'
  MATCH (scope:Task {id: row.attach_id})
  CREATE (u)-[:ATTRIBUTED_TO]->(scope)
}
CALL (row, u) {
  WITH row, u WHERE row.attach_kind = 'project'
  MATCH (scope:Project {id: row.attach_id})
  CREATE (u)-[:ATTRIBUTED_TO]->(scope)
}
CALL (row, u) {
  WITH row, u WHERE row.attach_kind = 'team'
  MATCH (scope:Team {id: row.attach_id})
  CREATE (u)-[:ATTRIBUTED_TO]->(scope)
}
CALL (row, u) {
  WITH row, u WHERE row.attach_kind = 'platform'
  MATCH (scope:Platform {id: row.attach_id})
  CREATE (u)-[:ATTRIBUTED_TO]->(scope)
}
CALL (row, u) {
  WITH row, u WHERE row.agent_id IS NOT NULL
  MATCH (agent:Agent {id: row.agent_id})
  CREATE (agent)-[:CONSUMED]->(u)
}
RETURN count(u) AS written

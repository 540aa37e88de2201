// name: roll_usage
// purpose: add one batch of usage not yet rolled up to the per-day roll-ups (AnchorDay per node it hangs off, AgentDay per agent, ModelDay per model) and mark it :Rolled
// params: $since, $through (datetimes: usage recorded in [since, through)), $limit (usage per batch)
// example: :param since => datetime('1970-01-01T00:00:00Z'); :param through => datetime();
//          :param limit => 50000
// Run after lock_rollups in the same transaction; repeat until rolled = 0. Days are UTC.
// Each usage is added once (the :Rolled label and the sums change in one transaction), so a
// report reading the roll-ups plus the usage not yet :Rolled counts everything exactly once.
MATCH (u:TokenUsage)
WHERE u.recorded_at >= $since AND u.recorded_at < $through AND NOT u:Rolled
WITH u
LIMIT $limit
SET u:Rolled
WITH u
MATCH (c:CostEntry)<-[:INCURRED]-(u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
OPTIONAL MATCH (agent:Agent)-[:CONSUMED]->(u)
WITH collect({
  anchor: anchor,
  anchor_key: [label IN labels(anchor) WHERE label IN ['Run', 'Task', 'Project', 'Team', 'Platform']][0]
              + ':' + anchor.id,
  agent: agent,
  model_id: u.model_id,
  provider: u.provider,
  day: toString(date(u.timestamp)),
  start: datetime.truncate('day', u.timestamp),
  total: c.total_nanousd,
  input: u.input_tokens,
  output: u.output_tokens,
  cache_read: u.cache_read_tokens,
  cache_write: u.cache_write_tokens
}) AS rows
CALL (rows) {
  UNWIND rows AS r
  WITH r.anchor AS anchor, r.anchor_key AS anchor_key, r.day AS day, r.start AS start,
       sum(r.total) AS total, sum(r.input) AS input, sum(r.output) AS output,
       sum(r.cache_read) AS cache_read, sum(r.cache_write) AS cache_write, count(*) AS events
  MERGE (d:AnchorDay {id: anchor_key + '|' + day})
  ON CREATE SET d.day = day, d.start = start, d.total_nanousd = 0, d.input_tokens = 0,
                d.output_tokens = 0, d.cache_read_tokens = 0, d.cache_write_tokens = 0, d.events = 0
  SET d.total_nanousd = d.total_nanousd + total, d.input_tokens = d.input_tokens + input,
      d.output_tokens = d.output_tokens + output,
      d.cache_read_tokens = d.cache_read_tokens + cache_read,
      d.cache_write_tokens = d.cache_write_tokens + cache_write, d.events = d.events + events
  MERGE (d)-[:ROLLS_UP]->(anchor)
}
CALL (rows) {
  UNWIND rows AS r
  WITH r.agent AS agent, r.day AS day, r.start AS start,
       sum(r.total) AS total, sum(r.input) AS input, sum(r.output) AS output,
       sum(r.cache_read) AS cache_read, sum(r.cache_write) AS cache_write, count(*) AS events
  MERGE (d:AgentDay {id: coalesce(agent.id, '') + '|' + day})
  ON CREATE SET d.agent_id = agent.id, d.day = day, d.start = start, d.total_nanousd = 0,
                d.input_tokens = 0, d.output_tokens = 0, d.cache_read_tokens = 0,
                d.cache_write_tokens = 0, d.events = 0
  SET d.total_nanousd = d.total_nanousd + total, d.input_tokens = d.input_tokens + input,
      d.output_tokens = d.output_tokens + output,
      d.cache_read_tokens = d.cache_read_tokens + cache_read,
      d.cache_write_tokens = d.cache_write_tokens + cache_write, d.events = d.events + events
  WITH d, agent WHERE agent IS NOT NULL
  MERGE (d)-[:FOR_AGENT]->(agent)
}
CALL (rows) {
  UNWIND rows AS r
  WITH r.model_id AS model_id, r.provider AS provider, r.day AS day, r.start AS start,
       sum(r.total) AS total, sum(r.input) AS input, sum(r.output) AS output,
       sum(r.cache_read) AS cache_read, sum(r.cache_write) AS cache_write, count(*) AS events
  MERGE (d:ModelDay {id: model_id + '|' + provider + '|' + day})
  ON CREATE SET d.model_id = model_id, d.provider = provider, d.day = day, d.start = start,
                d.total_nanousd = 0, d.input_tokens = 0, d.output_tokens = 0,
                d.cache_read_tokens = 0, d.cache_write_tokens = 0, d.events = 0
  SET d.total_nanousd = d.total_nanousd + total, d.input_tokens = d.input_tokens + input,
      d.output_tokens = d.output_tokens + output,
      d.cache_read_tokens = d.cache_read_tokens + cache_read,
      d.cache_write_tokens = d.cache_write_tokens + cache_write, d.events = d.events + events
}
RETURN size(rows) AS rolled

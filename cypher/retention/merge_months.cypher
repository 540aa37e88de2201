// name: merge_months
// purpose: fold one batch of per-day sums (AnchorDay, AgentDay, ModelDay) from before a month boundary into one node per month, kept forever
// params: $before (datetime: the first day of the first month still kept per day), $limit (day nodes per label per batch)
// example: :param before => datetime('2025-11-01T00:00:00Z'); :param limit => 10000
// A month node keeps its day node's label and shape (reports read it unchanged), with
// period 'month', day = the month's first day and start = that day at 00:00 UTC.
// Ids end in the day (YYYY-MM-DD) or the month (YYYY-MM), so a month's id is its days'
// id with the last three characters cut. Repeat until merged = 0.
CALL () {
  MATCH (d:AnchorDay)
  WHERE d.start < $before AND d.period IS NULL
  WITH d
  LIMIT $limit
  MATCH (d)-[:ROLLS_UP]->(anchor)
  WITH anchor, left(d.id, size(d.id) - 3) AS id, left(d.day, 7) AS month, collect(d) AS days
  MERGE (m:AnchorDay {id: id})
  ON CREATE SET m.period = 'month', m.day = month + '-01', m.start = datetime(month + '-01T00:00:00Z'),
                m.total_nanousd = 0, m.input_tokens = 0, m.output_tokens = 0,
                m.cache_read_tokens = 0, m.cache_write_tokens = 0, m.events = 0
  SET m.total_nanousd = m.total_nanousd + reduce(s = 0, d IN days | s + d.total_nanousd),
      m.input_tokens = m.input_tokens + reduce(s = 0, d IN days | s + d.input_tokens),
      m.output_tokens = m.output_tokens + reduce(s = 0, d IN days | s + d.output_tokens),
      m.cache_read_tokens = m.cache_read_tokens + reduce(s = 0, d IN days | s + d.cache_read_tokens),
      m.cache_write_tokens = m.cache_write_tokens + reduce(s = 0, d IN days | s + d.cache_write_tokens),
      m.events = m.events + reduce(s = 0, d IN days | s + d.events)
  MERGE (m)-[:ROLLS_UP]->(anchor)
  FOREACH (d IN days | DETACH DELETE d)
  RETURN sum(size(days)) AS anchor_days
}
CALL () {
  MATCH (d:AgentDay)
  WHERE d.start < $before AND d.period IS NULL
  WITH d
  LIMIT $limit
  OPTIONAL MATCH (d)-[:FOR_AGENT]->(agent:Agent)
  WITH agent, d.agent_id AS agent_id, left(d.id, size(d.id) - 3) AS id, left(d.day, 7) AS month,
       collect(d) AS days
  MERGE (m:AgentDay {id: id})
  ON CREATE SET m.period = 'month', m.agent_id = agent_id, m.day = month + '-01',
                m.start = datetime(month + '-01T00:00:00Z'),
                m.total_nanousd = 0, m.input_tokens = 0, m.output_tokens = 0,
                m.cache_read_tokens = 0, m.cache_write_tokens = 0, m.events = 0
  SET m.total_nanousd = m.total_nanousd + reduce(s = 0, d IN days | s + d.total_nanousd),
      m.input_tokens = m.input_tokens + reduce(s = 0, d IN days | s + d.input_tokens),
      m.output_tokens = m.output_tokens + reduce(s = 0, d IN days | s + d.output_tokens),
      m.cache_read_tokens = m.cache_read_tokens + reduce(s = 0, d IN days | s + d.cache_read_tokens),
      m.cache_write_tokens = m.cache_write_tokens + reduce(s = 0, d IN days | s + d.cache_write_tokens),
      m.events = m.events + reduce(s = 0, d IN days | s + d.events)
  FOREACH (_ IN CASE WHEN agent IS NULL THEN [] ELSE [1] END | MERGE (m)-[:FOR_AGENT]->(agent))
  FOREACH (d IN days | DETACH DELETE d)
  RETURN sum(size(days)) AS agent_days
}
CALL () {
  MATCH (d:ModelDay)
  WHERE d.start < $before AND d.period IS NULL
  WITH d
  LIMIT $limit
  WITH d.model_id AS model_id, d.provider AS provider, left(d.id, size(d.id) - 3) AS id,
       left(d.day, 7) AS month, collect(d) AS days
  MERGE (m:ModelDay {id: id})
  ON CREATE SET m.period = 'month', m.model_id = model_id, m.provider = provider,
                m.day = month + '-01', m.start = datetime(month + '-01T00:00:00Z'),
                m.total_nanousd = 0, m.input_tokens = 0, m.output_tokens = 0,
                m.cache_read_tokens = 0, m.cache_write_tokens = 0, m.events = 0
  SET m.total_nanousd = m.total_nanousd + reduce(s = 0, d IN days | s + d.total_nanousd),
      m.input_tokens = m.input_tokens + reduce(s = 0, d IN days | s + d.input_tokens),
      m.output_tokens = m.output_tokens + reduce(s = 0, d IN days | s + d.output_tokens),
      m.cache_read_tokens = m.cache_read_tokens + reduce(s = 0, d IN days | s + d.cache_read_tokens),
      m.cache_write_tokens = m.cache_write_tokens + reduce(s = 0, d IN days | s + d.cache_write_tokens),
      m.events = m.events + reduce(s = 0, d IN days | s + d.events)
  FOREACH (d IN days | DETACH DELETE d)
  RETURN sum(size(days)) AS model_days
}
RETURN anchor_days + agent_days + model_days AS merged

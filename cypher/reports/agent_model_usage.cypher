// name: agent_model_usage
// purpose: per agent and model over a time range: calls, errors and what they cost, tokens, and the low-urgency calls not sent as batch (the inputs of the recommendations)
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// Money is integer nano-USD. A call is low-urgency when tagged urgency=low or priority=low.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
OPTIONAL MATCH (a:Agent)-[:CONSUMED]->(u)
WITH a.id AS agent_id, u.model_id AS model_id, u.provider AS provider, u, c,
     u.status = 'error' AS failed,
     NOT u.batch AND 'low' IN [u.`tag.urgency`, u.`tag.priority`] AS deferrable
RETURN agent_id, model_id, provider,
       count(u) AS events,
       sum(CASE WHEN failed THEN 1 ELSE 0 END) AS errors,
       sum(CASE WHEN failed THEN c.total_nanousd ELSE 0 END) AS error_nanousd,
       sum(CASE WHEN deferrable THEN 1 ELSE 0 END) AS deferrable_events,
       sum(CASE WHEN deferrable THEN c.total_nanousd ELSE 0 END) AS deferrable_nanousd,
       sum(c.total_nanousd) AS total_nanousd,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_read_tokens) AS cache_read_tokens,
       sum(u.cache_write_tokens) AS cache_write_tokens
ORDER BY total_nanousd DESC, agent_id, model_id

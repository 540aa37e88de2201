// name: top_operations
// purpose: the most expensive operations (single LLM calls) in a time range, dearest first, with who ran them and where they roll up to
// params: $start, $end (datetimes; events with start <= timestamp < end), $limit (integer)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param limit => 20
// Money is integer nano-USD (divide by 1e9 for USD); the project and team are found by
// walking up the organisation tree, so they are set even when the event only named its run.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
WITH u, c
ORDER BY c.total_nanousd DESC, u.event_id
LIMIT $limit
OPTIONAL MATCH (a:Agent)-[:CONSUMED]->(u)
OPTIONAL MATCH (project:Project)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u)
OPTIONAL MATCH (team:Team)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u)
RETURN u.event_id AS event_id,
       u.timestamp AS timestamp,
       u.provider AS provider,
       u.model_id AS model_id,
       a.id AS agent_id,
       a.type AS agent_type,
       u.run_id AS run_id,
       project.id AS project_id,
       team.id AS team_id,
       u.status AS status,
       u.input_tokens AS input_tokens,
       u.output_tokens AS output_tokens,
       u.cache_read_tokens AS cache_read_tokens,
       u.cache_write_tokens AS cache_write_tokens,
       c.total_nanousd AS total_nanousd
ORDER BY total_nanousd DESC, event_id

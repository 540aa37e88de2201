// name: usage_for_repricing
// purpose: one page of usage in a time range, optionally of one agent, project (with everything below it) or model, or only low-urgency calls not sent as batch; the token counts a re-pricing needs
// params: $start, $end (datetimes; events with start <= timestamp < end), $agent_id, $project_id,
//         $model_id (each may be null), $low_urgency (boolean: only calls tagged urgency=low or
//         priority=low that were not batch), $after_id (null for the first page; for the next
//         pass the last row's event_id here and its timestamp as $start), $limit (rows per page)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param agent_id => 'coder-v3'; :param project_id => null; :param model_id => null;
//          :param low_urgency => false; :param after_id => null; :param limit => 1000
// Keyset paging on (timestamp, event_id) keeps each page a short read.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
  AND ($after_id IS NULL OR u.timestamp > $start OR u.event_id > $after_id)
  AND ($model_id IS NULL OR u.model_id = $model_id)
  AND (NOT coalesce($low_urgency, false)
       OR (NOT u.batch AND ('low' IN [u.`tag.urgency`, u.`tag.priority`])))
  AND ($agent_id IS NULL OR EXISTS { (:Agent {id: $agent_id})-[:CONSUMED]->(u) })
  AND ($project_id IS NULL OR EXISTS {
        (:Project {id: $project_id})<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u) })
WITH u
ORDER BY u.timestamp, u.event_id
LIMIT $limit
MATCH (u)-[:INCURRED]->(c:CostEntry)
RETURN u.event_id AS event_id,
       u.timestamp AS timestamp,
       u.model_id AS model_id,
       u.input_tokens AS input_tokens,
       u.output_tokens AS output_tokens,
       u.cache_read_tokens AS cache_read_tokens,
       u.cache_write_tokens AS cache_write_tokens,
       u.cache_ttl AS cache_ttl,
       u.batch AS batch,
       c.total_nanousd AS total_nanousd
ORDER BY timestamp, event_id

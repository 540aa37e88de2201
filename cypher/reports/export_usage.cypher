// name: export_usage
// purpose: one page of priced usage in timestamp order with everything an export row needs (cost components, price version, agent, and the task, project and team it rolls up to)
// params: $start, $end (datetimes; events with start <= timestamp < end), $after_id (null for
//         the first page; for the next page pass the last row's event_id here and its
//         timestamp as $start), $limit (rows per page)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param after_id => null; :param limit => 1000
// Keyset paging on (timestamp, event_id): each page is a short read, so an export of
// millions of rows never holds a long transaction or the whole result in memory.
// The scope ids come from one walk up the organisation tree from the event.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
  AND ($after_id IS NULL OR u.timestamp > $start OR u.event_id > $after_id)
WITH u
ORDER BY u.timestamp, u.event_id
LIMIT $limit
MATCH (u)-[:INCURRED]->(c:CostEntry)
OPTIONAL MATCH (a:Agent)-[:CONSUMED]->(u)
OPTIONAL MATCH path = (u)-[:IN_RUN|ATTRIBUTED_TO]->()-[:PART_OF|FOR_TASK*0..]->(top)
  WHERE NOT (top)-[:PART_OF|FOR_TASK]->()
WITH u, c, a, nodes(path) AS chain
RETURN u {.*} AS usage,
       c {.*} AS cost,
       a.id AS agent_id,
       a.name AS agent_name,
       a.type AS agent_type,
       [n IN chain WHERE n:Run | n.id][0] AS run_id,
       [n IN chain WHERE n:Task | n.id][0] AS task_id,
       [n IN chain WHERE n:Project | n.id][0] AS project_id,
       [n IN chain WHERE n:Team | n.id][0] AS team_id
ORDER BY u.timestamp, u.event_id

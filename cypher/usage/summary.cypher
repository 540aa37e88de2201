// name: summary
// purpose: cost and tokens in a time range, for everything or one project, team or agent (roll-up over PART_OF)
// params: $start, $end (datetimes), $project_id, $team_id, $agent_id (each may be null)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param project_id => 'my-arpg'; :param team_id => null; :param agent_id => null
CALL () {
  WITH 1 AS one WHERE $project_id IS NULL AND $team_id IS NULL
  MATCH (scope:Platform)
  RETURN scope
  UNION
  WITH 1 AS one WHERE $project_id IS NOT NULL
  MATCH (scope:Project {id: $project_id})
  RETURN scope
  UNION
  WITH 1 AS one WHERE $project_id IS NULL AND $team_id IS NOT NULL
  MATCH (scope:Team {id: $team_id})
  RETURN scope
}
// Walk the tree once to the nodes usage hangs off, then read each one's usage.
MATCH (scope)<-[:PART_OF|FOR_TASK*0..]-(anchor)
WITH DISTINCT anchor
OPTIONAL MATCH (anchor)<-[:IN_RUN|ATTRIBUTED_TO]-(u:TokenUsage)-[:INCURRED]->(c:CostEntry)
WHERE u.timestamp >= $start AND u.timestamp < $end
  AND ($agent_id IS NULL OR u.agent_id = $agent_id)
RETURN coalesce(sum(c.total_nanousd), 0) AS total_nanousd,
       coalesce(sum(u.input_tokens), 0) AS input_tokens,
       coalesce(sum(u.output_tokens), 0) AS output_tokens,
       coalesce(sum(u.cache_read_tokens), 0) AS cache_read_tokens,
       coalesce(sum(u.cache_write_tokens), 0) AS cache_write_tokens,
       count(u) AS events,
       count(DISTINCT u.run_id) AS runs

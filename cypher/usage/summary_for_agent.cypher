// name: summary_for_agent
// purpose: one agent's cost and tokens in a time range, everywhere or within one project or team (roll-up over PART_OF), read from the usage itself (kept per call for the retention period)
// params: $start, $end (datetimes), $agent_id, $project_id, $team_id (project and team may be null; project wins)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param agent_id => 'builder'; :param project_id => null; :param team_id => null
OPTIONAL MATCH (:Agent {id: $agent_id})-[:CONSUMED]->(u:TokenUsage)-[:INCURRED]->(c:CostEntry)
WHERE u.timestamp >= $start AND u.timestamp < $end
  AND (
    ($project_id IS NULL AND $team_id IS NULL)
    OR EXISTS {
      MATCH (u)-[:IN_RUN|ATTRIBUTED_TO]->()-[:PART_OF|FOR_TASK*0..]->(scope)
      WHERE (scope:Project AND scope.id = $project_id)
         OR ($project_id IS NULL AND scope:Team AND scope.id = $team_id)
    }
  )
RETURN coalesce(sum(c.total_nanousd), 0) AS total_nanousd,
       coalesce(sum(u.input_tokens), 0) AS input_tokens,
       coalesce(sum(u.output_tokens), 0) AS output_tokens,
       coalesce(sum(u.cache_read_tokens), 0) AS cache_read_tokens,
       coalesce(sum(u.cache_write_tokens), 0) AS cache_write_tokens,
       count(u) AS events,
       count(DISTINCT u.run_id) AS runs

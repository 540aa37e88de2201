// name: reconcile
// purpose: recompute a budget's spend in a window by traversal over the usage (must equal its SpendWindow)
// params: $budget_id, $start, $end
// example: :param budget_id => 'games-monthly'; :param start => datetime('2026-11-01T00:00:00Z');
//          :param end => datetime('2026-12-01T00:00:00Z')
MATCH (top:Budget {id: $budget_id})
MATCH (top)-[:PARENT_OF*0..]->(:Budget)-[:ALLOCATED_TO]->(scope)
CALL (scope) {
  MATCH (scope)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u:TokenUsage)
  RETURN u
  UNION
  MATCH (scope:Agent)-[:CONSUMED]->(u:TokenUsage)
  RETURN u
}
WITH DISTINCT u
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
RETURN coalesce(sum(c.total_nanousd), 0) AS spent_nanousd,
       coalesce(sum(u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens), 0) AS tokens

// name: budget_spend
// purpose: for each budget, what its scope spent from its window's start until now and in the trailing days before now (roll-up over the tree; an agent budget counts what the agent CONSUMED)
// params: $windows: list of {budget_id, start, trailing_start, now} (datetimes)
// example: :param windows => [{budget_id: 'arpg-monthly', start: datetime('2026-11-01T00:00:00Z'),
//            trailing_start: datetime('2026-11-16T12:00:00Z'), now: datetime('2026-11-23T12:00:00Z')}]
// Money is integer nano-USD. A budget whose scope spent nothing in the range has no row.
UNWIND $windows AS w
MATCH (:Budget {id: w.budget_id})-[:ALLOCATED_TO]->(scope)
WITH w, scope,
     CASE WHEN w.trailing_start < w.start THEN w.trailing_start ELSE w.start END AS since
CALL (w, scope, since) {
  MATCH (scope)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u:TokenUsage)
  WHERE NOT scope:Agent AND u.timestamp >= since AND u.timestamp < w.now
  RETURN u
  UNION
  MATCH (scope:Agent)-[:CONSUMED]->(u:TokenUsage)
  WHERE u.timestamp >= since AND u.timestamp < w.now
  RETURN u
}
MATCH (u)-[:INCURRED]->(c:CostEntry)
RETURN w.budget_id AS budget_id,
       sum(CASE WHEN u.timestamp >= w.start THEN c.total_nanousd ELSE 0 END) AS spent_nanousd,
       sum(CASE WHEN u.timestamp >= w.trailing_start THEN c.total_nanousd ELSE 0 END)
         AS trailing_nanousd
ORDER BY budget_id

// name: chain_for_scopes
// purpose: every budget that governs spend in the named scopes: budgets allocated to the scopes
//          or anything above them in the organisation tree, to the agent, and their PARENT_OF ancestors
//          with each budget's window in force at $now (if it exists yet) and the extra room of
//          admin overrides still in force
// params: $platform_id, $run_id, $task_id, $project_id, $team_id, $agent_id (each may be null), $now
// example: :param platform_id => 'default'; :param run_id => null; :param task_id => 'TCK-7';
//          :param project_id => 'my-arpg'; :param team_id => 'games'; :param agent_id => 'coder-v3';
//          :param now => datetime()
OPTIONAL MATCH (run:Run {id: $run_id})
OPTIONAL MATCH (task:Task {id: $task_id})
OPTIONAL MATCH (project:Project {id: $project_id})
OPTIONAL MATCH (team:Team {id: $team_id})
OPTIONAL MATCH (platform:Platform {id: $platform_id})
OPTIONAL MATCH (agent:Agent {id: $agent_id})
WITH [n IN [run, task, project, team, platform] WHERE n IS NOT NULL] AS starts, agent
CALL (starts, agent) {
  UNWIND starts AS start
  MATCH (start)-[:PART_OF|FOR_TASK*0..]->(scope)
  RETURN scope
  UNION
  WITH agent WHERE agent IS NOT NULL
  RETURN agent AS scope
}
MATCH (scope)<-[:ALLOCATED_TO]-(:Budget)<-[:PARENT_OF*0..]-(b:Budget)
WITH DISTINCT b
OPTIONAL MATCH (b)-[:HAS_WINDOW]->(w:SpendWindow)
  WHERE w.start <= $now AND $now < w.end
RETURN b {.*} AS budget, w {.*} AS window,
       reduce(total = 0, amount IN COLLECT {
         MATCH (o:Override)-[:EXTENDS]->(b) WHERE o.expires_at > $now RETURN o.amount_nanousd
       } | total + amount) AS override_nanos

// name: chain_for_scopes
// purpose: every budget that governs spend in the named scopes: budgets allocated to the scopes
//          or anything above them in the organisation tree, to the agent, and their PARENT_OF ancestors
// params: $platform_id, $run_id, $task_id, $project_id, $team_id, $agent_id (each may be null)
// example: :param platform_id => 'default'; :param run_id => null; :param task_id => 'TCK-7';
//          :param project_id => 'my-arpg'; :param team_id => 'games'; :param agent_id => 'coder-v3'
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
RETURN DISTINCT b {.*} AS budget

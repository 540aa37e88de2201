// name: ingest
// purpose: write a batch of priced usage events, their cost entries and the organisation tree they name
// params: $platform_id, $rows: list of {event_id, usage: map of TokenUsage properties,
//         cost: map of CostEntry properties, provider, model_id, price_version,
//         agent_id, agent_type, run_id, task_id, project_id, team_id}
// example: :param platform_id => 'default';
//          :param rows => [{event_id: 'e1', usage: {event_id: 'e1', timestamp: datetime(), input_tokens: 10},
//            cost: {event_id: 'e1', total_nanousd: 30000}, provider: 'anthropic', model_id: 'claude-sonnet-4-5',
//            price_version: 'claude-sonnet-4-5@2025-09-29T00:00:00Z', agent_id: 'coder', agent_type: 'coding',
//            run_id: 'run-1', task_id: 'TCK-1', project_id: 'demo', team_id: 'games'}]
// Attachment rule: an event hangs off its run (IN_RUN), else ATTRIBUTED_TO its most
// specific named scope (task, project, team, platform). Scopes met for the first time
// are linked PART_OF the next named scope above them; an existing parent is kept.
UNWIND $rows AS row
MERGE (platform:Platform {id: $platform_id})
CREATE (u:TokenUsage)
SET u = row.usage
CREATE (u)-[:INCURRED]->(c:CostEntry)
SET c = row.cost
MERGE (provider:Provider {id: row.provider})
MERGE (model:Model {id: row.model_id})
MERGE (model)-[:OFFERED_BY]->(provider)
WITH row, u, platform
MATCH (price:Price {version: row.price_version})
CREATE (u)-[:PRICED_BY]->(price)
WITH row, u, platform
OPTIONAL CALL (row) {
  WITH row WHERE row.team_id IS NOT NULL
  MERGE (team:Team {id: row.team_id})
  RETURN team
}
OPTIONAL CALL (row) {
  WITH row WHERE row.project_id IS NOT NULL
  MERGE (project:Project {id: row.project_id})
  RETURN project
}
OPTIONAL CALL (row) {
  WITH row WHERE row.task_id IS NOT NULL
  MERGE (task:Task {id: row.task_id})
  RETURN task
}
OPTIONAL CALL (row) {
  WITH row WHERE row.run_id IS NOT NULL
  MERGE (run:Run {id: row.run_id})
  RETURN run
}
CALL (team, platform) {
  WITH team, platform WHERE team IS NOT NULL AND NOT (team)-[:PART_OF]->()
  MERGE (team)-[:PART_OF]->(platform)
}
CALL (project, team, platform) {
  WITH project, coalesce(team, platform) AS parent
  WHERE project IS NOT NULL AND NOT (project)-[:PART_OF]->()
  MERGE (project)-[:PART_OF]->(parent)
}
CALL (task, project, team, platform) {
  WITH task, coalesce(project, team, platform) AS parent
  WHERE task IS NOT NULL AND NOT (task)-[:PART_OF]->()
  MERGE (task)-[:PART_OF]->(parent)
}
CALL (run, task) {
  WITH run, task WHERE run IS NOT NULL AND task IS NOT NULL AND NOT (run)-[:FOR_TASK|PART_OF]->()
  MERGE (run)-[:FOR_TASK]->(task)
}
CALL (run, task, project, team, platform) {
  WITH run, coalesce(project, team, platform) AS parent
  WHERE run IS NOT NULL AND task IS NULL AND NOT (run)-[:FOR_TASK|PART_OF]->()
  MERGE (run)-[:PART_OF]->(parent)
}
CALL (u, run, task, project, team, platform) {
  WITH u, run WHERE run IS NOT NULL
  CREATE (u)-[:IN_RUN]->(run)
}
CALL (u, run, task, project, team, platform) {
  WITH u, coalesce(task, project, team, platform) AS scope WHERE run IS NULL
  CREATE (u)-[:ATTRIBUTED_TO]->(scope)
}
CALL (row, u, run) {
  WITH row, u, run WHERE row.agent_id IS NOT NULL
  MERGE (agent:Agent {id: row.agent_id})
  ON CREATE SET agent.name = row.agent_id, agent.type = row.agent_type, agent.created_at = datetime()
  SET agent.type = coalesce(agent.type, row.agent_type)
  CREATE (agent)-[:CONSUMED]->(u)
  WITH agent, run WHERE run IS NOT NULL
  MERGE (agent)-[:RAN]->(run)
}
RETURN count(u) AS written

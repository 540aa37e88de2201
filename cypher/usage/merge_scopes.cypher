// name: merge_scopes
// purpose: MERGE, once per batch, the organisation tree, agents, providers and models a batch of
//          usage names; a scope met for the first time goes PART_OF the next named scope above it
//          (task > project > team > platform) and keeps the parent it already has
// params: $platform_id, $teams (list of ids), $projects, $tasks, $runs (lists of {id, parent_kind,
//         parent_id}), $agents (list of {id, type}), $models (list of {id, provider}),
//         $ran (list of {agent_id, run_id})
// example: :param platform_id => 'default'; :param teams => ['games'];
//          :param projects => [{id: 'my-arpg', parent_kind: 'team', parent_id: 'games'}];
//          :param tasks => [{id: 'TCK-7', parent_kind: 'project', parent_id: 'my-arpg'}];
//          :param runs => [{id: 'run-42', parent_kind: 'task', parent_id: 'TCK-7'}];
//          :param agents => [{id: 'coder-v3', type: 'coding'}];
//          :param models => [{id: 'claude-sonnet-4-5', provider: 'anthropic'}];
//          :param ran => [{agent_id: 'coder-v3', run_id: 'run-42'}]
MERGE (platform:Platform {id: $platform_id})
WITH platform
CALL (platform) {
  UNWIND $teams AS team_id
  MERGE (team:Team {id: team_id})
  WITH team, platform WHERE NOT (team)-[:PART_OF]->()
  MERGE (team)-[:PART_OF]->(platform)
}
CALL (platform) {
  UNWIND $projects AS row
  MERGE (project:Project {id: row.id})
  WITH project, row, platform WHERE NOT (project)-[:PART_OF]->()
  OPTIONAL MATCH (team:Team {id: row.parent_id}) WHERE row.parent_kind = 'team'
  WITH project, coalesce(team, platform) AS parent
  MERGE (project)-[:PART_OF]->(parent)
}
CALL (platform) {
  UNWIND $tasks AS row
  MERGE (task:Task {id: row.id})
  WITH task, row, platform WHERE NOT (task)-[:PART_OF]->()
  OPTIONAL MATCH (project:Project {id: row.parent_id}) WHERE row.parent_kind = 'project'
  OPTIONAL MATCH (team:Team {id: row.parent_id}) WHERE row.parent_kind = 'team'
  WITH task, coalesce(project, team, platform) AS parent
  MERGE (task)-[:PART_OF]->(parent)
}
CALL (platform) {
  UNWIND $runs AS row
  MERGE (run:Run {id: row.id})
  WITH run, row, platform WHERE NOT (run)-[:FOR_TASK|PART_OF]->()
  OPTIONAL MATCH (task:Task {id: row.parent_id}) WHERE row.parent_kind = 'task'
  OPTIONAL MATCH (project:Project {id: row.parent_id}) WHERE row.parent_kind = 'project'
  OPTIONAL MATCH (team:Team {id: row.parent_id}) WHERE row.parent_kind = 'team'
  CALL (run, task) {
    WITH run, task WHERE task IS NOT NULL
    MERGE (run)-[:FOR_TASK]->(task)
  }
  CALL (run, task, project, team, platform) {
    WITH run, coalesce(project, team, platform) AS parent WHERE task IS NULL
    MERGE (run)-[:PART_OF]->(parent)
  }
}
CALL () {
  UNWIND $agents AS row
  MERGE (agent:Agent {id: row.id})
  ON CREATE SET agent.name = row.id, agent.type = row.type, agent.created_at = datetime()
  SET agent.type = coalesce(agent.type, row.type)
}
CALL () {
  UNWIND $models AS row
  MERGE (provider:Provider {id: row.provider})
  MERGE (model:Model {id: row.id})
  MERGE (model)-[:OFFERED_BY]->(provider)
}
CALL () {
  UNWIND $ran AS row
  MATCH (agent:Agent {id: row.agent_id}), (run:Run {id: row.run_id})
  MERGE (agent)-[:RAN]->(run)
}
RETURN 1 AS done

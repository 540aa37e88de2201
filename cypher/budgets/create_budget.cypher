// name: create_budget
// purpose: create a budget, allocate it to its scope node (created if new) and hang it under its parent budget
// params: $budget (map of Budget properties incl. id, scope_kind, scope_id), $parent_id (or null), $platform_id
// example: :param platform_id => 'default'; :param parent_id => null;
//          :param budget => {id: 'games-monthly', name: 'Games', scope_kind: 'team', scope_id: 'games',
//            amount_nanousd: 1000000000000, period: 'month', timezone: 'UTC', kind: 'hard', thresholds: [50, 80, 95]}
CREATE (b:Budget)
SET b = $budget, b.created_at = datetime()
WITH b
CALL (b) {
  WITH b WHERE b.scope_kind = 'platform'
  MERGE (scope:Platform {id: b.scope_id})
  RETURN scope
  UNION
  WITH b WHERE b.scope_kind = 'team'
  MERGE (scope:Team {id: b.scope_id})
  RETURN scope
  UNION
  WITH b WHERE b.scope_kind = 'project'
  MERGE (scope:Project {id: b.scope_id})
  RETURN scope
  UNION
  WITH b WHERE b.scope_kind = 'task'
  MERGE (scope:Task {id: b.scope_id})
  RETURN scope
  UNION
  WITH b WHERE b.scope_kind = 'agent'
  MERGE (scope:Agent {id: b.scope_id})
  ON CREATE SET scope.name = b.scope_id, scope.created_at = datetime()
  RETURN scope
}
MERGE (b)-[:ALLOCATED_TO]->(scope)
WITH b, scope
CALL (scope) {
  WITH scope WHERE scope:Team AND NOT (scope)-[:PART_OF]->()
  MERGE (platform:Platform {id: $platform_id})
  MERGE (scope)-[:PART_OF]->(platform)
}
CALL (b) {
  WITH b WHERE $parent_id IS NOT NULL
  MATCH (parent:Budget {id: $parent_id})
  MERGE (parent)-[:PARENT_OF]->(b)
}
RETURN b.id AS id

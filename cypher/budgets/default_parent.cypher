// name: default_parent
// purpose: the budget a new budget hangs under when none is named: one allocated to the nearest
//          scope above its own (same period preferred), so budgets follow the organisation tree
// params: $scope_kind, $scope_id, $period, $platform_id
// example: :param scope_kind => 'project'; :param scope_id => 'my-arpg'; :param period => 'month';
//          :param platform_id => 'default'
CALL () {
  WITH 1 AS one WHERE $scope_kind = 'team'
  MATCH (s:Team {id: $scope_id}) RETURN s
  UNION
  WITH 1 AS one WHERE $scope_kind = 'project'
  MATCH (s:Project {id: $scope_id}) RETURN s
  UNION
  WITH 1 AS one WHERE $scope_kind = 'task'
  MATCH (s:Task {id: $scope_id}) RETURN s
  UNION
  WITH 1 AS one WHERE $scope_kind = 'agent'
  MATCH (s:Platform {id: $platform_id}) RETURN s
}
MATCH path = (s)-[:PART_OF*1..]->(above)<-[:ALLOCATED_TO]-(b:Budget)
WITH b, length(path) AS distance
ORDER BY distance, CASE WHEN b.period = $period THEN 0 ELSE 1 END, b.id
RETURN b.id AS id
LIMIT 1

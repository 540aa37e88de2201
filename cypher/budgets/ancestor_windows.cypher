// name: ancestor_windows
// purpose: the existing spend windows of a budget and of every budget above it (PARENT_OF),
//          to recompute them when the budget's coverage changes; windows that ended before
//          the compaction horizon are history and stay as they are
// params: $id
// example: :param id => 'arpg-monthly'
OPTIONAL MATCH (state:RollupState {id: 'usage'})
WITH coalesce(state.compacted_before, datetime('1970-01-01T00:00:00Z')) AS horizon
MATCH (b:Budget {id: $id})<-[:PARENT_OF*0..]-(a:Budget)-[:HAS_WINDOW]->(w:SpendWindow)
WHERE w.end > horizon
RETURN DISTINCT a.id AS budget_id, a {.*} AS budget, w.start AS start, w.end AS end
ORDER BY budget_id, start

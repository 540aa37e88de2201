// name: ancestor_windows
// purpose: the existing spend windows of a budget and of every budget above it (PARENT_OF),
//          to recompute them when the budget's coverage changes
// params: $id
// example: :param id => 'arpg-monthly'
MATCH (b:Budget {id: $id})<-[:PARENT_OF*0..]-(a:Budget)-[:HAS_WINDOW]->(w:SpendWindow)
RETURN DISTINCT a.id AS budget_id, a {.*} AS budget, w.start AS start, w.end AS end
ORDER BY budget_id, start

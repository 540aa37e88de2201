// name: list_budgets
// purpose: every budget with its parent and children ids
// params: none
// example: paste into cypher-shell as is
MATCH (b:Budget)
OPTIONAL MATCH (parent:Budget)-[:PARENT_OF]->(b)
RETURN b {.*} AS budget, parent.id AS parent_id,
       [(b)-[:PARENT_OF]->(child:Budget) | child.id] AS children
ORDER BY b.id

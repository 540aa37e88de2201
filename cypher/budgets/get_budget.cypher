// name: get_budget
// purpose: one budget with its parent and children ids
// params: $id
// example: :param id => 'arpg-monthly'
MATCH (b:Budget {id: $id})
OPTIONAL MATCH (parent:Budget)-[:PARENT_OF]->(b)
RETURN b {.*} AS budget, parent.id AS parent_id,
       [(b)-[:PARENT_OF]->(child:Budget) | child.id] AS children

// name: delete_budget
// purpose: delete a budget and its spend windows; its children move up to its parent
// params: $id
// example: :param id => 'arpg-monthly'
MATCH (b:Budget {id: $id})
OPTIONAL MATCH (parent:Budget)-[:PARENT_OF]->(b)
CALL (b, parent) {
  MATCH (b)-[:PARENT_OF]->(child:Budget)
  WITH child, parent WHERE parent IS NOT NULL
  MERGE (parent)-[:PARENT_OF]->(child)
}
OPTIONAL MATCH (b)-[:HAS_WINDOW]->(w:SpendWindow)
DETACH DELETE w, b
RETURN count(*) AS deleted

// name: relatives
// purpose: an agent's ancestors, descendants and generation (longest DERIVED_FROM path to a root), computed in Cypher
// params: $agent_id (string)
// example: :param agent_id => 'coder-v4'   then paste the statement below into cypher-shell
//
// Lineage edges point from child to parent: (:Agent)-[:DERIVED_FROM]->(:Agent).
// generation is 0 for an agent without parents, else 1 + the largest generation
// of its parents, the same rule as evolution.lineage.generations. It enumerates
// every path to a root, so keep it to one lineage (fine for thousands of agents
// with a few parents each, not for a dense graph). An unknown agent gives no rows.
MATCH (agent:Agent {id: $agent_id})
CALL (agent) {
  MATCH path = (agent)-[:DERIVED_FROM*0..]->(root:Agent)
  WHERE NOT EXISTS { (root)-[:DERIVED_FROM]->(:Agent) }
  RETURN max(length(path)) AS generation
}
RETURN agent.id AS agent_id,
       COLLECT { MATCH (agent)-[:DERIVED_FROM*1..]->(a:Agent) RETURN DISTINCT a.id } AS ancestor_ids,
       COLLECT { MATCH (d:Agent)-[:DERIVED_FROM*1..]->(agent) RETURN DISTINCT d.id } AS descendant_ids,
       generation

// name: lineage
// purpose: the whole connected lineage of one agent (its ancestors, descendants and every agent linked to them), one row per agent with the ids of its parents
// params: $agent_id (string, the agent whose lineage is wanted)
// example: :param agent_id => 'coder-v3'   then paste the statement below into cypher-shell
//
// Lineage edges point from child to parent: (:Agent)-[:DERIVED_FROM]->(:Agent).
// An unknown agent gives no rows.
MATCH (start:Agent {id: $agent_id})
MATCH (start)-[:DERIVED_FROM*0..]-(member:Agent)
WITH DISTINCT member
RETURN member.id AS id,
       member.name AS name,
       member.type AS type,
       member.version AS version,
       [(member)-[:DERIVED_FROM]->(parent:Agent) | parent.id] AS parent_ids
ORDER BY id

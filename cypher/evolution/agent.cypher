// name: agent
// purpose: one agent with its name, type, version, the ids of its parents and children, and when it was first seen
// params: $agent_id (string)
// example: :param agent_id => 'coder-v4'   then paste the statement below into cypher-shell
//
// Lineage edges point from child to parent: (:Agent)-[:DERIVED_FROM]->(:Agent).
// An unknown agent gives no rows.
MATCH (agent:Agent {id: $agent_id})
RETURN agent.id AS id,
       agent.name AS name,
       agent.type AS type,
       agent.version AS version,
       agent.created_at AS created_at,
       [(agent)-[:DERIVED_FROM]->(parent:Agent) | parent.id] AS parent_ids,
       [(child:Agent)-[:DERIVED_FROM]->(agent) | child.id] AS child_ids

// name: population
// purpose: every agent with its name, type, version and the ids of its parents (the whole population as lineage rows)
// params: none
// example: paste the statement below into cypher-shell
//
// Lineage edges point from child to parent: (:Agent)-[:DERIVED_FROM]->(:Agent).
MATCH (member:Agent)
RETURN member.id AS id,
       member.name AS name,
       member.type AS type,
       member.version AS version,
       [(member)-[:DERIVED_FROM]->(parent:Agent) | parent.id] AS parent_ids
ORDER BY id

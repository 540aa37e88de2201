// name: register_agent
// purpose: create or update an agent and link it DERIVED_FROM each of its parents; refuses (writes nothing) when a parent descends from the agent
// params: $agent_id (string), $name, $type, $version (strings; null keeps the stored value), $parent_ids (list of strings, may be empty)
// example: :param agent_id => 'coder-v4'; :param name => 'coder'; :param type => 'coding'; :param version => '4'; :param parent_ids => ['coder-v3']   then paste the statement below into cypher-shell
//
// Writes (:Agent {id, name, type, version})-[:DERIVED_FROM]->(:Agent {id}); a
// parent not seen before is created with its id only, so a lineage may be
// registered in any order (registering that parent later fills in the rest).
// Edges are only ever added: registering again with other parents adds them.
// cyclic lists the parents that would close a cycle; when it is not empty nothing
// was written. created lists the parents that did not exist before.
// The app runs this after lock_lineage in the same transaction, so two
// registrations cannot each pass the cycle check and together close a cycle.
UNWIND $parent_ids AS parent_id
OPTIONAL MATCH (parent:Agent {id: parent_id})
  WHERE EXISTS { (parent)-[:DERIVED_FROM*0..]->(:Agent {id: $agent_id}) }
WITH collect(parent.id) AS cyclic
CALL (cyclic) {
  WITH cyclic WHERE size(cyclic) = 0
  MERGE (agent:Agent {id: $agent_id})
  ON CREATE SET agent.created_at = datetime()
  SET agent.name = coalesce($name, agent.name),
      agent.type = coalesce($type, agent.type),
      agent.version = coalesce($version, agent.version)
  WITH agent
  UNWIND $parent_ids AS parent_id
  OPTIONAL MATCH (known:Agent {id: parent_id})
  MERGE (parent:Agent {id: parent_id})
  ON CREATE SET parent.created_at = datetime()
  MERGE (agent)-[:DERIVED_FROM]->(parent)
  RETURN collect(CASE WHEN known IS NULL THEN parent_id END) AS created
}
RETURN cyclic, created

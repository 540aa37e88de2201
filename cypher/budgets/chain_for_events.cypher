// name: chain_for_events
// purpose: for each recorded event, every budget whose scope (or a descendant budget's scope) holds it
// params: $event_ids (list of strings)
// example: :param event_ids => ['run-42-call-7']
UNWIND $event_ids AS event_id
MATCH (u:TokenUsage {event_id: event_id})
CALL (u) {
  MATCH (u)-[:IN_RUN|ATTRIBUTED_TO]->()-[:PART_OF|FOR_TASK*0..]->(scope)
  RETURN scope
  UNION
  MATCH (u)<-[:CONSUMED]-(scope:Agent)
  RETURN scope
}
MATCH (scope)<-[:ALLOCATED_TO]-(:Budget)<-[:PARENT_OF*0..]-(b:Budget)
RETURN event_id, collect(DISTINCT b.id) AS budget_ids

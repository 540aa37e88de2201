// name: stats
// purpose: per agent, the runs, recorded outcomes, tokens and cost (integer nano-USD) that fitness is computed from
// params: $agent_ids (list of strings, or null for every agent)
// example: :param agent_ids => ['coder-v3', 'coder-v4']   then paste the statement below into cypher-shell
//
// Reads (:Agent)-[:CONSUMED]->(:TokenUsage)-[:INCURRED]->(:CostEntry),
// (:TokenUsage)-[:IN_RUN]->(:Run) and the outcomes written by record_outcome:
// (:Agent)-[:RAN]->(:Run)-[:HAS_OUTCOME]->(:Outcome {agent_id}).
// runs = distinct runs with the agent's usage or an outcome credited to it; tokens = input + output
// + cache read + cache write over all its usage, whatever the status; cost = the
// sum of CostEntry.total_nanousd of that usage; duration_s sums the outcomes.
MATCH (agent:Agent)
WHERE $agent_ids IS NULL OR agent.id IN $agent_ids
CALL (agent) {
  OPTIONAL MATCH (agent)-[:CONSUMED]->(usage:TokenUsage)
  RETURN sum(coalesce(usage.input_tokens, 0) + coalesce(usage.output_tokens, 0)
             + coalesce(usage.cache_read_tokens, 0) + coalesce(usage.cache_write_tokens, 0)) AS tokens
}
CALL (agent) {
  OPTIONAL MATCH (agent)-[:CONSUMED]->(:TokenUsage)-[:INCURRED]->(cost:CostEntry)
  RETURN sum(coalesce(cost.total_nanousd, 0)) AS cost_nanos
}
CALL (agent) {
  OPTIONAL MATCH (agent)-[:RAN]->(:Run)-[:HAS_OUTCOME]->(outcome:Outcome)
  WHERE outcome.agent_id = agent.id
  RETURN count(outcome) AS outcomes,
         count(CASE WHEN outcome.success THEN 1 END) AS successes,
         sum(coalesce(outcome.quality, 0.0)) AS quality_sum,
         sum(coalesce(outcome.duration_s, 0.0)) AS duration_s
}
WITH agent, tokens, cost_nanos, outcomes, successes, quality_sum, duration_s,
     size(COLLECT {
       MATCH (agent)-[:CONSUMED]->(:TokenUsage)-[:IN_RUN]->(run:Run)
       RETURN DISTINCT run.id
     }) AS usage_runs,
     COUNT {
       MATCH (agent)-[:RAN]->(run:Run)-[:HAS_OUTCOME]->(outcome:Outcome)
       WHERE outcome.agent_id = agent.id
         AND NOT EXISTS { (agent)-[:CONSUMED]->(:TokenUsage)-[:IN_RUN]->(run) }
     } AS outcome_only_runs
RETURN agent.id AS agent_id,
       usage_runs + outcome_only_runs AS runs,
       outcomes,
       successes,
       quality_sum,
       tokens,
       duration_s,
       cost_nanos
ORDER BY agent_id

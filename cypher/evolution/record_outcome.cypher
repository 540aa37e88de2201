// name: record_outcome
// purpose: store the result of one run (success, quality in [0, 1], duration) for the agent that ran it; one outcome per run, the last one recorded wins
// params: $run_id (string), $agent_id (string), $success (boolean), $quality (float), $duration_s (float), $recorded_at (datetime)
// example: :param run_id => 'run-42'; :param agent_id => 'coder-v3'; :param success => true; :param quality => 0.9; :param duration_s => 12.5; :param recorded_at => datetime()   then paste the statement below into cypher-shell
//
// Writes (:Agent {id})-[:RAN]->(:Run {id})-[:HAS_OUTCOME]->(:Outcome {run_id,
// agent_id, success, quality, duration_s, recorded_at}). Usage ingestion also writes
// RAN for every agent that consumed tokens in the run; those edges are ledger facts
// and stay. A run re-recorded for another agent only loses the RAN edges that an
// earlier outcome wrote (agents without usage in the run). Sending the same outcome
// again changes nothing, recorded_at included; changed reports whether anything
// was written.
MERGE (run:Run {id: $run_id})
MERGE (agent:Agent {id: $agent_id})
MERGE (outcome:Outcome {run_id: $run_id})
WITH run, agent, outcome,
     coalesce(outcome.agent_id = $agent_id AND outcome.success = $success
              AND outcome.quality = $quality AND outcome.duration_s = $duration_s, false) AS unchanged
SET outcome.agent_id = $agent_id,
    outcome.success = $success,
    outcome.quality = $quality,
    outcome.duration_s = $duration_s,
    outcome.recorded_at = CASE WHEN unchanged THEN outcome.recorded_at ELSE $recorded_at END
MERGE (run)-[:HAS_OUTCOME]->(outcome)
MERGE (agent)-[:RAN]->(run)
WITH run, agent, outcome, unchanged
CALL (run, agent) {
  MATCH (other:Agent)-[stale:RAN]->(run)
  WHERE other <> agent
    AND NOT EXISTS { (other)-[:CONSUMED]->(:TokenUsage)-[:IN_RUN]->(run) }
  DELETE stale
}
RETURN outcome.run_id AS run_id, NOT unchanged AS changed

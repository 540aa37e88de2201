// name: agent_serving
// purpose: per agent and project, what the agent spent for that project in a time range and how many of its tasks it worked on; project null is the agent's cost under no project (the shared cost to allocate)
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// Money is integer nano-USD. Usage without an agent is left out.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (c:CostEntry)<-[:INCURRED]-(u)<-[:CONSUMED]-(agent:Agent)
MATCH (u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
WITH agent, anchor, sum(c.total_nanousd) AS nanousd
OPTIONAL MATCH (project:Project)<-[:PART_OF|FOR_TASK*0..]-(anchor)
OPTIONAL MATCH (task:Task)<-[:PART_OF|FOR_TASK*0..]-(anchor)
RETURN agent.id AS agent_id,
       project.id AS project_id,
       sum(nanousd) AS nanousd,
       count(DISTINCT task) AS tasks
ORDER BY agent_id, project_id

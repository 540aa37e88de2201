// name: agent_type_share
// purpose: each agent type's cost over a time range and its share of the total
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// The type is Agent.type of the agent that CONSUMED the usage (null: no agent or no type).
// share_percent is for reading only (a float); the exact share is total_nanousd / all_nanousd.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
OPTIONAL MATCH (a:Agent)-[:CONSUMED]->(u)
WITH a.type AS agent_type, sum(c.total_nanousd) AS total_nanousd, count(u) AS events
WITH collect({agent_type: agent_type, total_nanousd: total_nanousd, events: events}) AS rows,
     sum(total_nanousd) AS all_nanousd
UNWIND rows AS row
RETURN row.agent_type AS agent_type,
       row.total_nanousd AS total_nanousd,
       row.events AS events,
       all_nanousd,
       CASE WHEN all_nanousd > 0 THEN round(100.0 * row.total_nanousd / all_nanousd, 2) END
         AS share_percent
ORDER BY total_nanousd DESC, agent_type

// name: cost_by_team
// purpose: cost and tokens of each team; a team's row rolls up every project, task, run and event below it (roll-up over PART_OF/FOR_TASK*0..), per day, week or month
// params: $start, $end (datetimes; events with start <= timestamp < end), $bucket ('day' | 'week' | 'month', or null for one row per key over the whole range)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param bucket => null
// Money is integer nano-USD (divide by 1e9 for USD). Periods are UTC: 'day' keys are
// YYYY-MM-DD, 'week' keys the ISO week's Monday (YYYY-MM-DD), 'month' keys YYYY-MM.
// Events with no Team above them (key null) get a row of their own.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
OPTIONAL MATCH (scope:Team)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u)
WITH u, c, scope.id AS key,
     CASE $bucket
       WHEN 'day' THEN toString(date(u.timestamp))
       WHEN 'week' THEN toString(date.truncate('week', u.timestamp))
       WHEN 'month' THEN substring(toString(date(u.timestamp)), 0, 7)
     END AS period
RETURN key, period,
       sum(c.total_nanousd) AS total_nanousd,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_read_tokens) AS cache_read_tokens,
       sum(u.cache_write_tokens) AS cache_write_tokens,
       count(u) AS events
ORDER BY period, total_nanousd DESC, key

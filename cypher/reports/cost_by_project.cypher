// name: cost_by_project
// purpose: cost and tokens of each project; a project's row rolls up every task, run and event below it (roll-up over PART_OF/FOR_TASK*0..), per day, week or month
// params: $start, $end (UTC datetimes; usage with start <= timestamp < end), $bucket ('day' | 'week' | 'month', or null for one row per key over the whole range)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param bucket => null
// Money is integer nano-USD (divide by 1e9 for USD). Times are UTC (pass them with a Z):
// 'day' keys are YYYY-MM-DD, 'week' keys the ISO week's Monday, 'month' keys YYYY-MM.
// Whole days in the range are read from the per-day roll-ups (roll_usage) plus the usage
// recorded since the last refresh; partial days at either end from the usage itself. The
// result is the same as summing every TokenUsage in the range.
// Usage is summed per node it hangs off (its run, else its scope) before the tree is
// walked up to the Project; usage with no Project above it has key null.
WITH datetime.truncate('day', $start) AS floor_start, datetime.truncate('day', $end) AS floor_end
WITH CASE WHEN floor_start = $start THEN floor_start ELSE floor_start + duration('P1D') END AS a,
     floor_end AS b
WITH CASE WHEN a < b THEN a ELSE $end END AS mid_start,
     CASE WHEN a < b THEN b ELSE $end END AS mid_end
OPTIONAL MATCH (state:RollupState {id: 'usage'})
WITH mid_start, mid_end, coalesce(state.fresh_since, datetime('1970-01-01T00:00:00Z')) AS fresh_since
CALL (mid_start, mid_end, fresh_since) {
  MATCH (d:AnchorDay)
  WHERE d.start >= mid_start AND d.start < mid_end
  MATCH (d)-[:ROLLS_UP]->(anchor)
  RETURN anchor,
         d.day AS day,
         d.total_nanousd AS total_nanousd,
         d.input_tokens AS input_tokens,
         d.output_tokens AS output_tokens,
         d.cache_read_tokens AS cache_read_tokens,
         d.cache_write_tokens AS cache_write_tokens,
         d.events AS events
  UNION ALL
  MATCH (u:TokenUsage)
  WHERE u.timestamp >= $start AND u.timestamp < mid_start
  MATCH (c:CostEntry)<-[:INCURRED]-(u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
  RETURN anchor,
         toString(date(u.timestamp)) AS day,
         c.total_nanousd AS total_nanousd,
         u.input_tokens AS input_tokens,
         u.output_tokens AS output_tokens,
         u.cache_read_tokens AS cache_read_tokens,
         u.cache_write_tokens AS cache_write_tokens,
         1 AS events
  UNION ALL
  MATCH (u:TokenUsage)
  WHERE u.timestamp >= mid_end AND u.timestamp < $end
  MATCH (c:CostEntry)<-[:INCURRED]-(u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
  RETURN anchor,
         toString(date(u.timestamp)) AS day,
         c.total_nanousd AS total_nanousd,
         u.input_tokens AS input_tokens,
         u.output_tokens AS output_tokens,
         u.cache_read_tokens AS cache_read_tokens,
         u.cache_write_tokens AS cache_write_tokens,
         1 AS events
  UNION ALL
  MATCH (u:TokenUsage)
  USING INDEX u:TokenUsage(recorded_at)
  WHERE u.recorded_at >= fresh_since AND NOT u:Rolled
    AND u.timestamp >= mid_start AND u.timestamp < mid_end
  MATCH (c:CostEntry)<-[:INCURRED]-(u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
  RETURN anchor,
         toString(date(u.timestamp)) AS day,
         c.total_nanousd AS total_nanousd,
         u.input_tokens AS input_tokens,
         u.output_tokens AS output_tokens,
         u.cache_read_tokens AS cache_read_tokens,
         u.cache_write_tokens AS cache_write_tokens,
         1 AS events
}
WITH anchor,
     CASE $bucket
       WHEN 'day' THEN day
       WHEN 'week' THEN toString(date.truncate('week', date(day)))
       WHEN 'month' THEN substring(day, 0, 7)
     END AS period,
     sum(total_nanousd) AS total_nanousd,
     sum(input_tokens) AS input_tokens,
     sum(output_tokens) AS output_tokens,
     sum(cache_read_tokens) AS cache_read_tokens,
     sum(cache_write_tokens) AS cache_write_tokens,
     sum(events) AS events
OPTIONAL MATCH (scope:Project)<-[:PART_OF|FOR_TASK*0..]-(anchor)
RETURN scope.id AS key, period,
       sum(total_nanousd) AS total_nanousd,
       sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens,
       sum(cache_read_tokens) AS cache_read_tokens,
       sum(cache_write_tokens) AS cache_write_tokens,
       sum(events) AS events
ORDER BY period, total_nanousd DESC, key

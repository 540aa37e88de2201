// name: cost_by_provider
// purpose: cost and tokens of each provider (of the rate card the usage was priced with), per day, week or month
// params: $start, $end (UTC datetimes; usage with start <= timestamp < end), $bucket ('day' | 'week' | 'month', or null for one row per key over the whole range)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param bucket => null
// Money is integer nano-USD (divide by 1e9 for USD). Times are UTC (pass them with a Z):
// 'day' keys are YYYY-MM-DD, 'week' keys the ISO week's Monday, 'month' keys YYYY-MM.
// Whole days in the range are read from the per-day roll-ups (roll_usage) plus the usage
// recorded since the last refresh; partial days at either end from the usage itself. The
// result is the same as summing every TokenUsage in the range.
WITH datetime.truncate('day', $start) AS floor_start, datetime.truncate('day', $end) AS floor_end
WITH CASE WHEN floor_start = $start THEN floor_start ELSE floor_start + duration('P1D') END AS a,
     floor_end AS b
WITH CASE WHEN a < b THEN a ELSE $end END AS mid_start,
     CASE WHEN a < b THEN b ELSE $end END AS mid_end
OPTIONAL MATCH (state:RollupState {id: 'usage'})
WITH mid_start, mid_end, coalesce(state.fresh_since, datetime('1970-01-01T00:00:00Z')) AS fresh_since
CALL (mid_start, mid_end, fresh_since) {
  MATCH (d:ModelDay)
  WHERE d.start >= mid_start AND d.start < mid_end
  RETURN d.model_id AS model_id,
         d.provider AS provider,
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
  MATCH (c:CostEntry)<-[:INCURRED]-(u)
  RETURN u.model_id AS model_id,
         u.provider AS provider,
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
  MATCH (c:CostEntry)<-[:INCURRED]-(u)
  RETURN u.model_id AS model_id,
         u.provider AS provider,
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
  MATCH (c:CostEntry)<-[:INCURRED]-(u)
  RETURN u.model_id AS model_id,
         u.provider AS provider,
         toString(date(u.timestamp)) AS day,
         c.total_nanousd AS total_nanousd,
         u.input_tokens AS input_tokens,
         u.output_tokens AS output_tokens,
         u.cache_read_tokens AS cache_read_tokens,
         u.cache_write_tokens AS cache_write_tokens,
         1 AS events
}
WITH provider AS key,
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
RETURN key, period, total_nanousd, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, events
ORDER BY period, total_nanousd DESC, key

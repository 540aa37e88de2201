// name: summary
// purpose: cost and tokens in a time range, for everything or one project or team (roll-up over PART_OF/FOR_TASK*0..)
// params: $start, $end (UTC datetimes: usage with start <= timestamp < end), $project_id, $team_id (each may be null; project wins)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param project_id => 'my-arpg'; :param team_id => null
// Money is integer nano-USD. Whole days in the range are read from the per-day roll-ups
// (AnchorDay, see reports/roll_usage) plus the usage recorded since their last refresh;
// partial days at either end from the usage itself. The result is the same as summing
// every TokenUsage in the range, and stays the same after compaction deletes old usage.
// One filter per agent: usage/summary_for_agent.
CALL () {
  WITH 1 AS one WHERE $project_id IS NULL AND $team_id IS NULL
  MATCH (scope:Platform)
  RETURN scope
  UNION
  WITH 1 AS one WHERE $project_id IS NOT NULL
  MATCH (scope:Project {id: $project_id})
  RETURN scope
  UNION
  WITH 1 AS one WHERE $project_id IS NULL AND $team_id IS NOT NULL
  MATCH (scope:Team {id: $team_id})
  RETURN scope
}
WITH datetime.truncate('day', $start) AS floor_start, datetime.truncate('day', $end) AS floor_end, scope
WITH scope,
     CASE WHEN floor_start = $start THEN floor_start ELSE floor_start + duration('P1D') END AS a,
     floor_end AS b
WITH scope,
     CASE WHEN a < b THEN a ELSE $end END AS mid_start,
     CASE WHEN a < b THEN b ELSE $end END AS mid_end
OPTIONAL MATCH (state:RollupState {id: 'usage'})
WITH scope, mid_start, mid_end,
     coalesce(state.fresh_since, datetime('1970-01-01T00:00:00Z')) AS fresh_since
CALL (scope, mid_start, mid_end, fresh_since) {
  // Whole days: the tree walked down once to the nodes usage hangs off, then their sums.
  MATCH (scope)<-[:PART_OF|FOR_TASK*0..]-(anchor)
  WITH DISTINCT anchor
  MATCH (anchor)<-[:ROLLS_UP]-(d:AnchorDay)
  WHERE d.start >= mid_start AND d.start < mid_end
  RETURN anchor,
         d.total_nanousd AS total_nanousd,
         d.input_tokens AS input_tokens,
         d.output_tokens AS output_tokens,
         d.cache_read_tokens AS cache_read_tokens,
         d.cache_write_tokens AS cache_write_tokens,
         d.events AS events
  UNION ALL
  // Partial days at either end, and whole-day usage not rolled up yet: from the usage up.
  CALL (mid_start, mid_end, fresh_since) {
    MATCH (u:TokenUsage)
    WHERE u.timestamp >= $start AND u.timestamp < mid_start
    RETURN u
    UNION ALL
    MATCH (u:TokenUsage)
    WHERE u.timestamp >= mid_end AND u.timestamp < $end
    RETURN u
    UNION ALL
    MATCH (u:TokenUsage)
    USING INDEX u:TokenUsage(recorded_at)
    WHERE u.recorded_at >= fresh_since AND NOT u:Rolled
      AND u.timestamp >= mid_start AND u.timestamp < mid_end
    RETURN u
  }
  MATCH (c:CostEntry)<-[:INCURRED]-(u)-[:IN_RUN|ATTRIBUTED_TO]->(anchor)
  // Summed per node first, so the tree is climbed once per node, not once per event.
  WITH anchor,
       sum(c.total_nanousd) AS total_nanousd,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_read_tokens) AS cache_read_tokens,
       sum(u.cache_write_tokens) AS cache_write_tokens,
       count(*) AS events
  WHERE EXISTS { (anchor)-[:PART_OF|FOR_TASK*0..]->(scope) }
  RETURN anchor, total_nanousd, input_tokens, output_tokens, cache_read_tokens,
         cache_write_tokens, events
}
RETURN coalesce(sum(total_nanousd), 0) AS total_nanousd,
       coalesce(sum(input_tokens), 0) AS input_tokens,
       coalesce(sum(output_tokens), 0) AS output_tokens,
       coalesce(sum(cache_read_tokens), 0) AS cache_read_tokens,
       coalesce(sum(cache_write_tokens), 0) AS cache_write_tokens,
       coalesce(sum(events), 0) AS events,
       count(DISTINCT CASE WHEN anchor:Run THEN anchor END) AS runs

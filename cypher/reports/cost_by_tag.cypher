// name: cost_by_tag
// purpose: cost and tokens per value of one tag (e.g. persona), per day, week or month
// params: $key (the tag name), $start, $end (datetimes; events with start <= timestamp < end), $bucket ('day' | 'week' | 'month', or null for one row per value over the whole range)
// example: :param key => 'persona'; :param start => datetime('2026-11-01T00:00:00Z');
//          :param end => datetime('2026-12-01T00:00:00Z'); :param bucket => null
// Money is integer nano-USD (divide by 1e9 for USD). Periods are UTC: 'day' keys are
// YYYY-MM-DD, 'week' keys the ISO week's Monday (YYYY-MM-DD), 'month' keys YYYY-MM.
// Tags are stored on TokenUsage as `tag.<name>` properties. Events without the tag
// (key null) get a row of their own.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
WITH u, c, u['tag.' + $key] AS key,
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

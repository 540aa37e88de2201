// name: cost_by_provider
// purpose: cost and tokens of each provider (the provider of the rate card the usage was priced with), per day, week or month
// params: $start, $end (datetimes; events with start <= timestamp < end), $bucket ('day' | 'week' | 'month', or null for one row per key over the whole range)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z');
//          :param bucket => null
// Money is integer nano-USD (divide by 1e9 for USD). Periods are UTC: 'day' keys are
// YYYY-MM-DD, 'week' keys the ISO week's Monday (YYYY-MM-DD), 'month' keys YYYY-MM.
// Events without one (key null) get a row of their own.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
WITH u, c, u.provider AS key,
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

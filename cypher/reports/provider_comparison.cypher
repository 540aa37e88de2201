// name: provider_comparison
// purpose: providers side by side over a time range: calls, tokens, cost, effective cost per million tokens, error rate and the models used
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// tokens counts every kind (input, output, cache reads and writes). nanousd_per_mtok is
// the cost per million tokens of every kind, in whole nano-USD rounded down, computed
// without overflowing 64-bit integers.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
WITH u.provider AS provider,
     count(u) AS events,
     sum(CASE u.status WHEN 'error' THEN 1 ELSE 0 END) AS errors,
     sum(c.total_nanousd) AS total_nanousd,
     sum(u.input_tokens) AS input_tokens,
     sum(u.output_tokens) AS output_tokens,
     sum(u.cache_read_tokens) AS cache_read_tokens,
     sum(u.cache_write_tokens) AS cache_write_tokens,
     collect(DISTINCT u.model_id) AS models
WITH *, input_tokens + output_tokens + cache_read_tokens + cache_write_tokens AS tokens
RETURN provider, events, errors, total_nanousd, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, tokens,
       CASE WHEN tokens > 0
         THEN (total_nanousd / tokens) * 1000000 + ((total_nanousd % tokens) * 1000000) / tokens
       END AS nanousd_per_mtok,
       models
ORDER BY total_nanousd DESC, provider

// name: cache_savings
// purpose: per model, what the cache-read tokens of a time range would have cost at the model's input price, what they did cost, and the difference saved
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// Each usage is PRICED_BY the Price version in force at its timestamp; Price nodes carry
// their rates as integer nano-USD per million tokens (input_nanos_per_mtok). Tokens are
// summed per price version, then priced in exact integer arithmetic (split at one million
// tokens so no product overflows 64 bits) and rounded half up to a nano-dollar. The
// base input rate is used (context tiers are ignored); batch discounts are left out of both.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end AND u.cache_read_tokens > 0
MATCH (u)-[:INCURRED]->(c:CostEntry)
MATCH (u)-[:PRICED_BY]->(price:Price)
WITH u.model_id AS model_id, price,
     sum(u.cache_read_tokens) AS tokens,
     sum(c.cache_read_nanousd) AS paid
WITH model_id, tokens, paid,
     (tokens / 1000000) * price.input_nanos_per_mtok
       + ((tokens % 1000000) * price.input_nanos_per_mtok + 500000) / 1000000 AS at_input
WITH model_id,
     sum(tokens) AS cache_read_tokens,
     sum(at_input) AS at_input_nanousd,
     sum(paid) AS cache_read_nanousd
RETURN model_id, cache_read_tokens, at_input_nanousd, cache_read_nanousd,
       at_input_nanousd - cache_read_nanousd AS saved_nanousd
ORDER BY saved_nanousd DESC, model_id

// name: project_invoice_lines
// purpose: one project's usage in a time range by model and price version (everything below the project in the tree): the lines of its invoice
// params: $project_id, $start, $end (UTC datetimes; usage with start <= timestamp < end)
// example: :param project_id => 'my-arpg'; :param start => datetime('2026-11-01T00:00:00Z');
//          :param end => datetime('2026-12-01T00:00:00Z')
// Money is integer nano-USD; list_nanousd is before batch discounts, total_nanousd after.
MATCH (:Project {id: $project_id})<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
RETURN u.provider AS provider,
       u.model_id AS model_id,
       u.price_version AS price_version,
       count(u) AS events,
       sum(u.input_tokens) AS input_tokens,
       sum(u.output_tokens) AS output_tokens,
       sum(u.cache_read_tokens) AS cache_read_tokens,
       sum(u.cache_write_tokens) AS cache_write_tokens,
       sum(c.total_nanousd + c.discount_nanousd) AS list_nanousd,
       sum(c.discount_nanousd) AS discount_nanousd,
       sum(c.total_nanousd) AS total_nanousd
ORDER BY provider, model_id, price_version

// name: run_totals
// purpose: cost and tokens recorded so far for each run (for per-run limits)
// params: $run_ids (list)
// example: :param run_ids => ['run-42']
UNWIND $run_ids AS run_id
MATCH (run:Run {id: run_id})<-[:IN_RUN]-(u:TokenUsage)-[:INCURRED]->(c:CostEntry)
RETURN run_id, sum(c.total_nanousd) AS nanos,
       sum(u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens) AS tokens

// name: any_budget
// purpose: whether any budget exists (ingestion skips window bookkeeping when none does)
// params: none
// example: paste into cypher-shell as is
MATCH (b:Budget)
RETURN count(b) > 0 AS present

// name: delete_usage
// purpose: delete one batch of usage older than the horizon that is already counted in the per-day sums (:Rolled), with its cost entries
// params: $horizon (datetime), $limit (usage per batch)
// example: :param horizon => datetime('2026-09-01T00:00:00Z'); :param limit => 10000
// Repeat until deleted = 0. Runs, tasks, projects and agents stay: the sums hang off them.
MATCH (u:TokenUsage:Rolled)
WHERE u.timestamp < $horizon
WITH u
LIMIT $limit
OPTIONAL MATCH (u)-[:INCURRED]->(c:CostEntry)
DETACH DELETE c, u
RETURN count(*) AS deleted

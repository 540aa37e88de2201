// name: spanning_windows
// purpose: the spend windows that start before a compaction horizon and end after it (a "total" window, or the day, week or month the horizon falls in)
// params: $horizon (datetime)
// example: :param horizon => datetime('2026-09-01T00:00:00Z')
MATCH (w:SpendWindow)
WHERE w.start < $horizon AND w.end > $horizon
RETURN w.id AS id, w.budget_id AS budget_id, w.start AS start, w.end AS end
ORDER BY id

// name: list_alerts
// purpose: alerts, newest first, filtered by level, budget and acknowledgement
// params: $level, $budget_id, $unacknowledged (true to keep only open alerts; each may be null), $limit
// example: :param level => null; :param budget_id => null; :param unacknowledged => true; :param limit => 100
MATCH (a:Alert)
WHERE ($level IS NULL OR a.level = $level)
  AND ($budget_id IS NULL OR a.budget_id = $budget_id)
  AND ($unacknowledged IS NULL OR $unacknowledged = false OR a.acknowledged = false)
RETURN a {.*} AS alert
ORDER BY a.created_at DESC, a.id
LIMIT $limit

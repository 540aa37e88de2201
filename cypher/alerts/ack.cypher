// name: ack
// purpose: acknowledge an alert
// params: $id, $by
// example: :param id => 'alr_1'; :param by => 'ops'
MATCH (a:Alert {id: $id})
SET a.acknowledged = true, a.acknowledged_at = coalesce(a.acknowledged_at, datetime()),
    a.acknowledged_by = coalesce(a.acknowledged_by, $by)
RETURN a {.*} AS alert

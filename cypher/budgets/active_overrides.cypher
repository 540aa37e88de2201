// name: active_overrides
// purpose: extra room granted by admins that is still in force, summed per budget
// params: $budget_ids (list), $now
// example: :param budget_ids => ['arpg-monthly']; :param now => datetime()
UNWIND $budget_ids AS budget_id
MATCH (o:Override {budget_id: budget_id})
WHERE o.expires_at > $now
RETURN budget_id, sum(o.amount_nanousd) AS nanos

// name: update_budget
// purpose: change a budget's limits, name, kind or thresholds (its scope and period stay)
// params: $id, $changes (map of Budget properties; a null value removes the property)
// example: :param id => 'arpg-monthly'; :param changes => {amount_nanousd: 400000000000}
MATCH (b:Budget {id: $id})
SET b += $changes, b.updated_at = datetime()
RETURN b.id AS id

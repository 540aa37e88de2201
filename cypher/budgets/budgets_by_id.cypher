// name: budgets_by_id
// purpose: budget properties for a list of ids
// params: $ids (list of strings)
// example: :param ids => ['arpg-monthly', 'games-monthly']
UNWIND $ids AS id
MATCH (b:Budget {id: id})
RETURN b {.*} AS budget

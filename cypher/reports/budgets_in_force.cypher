// name: budgets_in_force
// purpose: every budget with an amount and the scope it is ALLOCATED_TO (the inputs of the month-end forecast)
// params: none
// example: paste into cypher-shell as is
// Period and timezone default to month and UTC when a budget leaves them out.
MATCH (b:Budget)-[:ALLOCATED_TO]->(scope)
WHERE b.amount_nanousd IS NOT NULL
RETURN b.id AS budget_id,
       b.amount_nanousd AS amount_nanousd,
       coalesce(b.period, 'month') AS period,
       coalesce(b.timezone, 'UTC') AS timezone,
       [label IN labels(scope) WHERE label IN ['Platform', 'Team', 'Project', 'Task', 'Agent']][0]
         AS scope_kind,
       scope.id AS scope_id
ORDER BY budget_id

// name: budget_vs_actual
// purpose: budget vs actual down the PARENT_OF tree: each budget's amount, spent, reserved, remaining and % used in the window holding $at, with its children's spent summed next to it
// params: $at (datetime: the windows that contain it), $root (a budget id: it and every budget below it; null: every budget)
// example: :param at => datetime(); :param root => null
// Money is integer nano-USD; spent is the budget's SpendWindow, which counts everything under
// its scope and under its child budgets' scopes (roll-up over PART_OF*0.. and PARENT_OF*0..).
// A child budget may be over-allocated: children_spent may exceed what the parent allows.
// depth is 0 for a budget with no parent; rows come parents first.
MATCH (b:Budget)
WHERE $root IS NULL OR EXISTS { MATCH (:Budget {id: $root})-[:PARENT_OF*0..]->(b) }
OPTIONAL MATCH (b)-[:HAS_WINDOW]->(w:SpendWindow)
WHERE w.start <= $at AND w.end > $at
OPTIONAL MATCH (parent:Budget)-[:PARENT_OF]->(b)
CALL (b) {
  MATCH path = (top:Budget)-[:PARENT_OF*0..]->(b)
  WHERE NOT EXISTS { MATCH (:Budget)-[:PARENT_OF]->(top) }
  RETURN max(length(path)) AS depth
}
CALL (b) {
  OPTIONAL MATCH (b)-[:PARENT_OF]->(child:Budget)
  OPTIONAL MATCH (child)-[:HAS_WINDOW]->(cw:SpendWindow)
  WHERE cw.start <= $at AND cw.end > $at
  RETURN count(DISTINCT child) AS children, coalesce(sum(cw.spent_nanousd), 0) AS children_spent_nanousd
}
WITH b, w, parent, depth, children, children_spent_nanousd, coalesce(w.spent_nanousd, 0) AS spent
RETURN b.id AS budget_id,
       parent.id AS parent_id,
       depth,
       coalesce(b.period, 'month') AS period,
       coalesce(b.kind, 'hard') AS kind,
       w.start AS window_start,
       w.end AS window_end,
       b.amount_nanousd AS amount_nanousd,
       spent AS spent_nanousd,
       coalesce(w.reserved_nanousd, 0) AS reserved_nanousd,
       b.amount_nanousd - spent AS remaining_nanousd,
       CASE WHEN b.amount_nanousd > 0 THEN round(100.0 * spent / b.amount_nanousd, 2) END AS percent_used,
       children,
       children_spent_nanousd
ORDER BY depth, budget_id

// name: project_ids
// purpose: every project id known to the graph (limits' per-project defaults apply to each)
// params: none
// example: paste into cypher-shell as is
MATCH (p:Project)
RETURN collect(p.id) AS ids

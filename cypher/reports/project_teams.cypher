// name: project_teams
// purpose: every project and the team it belongs to (null when it hangs directly off the platform)
// params: none
// example: paste into cypher-shell as is
MATCH (project:Project)
OPTIONAL MATCH (project)-[:PART_OF*1..]->(team:Team)
RETURN project.id AS project_id, team.id AS team_id
ORDER BY project_id

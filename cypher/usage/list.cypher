// name: list
// purpose: recorded usage events, newest first, filtered, one page after a cursor
// params: $start, $end (datetimes or null), $project_id, $team_id, $agent_id, $task_id, $run_id,
//         $model, $provider (each may be null), $after_ts (datetime or null), $after_id, $limit
// example: :param start => null; :param end => null; :param project_id => 'my-arpg'; :param team_id => null;
//          :param agent_id => null; :param task_id => null; :param run_id => null; :param model => null;
//          :param provider => null; :param after_ts => null; :param after_id => null; :param limit => 50
MATCH (u:TokenUsage)-[:INCURRED]->(c:CostEntry)
WHERE ($start IS NULL OR u.timestamp >= $start)
  AND ($end IS NULL OR u.timestamp < $end)
  AND ($project_id IS NULL OR u.project_id = $project_id)
  AND ($team_id IS NULL OR u.team_id = $team_id)
  AND ($agent_id IS NULL OR u.agent_id = $agent_id)
  AND ($task_id IS NULL OR u.task_id = $task_id)
  AND ($run_id IS NULL OR u.run_id = $run_id)
  AND ($model IS NULL OR u.model_id = $model)
  AND ($provider IS NULL OR u.provider = $provider)
  AND ($after_ts IS NULL OR u.timestamp < $after_ts
       OR (u.timestamp = $after_ts AND u.event_id < $after_id))
RETURN u {.*} AS usage, c.total_nanousd AS total_nanousd
ORDER BY u.timestamp DESC, u.event_id DESC
LIMIT $limit

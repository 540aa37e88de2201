// name: cost_per_successful_task
// purpose: per project, what its tasks cost in a time range divided by the number of tasks that succeeded (failed tasks' spend is carried by the successful ones)
// params: $start, $end (datetimes; events with start <= timestamp < end)
// example: :param start => datetime('2026-11-01T00:00:00Z'); :param end => datetime('2026-12-01T00:00:00Z')
// A task succeeded when one of its runs has a successful Outcome; a task none of whose
// runs has an Outcome succeeded when none of its events in the range has status 'error'.
// Money is integer nano-USD; nanousd_per_successful_task is rounded down (null when no
// task succeeded). Tasks outside every project have project_id null.
MATCH (u:TokenUsage)
WHERE u.timestamp >= $start AND u.timestamp < $end
MATCH (u)-[:INCURRED]->(c:CostEntry)
MATCH (task:Task)<-[:PART_OF|FOR_TASK*0..]-()<-[:IN_RUN|ATTRIBUTED_TO]-(u)
WITH task,
     sum(c.total_nanousd) AS spent,
     sum(CASE u.status WHEN 'error' THEN 1 ELSE 0 END) AS errors
OPTIONAL MATCH (task)<-[:FOR_TASK]-(:Run)-[:HAS_OUTCOME]->(outcome:Outcome)
WITH task, spent, errors,
     count(outcome) AS outcomes,
     sum(CASE WHEN outcome.success THEN 1 ELSE 0 END) AS successes
WITH task, spent, CASE WHEN outcomes > 0 THEN successes > 0 ELSE errors = 0 END AS succeeded
OPTIONAL MATCH (task)-[:PART_OF*0..]->(project:Project)
WITH project.id AS project_id,
     count(task) AS tasks,
     sum(CASE WHEN succeeded THEN 1 ELSE 0 END) AS successful_tasks,
     sum(spent) AS total_nanousd
RETURN project_id, tasks, successful_tasks, total_nanousd,
       CASE WHEN successful_tasks > 0 THEN total_nanousd / successful_tasks END
         AS nanousd_per_successful_task
ORDER BY total_nanousd DESC, project_id

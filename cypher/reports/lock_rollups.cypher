// name: lock_rollups
// purpose: take the roll-up watermark's write lock for the rest of the transaction (so two refreshes never roll the same usage twice) and read it
// params: none
// example: paste into cypher-shell as is (inside :begin ... :commit it holds the lock until :commit)
// fresh_since: usage recorded at or after it and not yet :Rolled is read raw by the reports.
MERGE (state:RollupState {id: 'usage'})
SET state.locked_at = datetime()
RETURN coalesce(state.fresh_since, datetime('1970-01-01T00:00:00Z')) AS fresh_since

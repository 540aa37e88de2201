// name: advance_rollups
// purpose: move the roll-up watermark forward once every usage recorded before a time is rolled up; reports read usage recorded since fresh_since (and not :Rolled) raw
// params: $fresh_since (datetime: the refresh's cut-off minus a margin for transactions still committing)
// example: :param fresh_since => datetime() - duration({minutes: 2})
MERGE (state:RollupState {id: 'usage'})
SET state.fresh_since = CASE
      WHEN state.fresh_since IS NULL OR state.fresh_since < $fresh_since THEN $fresh_since
      ELSE state.fresh_since
    END,
    state.refreshed_at = datetime()
RETURN state.fresh_since AS fresh_since

// name: horizon
// purpose: the compaction horizon: usage before it has been rolled into per-day sums and deleted (null: nothing compacted yet)
// params: none
// example: paste into cypher-shell as is
OPTIONAL MATCH (state:RollupState {id: 'usage'})
RETURN state.compacted_before AS horizon

// name: window_carry
// purpose: what a window holds for usage compaction deleted, and the compaction horizon, to reconcile the window against the usage still kept
// params: $id (the window's id)
// example: :param id => 'arpg-total|1970-01-01T00:00:00+00:00'
OPTIONAL MATCH (state:RollupState {id: 'usage'})
OPTIONAL MATCH (w:SpendWindow {id: $id})
RETURN state.compacted_before AS horizon,
       w.spent_nanousd AS spent_nanousd,
       w.tokens AS tokens,
       coalesce(w.carried_nanousd, 0) AS carried_nanousd,
       coalesce(w.carried_tokens, 0) AS carried_tokens

// name: begin
// purpose: move the compaction horizon forward (never back) under the roll-up lock, returning the one before; from then on ingestion refuses usage older than the horizon
// params: $horizon (datetime: usage with an earlier timestamp is kept only as per-day sums)
// example: :param horizon => datetime('2026-09-01T00:00:00Z')
MERGE (state:RollupState {id: 'usage'})
SET state.locked_at = datetime()
WITH state, state.compacted_before AS previous
SET state.compacted_before = CASE
      WHEN previous IS NULL OR previous < $horizon THEN $horizon
      ELSE previous
    END
RETURN previous, state.compacted_before AS horizon

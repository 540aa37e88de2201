"""Usage ingestion: priced, exactly-once, into the graph."""

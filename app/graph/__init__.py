"""Graph infrastructure: the driver, the embedded Neo4j and the Cypher query loader."""

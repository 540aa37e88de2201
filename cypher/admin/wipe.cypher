// name: wipe
// purpose: delete every node and relationship (tests and benchmarks only; use small graphs)
// params: none
// example: paste into cypher-shell as is -- it empties the database
MATCH (n)
DETACH DELETE n

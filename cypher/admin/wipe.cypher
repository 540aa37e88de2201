// name: wipe
// purpose: delete every node and relationship (tests and `costgraph reset` only)
// params: none
// example: paste into cypher-shell as is -- it empties the database
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS

// name: ping
// purpose: a statement that reads nothing: the cost of one round trip and transaction, for
//          measuring the floor under every other query
// params: none
// example: paste into cypher-shell as is
RETURN 1 AS ok

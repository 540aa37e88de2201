// name: constraint_names
// purpose: names of the constraints that exist, to tell whether schema.cypher was applied
// params: none
// example: paste into cypher-shell as is
SHOW CONSTRAINTS YIELD name
RETURN collect(name) AS names

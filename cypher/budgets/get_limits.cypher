// name: get_limits
// purpose: the limits configuration last applied, as JSON text
// params: none
// example: paste into cypher-shell as is
OPTIONAL MATCH (c:LimitsConfig {id: 'limits'})
RETURN c.config AS config

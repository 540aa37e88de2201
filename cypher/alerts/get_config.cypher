// name: get_config
// purpose: the alert configuration (thresholds, channels) as JSON text
// params: none
// example: paste into cypher-shell as is
OPTIONAL MATCH (c:AlertConfig {id: 'alerts'})
RETURN c.config AS config

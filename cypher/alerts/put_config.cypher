// name: put_config
// purpose: replace the alert configuration
// params: $config (JSON text)
// example: :param config => '{"thresholds": [50, 80, 95]}'
MERGE (c:AlertConfig {id: 'alerts'})
SET c.config = $config, c.updated_at = datetime()
RETURN c.config AS config

// name: put_limits
// purpose: keep the limits configuration as applied (the budgets it stands for are written separately)
// params: $config (JSON text)
// example: :param config => '{"global": {"max_cost_per_month": "500.00"}}'
MERGE (c:LimitsConfig {id: 'limits'})
SET c.config = $config, c.updated_at = datetime()
RETURN c.config AS config

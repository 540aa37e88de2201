// Constraints and indexes of the Costgraph graph model (DESIGN.md "Graph model").
// Applied statement by statement at startup and by `costgraph migrate`; every
// statement is idempotent (IF NOT EXISTS). Each MERGE the app runs is on one of
// these keys, so it is an index seek, never a label scan.

// Organisation tree
CREATE CONSTRAINT platform_id IF NOT EXISTS FOR (n:Platform) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT task_id IF NOT EXISTS FOR (n:Task) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT run_id IF NOT EXISTS FOR (n:Run) REQUIRE n.id IS UNIQUE;

// Agents, providers, models and prices
CREATE CONSTRAINT agent_id IF NOT EXISTS FOR (n:Agent) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT provider_id IF NOT EXISTS FOR (n:Provider) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT model_id IF NOT EXISTS FOR (n:Model) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT price_version IF NOT EXISTS FOR (n:Price) REQUIRE n.version IS UNIQUE;
CREATE INDEX price_model IF NOT EXISTS FOR (n:Price) ON (n.model_id, n.effective_from);

// The ledger
CREATE CONSTRAINT usage_event_id IF NOT EXISTS FOR (n:TokenUsage) REQUIRE n.event_id IS UNIQUE;
CREATE CONSTRAINT cost_event_id IF NOT EXISTS FOR (n:CostEntry) REQUIRE n.event_id IS UNIQUE;
CREATE INDEX usage_timestamp IF NOT EXISTS FOR (n:TokenUsage) ON (n.timestamp);
CREATE INDEX usage_day IF NOT EXISTS FOR (n:TokenUsage) ON (n.day);

// Budgets, spend windows, reservations, alerts, keys
CREATE CONSTRAINT budget_id IF NOT EXISTS FOR (n:Budget) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT window_id IF NOT EXISTS FOR (n:SpendWindow) REQUIRE n.id IS UNIQUE;
CREATE INDEX window_budget IF NOT EXISTS FOR (n:SpendWindow) ON (n.budget_id, n.start);
CREATE CONSTRAINT reservation_id IF NOT EXISTS FOR (n:Reservation) REQUIRE n.id IS UNIQUE;
CREATE INDEX reservation_expiry IF NOT EXISTS FOR (n:Reservation) ON (n.state, n.expires_at);
CREATE CONSTRAINT override_id IF NOT EXISTS FOR (n:Override) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT alert_id IF NOT EXISTS FOR (n:Alert) REQUIRE n.id IS UNIQUE;
CREATE INDEX alert_level IF NOT EXISTS FOR (n:Alert) ON (n.level, n.acknowledged);
CREATE CONSTRAINT api_key_hash IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.hash IS UNIQUE;

// Evolution
CREATE CONSTRAINT outcome_run_id IF NOT EXISTS FOR (n:Outcome) REQUIRE n.run_id IS UNIQUE;

// Retention aggregates
CREATE CONSTRAINT daily_usage_id IF NOT EXISTS FOR (n:DailyUsage) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT catalog_meta_id IF NOT EXISTS FOR (n:CatalogMeta) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT alert_config_id IF NOT EXISTS FOR (n:AlertConfig) REQUIRE n.id IS UNIQUE;

// Evolution: the one node whose lock serialises lineage registrations
CREATE CONSTRAINT lineage_lock_id IF NOT EXISTS FOR (n:LineageLock) REQUIRE n.id IS UNIQUE;
CREATE INDEX override_budget IF NOT EXISTS FOR (n:Override) ON (n.budget_id);
CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT limits_config_id IF NOT EXISTS FOR (n:LimitsConfig) REQUIRE n.id IS UNIQUE;
CREATE INDEX delivery_at IF NOT EXISTS FOR (n:Delivery) ON (n.at);

// Report roll-ups: per-day sums of usage by the node it hangs off, by agent and by model
// (cypher/reports/roll_usage.cypher), and the watermark of what they hold.
CREATE CONSTRAINT anchor_day_id IF NOT EXISTS FOR (n:AnchorDay) REQUIRE n.id IS UNIQUE;
CREATE INDEX anchor_day_start IF NOT EXISTS FOR (n:AnchorDay) ON (n.start);
CREATE CONSTRAINT agent_day_id IF NOT EXISTS FOR (n:AgentDay) REQUIRE n.id IS UNIQUE;
CREATE INDEX agent_day_start IF NOT EXISTS FOR (n:AgentDay) ON (n.start);
CREATE CONSTRAINT model_day_id IF NOT EXISTS FOR (n:ModelDay) REQUIRE n.id IS UNIQUE;
CREATE INDEX model_day_start IF NOT EXISTS FOR (n:ModelDay) ON (n.start);
CREATE CONSTRAINT rollup_state_id IF NOT EXISTS FOR (n:RollupState) REQUIRE n.id IS UNIQUE;
CREATE INDEX usage_recorded_at IF NOT EXISTS FOR (n:TokenUsage) ON (n.recorded_at);

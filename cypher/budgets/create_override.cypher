// name: create_override
// purpose: grant a budget temporary extra room; the node is the audit record (who, why, until when)
// params: $override (map: id, budget_id, amount_nanousd, expires_at, reason, granted_by)
// example: :param override => {id: 'ovr_1', budget_id: 'arpg-monthly', amount_nanousd: 50000000000,
//            expires_at: datetime() + duration('P1D'), reason: 'release week', granted_by: 'admin'}
MATCH (b:Budget {id: $override.budget_id})
CREATE (o:Override)
SET o = $override, o.created_at = datetime()
CREATE (o)-[:EXTENDS]->(b)
RETURN o {.*} AS override

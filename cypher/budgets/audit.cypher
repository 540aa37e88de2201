// name: audit
// purpose: record a decision that needs an audit trail (a critical-priority bypass, an override used)
// params: $entry (map: id, action, principal, detail, budget_ids)
// example: :param entry => {id: 'aud_1', action: 'critical_bypass', principal: 'ci', detail: '...', budget_ids: ['b']}
CREATE (a:AuditEntry)
SET a = $entry, a.at = datetime()
RETURN a.id AS id

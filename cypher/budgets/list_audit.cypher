// name: list_audit
// purpose: the audit trail, newest first
// params: $limit
// example: :param limit => 50
MATCH (a:AuditEntry)
RETURN a {.*} AS entry
ORDER BY a.at DESC
LIMIT $limit

// name: find_key
// purpose: look up an API key by its hash
// params: $hash
// example: :param hash => 'ab12...'
MATCH (k:ApiKey {hash: $hash})
WHERE k.revoked_at IS NULL
RETURN k.name AS name, k.scopes AS scopes

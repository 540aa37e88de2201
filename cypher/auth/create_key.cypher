// name: create_key
// purpose: store a new API key (its SHA-256 hash only) with its scopes
// params: $hash, $name, $scopes (list of strings)
// example: :param hash => 'ab12...'; :param name => 'ci'; :param scopes => ['ingest']
CREATE (k:ApiKey {hash: $hash, name: $name, scopes: $scopes, created_at: datetime()})
RETURN k.name AS name

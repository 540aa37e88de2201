// name: bump_revision
// purpose: mark the price catalog as changed so every replica reloads its cached copy
// params: none
// example: paste into cypher-shell as is
MERGE (meta:CatalogMeta {id: 'catalog'})
SET meta.revision = coalesce(meta.revision, 0) + 1, meta.updated_at = datetime()
RETURN meta.revision AS revision

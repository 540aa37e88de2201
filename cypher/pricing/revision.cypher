// name: revision
// purpose: the catalog's revision number (0 before any price was added)
// params: none
// example: paste into cypher-shell as is
OPTIONAL MATCH (meta:CatalogMeta {id: 'catalog'})
RETURN coalesce(meta.revision, 0) AS revision

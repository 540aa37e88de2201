// name: lock_lineage
// purpose: take the write lock that serialises lineage registrations until the transaction ends
// params: $lock_id (string, always 'lineage' in the app)
// example: :param lock_id => 'lineage'   then, inside one transaction, paste this and then register_agent
//
// A cycle check reads paths that two concurrent registrations may each extend,
// so checking under per-agent locks is not enough (A<-B and B<-A registered at
// once would both pass). Registrations are rare, so they share one lock node.
// SET then REMOVE leaves the node unchanged but holds its write lock.
MERGE (lock:LineageLock {id: $lock_id})
SET lock.held = true
REMOVE lock.held
RETURN lock.id AS lock_id

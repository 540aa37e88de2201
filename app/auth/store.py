"""API keys in the graph."""

from __future__ import annotations

import neo4j

from app.auth.model import Principal, key_hash
from app.graph.queries import cypher


def create_key(
    tx: neo4j.ManagedTransaction, *, key: str, name: str, scopes: frozenset[str]
) -> None:
    statement = cypher("auth/create_key")
    tx.run(statement, hash=key_hash(key), name=name, scopes=sorted(scopes)).consume()


def find_principal(driver: neo4j.Driver, key: str, database: str | None) -> Principal | None:
    records, _, _ = driver.execute_query(
        cypher("auth/find_key"),
        hash=key_hash(key),
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    if not records:
        return None
    return Principal(records[0]["name"], frozenset(records[0]["scopes"]))

"""One connection path: NEO4J_URI when set, otherwise the embedded Neo4j."""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Concatenate, ParamSpec, TypeVar

import neo4j
from neo4j.exceptions import ClientError, Neo4jError, ResultFailedError, ServiceUnavailable

from app import hostlock
from app.graph.embedded import EmbeddedNeo4j, wait_for_bolt
from app.graph.queries import cypher, schema_statements
from app.settings import Settings

logger = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")
_CONSTRAINT_NAME = re.compile(r"CREATE\s+CONSTRAINT\s+(\w+)", re.IGNORECASE)
EQUIVALENT_RULE_EXISTS = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"


@dataclass(frozen=True)
class Connection:
    uri: str
    auth: tuple[str, str] | None
    database: str | None
    embedded: EmbeddedNeo4j | None
    started_here: bool

    def close(self) -> None:
        """Stop the embedded server if this connection started it."""
        if self.embedded is not None and self.started_here:
            self.embedded.stop()


def embedded_from(settings: Settings) -> EmbeddedNeo4j:
    return EmbeddedNeo4j(
        settings.data_dir,
        settings.cache_dir,
        settings.neo4j_version,
        heap=settings.neo4j_heap,
        pagecache=settings.neo4j_pagecache,
        port=settings.neo4j_bolt_port,
        start_timeout_s=settings.neo4j_start_timeout_s,
    )


def connect(settings: Settings) -> Connection:
    """Find the Neo4j to use, starting the embedded one when no NEO4J_URI is set."""
    if settings.neo4j_uri:
        password = settings.neo4j_password.get_secret_value()
        auth = (settings.neo4j_user, password) if password else None
        wait_for_bolt(settings.neo4j_uri, settings.neo4j_start_timeout_s, auth)
        return Connection(settings.neo4j_uri, auth, settings.neo4j_database, None, False)
    embedded = embedded_from(settings)
    uri, started = embedded.start()
    logger.info(
        "embedded Neo4j %s on %s (%s)",
        settings.neo4j_version,
        uri,
        "started" if started else "already running",
    )
    return Connection(uri, None, settings.neo4j_database, embedded, started)


# Writers that meet on the same budget windows can deadlock; Neo4j then fails one of
# them and the driver retries it. Under heavy contention that can take more than the
# driver's default 30 s, so allow longer before giving up.
MAX_RETRY_TIME_S = 120.0


def make_driver(uri: str, auth: tuple[str, str] | None) -> neo4j.Driver:
    """The one way the app (and its tests) configure a driver."""
    return neo4j.GraphDatabase.driver(
        uri,
        auth=auth,
        notifications_min_severity="OFF",
        max_transaction_retry_time=MAX_RETRY_TIME_S,
    )


# When a statement fails with a transient error (a deadlock) while its records are being
# read, the driver can report the rollback that follows as ResultFailedError, which it
# does not retry itself. The cause is still transient, so the work is run again.
RESULT_FAILED_RETRIES = 10


def _transient_cause(error: ResultFailedError) -> bool:
    cause = error.__cause__
    return isinstance(cause, Neo4jError) and cause.is_retryable()


def _retrying(
    run: Callable[..., R],
    work: Callable[Concatenate[neo4j.ManagedTransaction, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    for attempt in range(1, RESULT_FAILED_RETRIES + 1):
        try:
            return run(work, *args, **kwargs)
        except ResultFailedError as error:
            if attempt == RESULT_FAILED_RETRIES or not _transient_cause(error):
                raise
            logger.info("transaction failed on a transient error; retry %d: %s", attempt, error)
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")


# Usage, reservations, settlements and budget changes all write the same few hot nodes: a
# project's spend window, its agent, the price in force. Neo4j locks them correctly, but
# writers that each hold a shared lock (a MERGE or a unique-key lookup in a writing query) and
# then need the exclusive one deadlock; Neo4j fails one of them and the driver retries it
# after a back-off of about a second. The writers of one process, and of the worker
# processes of one `serve`, queue instead, which costs nothing on a server whose writers
# would serialise on those locks anyway; across hosts the database's locks and the retries
# still order them. The turn covers a transaction's statements, not its commit, so the next
# writer's statements run while the last one commits (a third of a usage batch's time). A
# commit may still take locks (of busy nodes' relationship chains); should the next writer
# hold one, Neo4j fails one of the two and it is retried, and a batch that meets an event
# id the last one is committing fails on the uniqueness constraint and is run again.
class WriteTurn:
    """One writer at a time: among this process's threads, and, once ``share_with_host``
    names a lock file, among the processes that use that file. Re-entrant per thread."""

    def __init__(self) -> None:
        self._threads = threading.RLock()
        self._depth = 0  # the holding thread's nesting; only it reads or writes this
        self._host: BinaryIO | None = None

    def share_with_host(self, path: Path) -> None:
        """Take turns also with every process that shares the lock file at ``path``."""
        with self._threads:
            if self._host is None:
                self._host = hostlock.open_lock_file(path)

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._depth == 0 and self._host is not None:
            try:
                hostlock.wait_for(self._host)
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1

    def __exit__(self, *exc_info: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._host is not None:
            hostlock.release(self._host)
        self._threads.release()


WRITE_TURN = WriteTurn()


def write_tx(
    session: neo4j.Session,
    work: Callable[Concatenate[neo4j.ManagedTransaction, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``session.execute_write`` with its statements in the write turn (the commit follows
    outside it), also retrying what failed on a transient error."""

    def in_turn(tx: neo4j.ManagedTransaction) -> R:
        with WRITE_TURN:
            return work(tx, *args, **kwargs)

    return _retrying(session.execute_write, in_turn)


def read_tx(
    session: neo4j.Session,
    work: Callable[Concatenate[neo4j.ManagedTransaction, P], R],
    *args: P.args,
    **kwargs: P.kwargs,
) -> R:
    """``session.execute_read`` that also retries what failed on a transient error."""
    return _retrying(session.execute_read, work, *args, **kwargs)


def open_driver(connection: Connection) -> neo4j.Driver:
    driver = make_driver(connection.uri, connection.auth)
    driver.verify_connectivity()
    return driver


def apply_schema(driver: neo4j.Driver, database: str | None = None) -> int:
    """Create every constraint and index of cypher/schema.cypher; idempotent."""
    statements = schema_statements()
    for statement in statements:
        # Schema changes cannot share a transaction with each other or with data writes.
        try:
            driver.execute_query(statement, database_=database)
        except ClientError as error:
            # Another process (a worker or replica starting at the same moment) created
            # the same rule between this statement's check and its creation.
            if error.code != EQUIVALENT_RULE_EXISTS:
                raise
    return len(statements)


def expected_constraints() -> set[str]:
    return {
        match.group(1)
        for statement in schema_statements()
        if (match := _CONSTRAINT_NAME.search(statement))
    }


def schema_ready(driver: neo4j.Driver, database: str | None = None) -> bool:
    """Neo4j answers and every constraint of schema.cypher exists."""
    try:
        records, _, _ = driver.execute_query(
            cypher("admin/constraint_names"),
            database_=database,
            routing_=neo4j.RoutingControl.READ,
        )
    except (ServiceUnavailable, Neo4jError, OSError):
        return False
    present = set(records[0]["names"]) if records else set()
    return expected_constraints() <= present

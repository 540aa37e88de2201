"""write_tx: one writer of the process at a time, and work that failed on a transient error
mid-result is run again (the driver itself gives up on it)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import neo4j
import pytest
from neo4j.exceptions import ClientError, ResultFailedError, TransientError

from app.graph import driver as graph_driver
from app.graph.driver import write_tx

pytestmark = pytest.mark.neo4j

COUNT = "MATCH (n:WriteTxProbe) RETURN count(n) AS n"


def _count(graph: neo4j.Driver) -> int:
    records, _, _ = graph.execute_query(COUNT)
    return int(records[0]["n"])


def test_writers_of_one_process_never_overlap(graph: neo4j.Driver) -> None:
    inside = 0
    most = 0
    guard = threading.Lock()

    def work(tx: neo4j.ManagedTransaction, i: int) -> None:
        nonlocal inside, most
        with guard:
            inside += 1
            most = max(most, inside)
        tx.run("CREATE (:WriteTxProbe {i: $i})", i=i).consume()
        time.sleep(0.01)
        with guard:
            inside -= 1

    def one(i: int) -> None:
        with graph.session() as session:
            write_tx(session, work, i)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, range(24)))
    assert most == 1
    assert _count(graph) == 24


def test_work_failed_by_a_transient_error_mid_result_runs_again(graph: neo4j.Driver) -> None:
    attempts = 0

    def work(tx: neo4j.ManagedTransaction) -> int:
        nonlocal attempts
        attempts += 1
        tx.run("CREATE (:WriteTxProbe)").consume()
        if attempts == 1:
            # What the driver raises when a deadlock ends a result it was reading.
            raise ResultFailedError(None, "result failed") from TransientError("deadlock")
        return attempts

    with graph.session() as session:
        assert write_tx(session, work) == 2
    # The failed attempt was rolled back: one node, not two.
    assert _count(graph) == 1


def _attempts_until_given_up(graph: neo4j.Driver, cause: Exception) -> int:
    """Run work that always fails with a result failed by ``cause``; how often it ran."""
    attempts = 0

    def work(tx: neo4j.ManagedTransaction) -> None:
        nonlocal attempts
        attempts += 1
        raise ResultFailedError(None, "result failed") from cause

    with graph.session() as session, pytest.raises(ResultFailedError):
        write_tx(session, work)
    return attempts


def test_a_result_failed_for_a_lasting_reason_is_not_retried(graph: neo4j.Driver) -> None:
    assert _attempts_until_given_up(graph, ClientError("bad statement")) == 1


def test_retries_stop_after_their_limit(
    graph: neo4j.Driver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_driver, "RESULT_FAILED_RETRIES", 3)
    assert _attempts_until_given_up(graph, TransientError("deadlock")) == 3

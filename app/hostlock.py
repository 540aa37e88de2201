"""Exclusive locks shared by the processes of one host, as `flock` on a lock file.

`costgraph serve --workers N` runs N processes on one Neo4j: their writers take turns
through one lock file (see `app.graph.driver.WriteTurn`), and one of them runs the
upkeep jobs. A lock belongs to the open file, so the operating system releases it when
its process ends, however it ends.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import BinaryIO


def open_lock_file(path: Path) -> BinaryIO:
    """The lock file at ``path`` (created if missing), opened for locking."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")


def hold_if_free(path: Path) -> BinaryIO | None:
    """Take the lock at ``path`` for as long as the returned file stays open, or return
    None at once when another process holds it."""
    lock = open_lock_file(path)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        return None
    return lock


def wait_for(lock: BinaryIO) -> None:
    """Block until this process holds the lock."""
    fcntl.flock(lock, fcntl.LOCK_EX)


def release(lock: BinaryIO) -> None:
    fcntl.flock(lock, fcntl.LOCK_UN)

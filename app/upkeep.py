"""The work `serve` does on its own, on one daemon thread: roll new usage into the per-day
sums and raise the forecast and anomaly alerts every few minutes, compact once a day.

Reports are identical with or without it; it keeps them fast, the graph small and the
alerts current. Several replicas may run it at once: roll-ups and compaction take the
roll-up lock in the graph, and each alert fires once whoever raises it."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime

import neo4j

from app.alerts import watch
from app.alerts.delivery import Dispatcher
from app.alerts.store import load_config
from app.reports.retention import DEFAULT_POLICY, Policy, compact
from app.reports.store import refresh_rollups

logger = logging.getLogger(__name__)


class UpkeepJob:
    """At start and then every ``rollup_every_s``: roll-ups, then alerts; at start and
    then every ``compact_every_s``: compaction (which rolls up first). 0 turns either off."""

    def __init__(
        self,
        driver: neo4j.Driver,
        database: str | None,
        *,
        rollup_every_s: float,
        compact_every_s: float = 0,
        policy: Policy = DEFAULT_POLICY,
        dispatcher: Dispatcher | None = None,
    ) -> None:
        self.driver = driver
        self.database = database
        self.rollup_every_s = rollup_every_s
        self.compact_every_s = compact_every_s
        self.policy = policy
        self.dispatcher = dispatcher
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.rollup_every_s > 0 or self.compact_every_s > 0:
            self._thread = threading.Thread(target=self._run, name="upkeep", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        tick = min(s for s in (self.rollup_every_s, self.compact_every_s) if s > 0)
        # Both run at once: usage recorded while no service ran (an import, a restart)
        # would otherwise be read event by event until the first tick, and a service
        # restarted more often than once a day would never compact.
        last_rollup = last_compact = -math.inf
        wait = 0.0
        while not self._stop.wait(wait):
            wait = tick
            now = time.monotonic()
            try:
                compacted = False
                if self.compact_every_s > 0 and now - last_compact >= self.compact_every_s:
                    last_compact = now
                    done = compact(
                        self.driver,
                        now=datetime.now(UTC),
                        policy=self.policy,
                        database=self.database,
                    )
                    compacted = True
                    logger.info("compacted %d usage events before %s", done.deleted, done.horizon)
                if self.rollup_every_s > 0 and now - last_rollup >= self.rollup_every_s:
                    last_rollup = now
                    # Compaction has just rolled everything up; only the alerts are left.
                    self.refresh(roll=not compacted)
            except neo4j.exceptions.Neo4jError:
                logger.exception("upkeep failed; trying again at the next tick")

    def refresh(self, *, roll: bool = True) -> None:
        """Roll new usage up (unless ``roll`` is false), then raise and send the alerts due."""
        if roll:
            rolled = refresh_rollups(self.driver, now=datetime.now(UTC), database=self.database)
            logger.info("rolled %d usage events into daily sums", rolled)
        fired = watch.raise_alerts(self.driver, datetime.now(UTC), self.database)
        if fired and self.dispatcher is not None:
            self.dispatcher.dispatch(load_config(self.driver, self.database), fired, None)

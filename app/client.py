"""A small client for orchestrators: record usage, check, reserve and settle.

    from app.client import Costgraph
    cg = Costgraph("http://127.0.0.1:8000", "cg_...")
    cg.record(event_id="run-42-call-7", model="claude-sonnet-4-5",
              input_tokens=1200, output_tokens=350, run_id="run-42")

Retrying is safe: every event carries an `event_id`, and the server records an
event id once, so a request that timed out can be sent again unchanged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

logger = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({429, 502, 503, 504})


class CostgraphError(RuntimeError):
    """The server refused a request; `problem` holds its RFC 9457 body."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title', '')}: {problem.get('detail', '')}")
        self.status = status
        self.problem = dict(problem)


class Costgraph:
    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout_s: float = 10.0,
        retries: int = 4,
        backoff_s: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._http = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {key}"},
            timeout=timeout_s,
            transport=transport,
        )
        self.retries = retries
        self.backoff_s = backoff_s

    def __enter__(self) -> Costgraph:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError:
                if attempt == self.retries:
                    raise
                logger.warning("%s %s failed; retrying", method, path)
            else:
                if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                    break
                retry_after = response.headers.get("Retry-After")
                if retry_after and retry_after.isdigit():
                    time.sleep(float(retry_after))
                    continue
            time.sleep(self.backoff_s * 2**attempt)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise CostgraphError(response.status_code, problem)
        return response.json() if response.content else None

    def record(self, **event: Any) -> dict[str, Any]:
        """Record one usage event (must carry `event_id`); returns its priced result."""
        answer: dict[str, Any] = self._request("POST", "/v1/usage", json=event)
        return answer

    def record_many(self, events: Iterable[Mapping[str, Any]], chunk: int = 1000) -> dict[str, Any]:
        """Record events in batches of `chunk`; returns the combined answer."""
        total: dict[str, Any] = {"accepted": 0, "duplicates": 0, "results": []}
        batch: list[Mapping[str, Any]] = []
        for event in events:
            batch.append(event)
            if len(batch) == chunk:
                self._merge(total, self._request("POST", "/v1/usage", json={"events": batch}))
                batch = []
        if batch:
            self._merge(total, self._request("POST", "/v1/usage", json={"events": batch}))
        return total

    @staticmethod
    def _merge(total: dict[str, Any], answer: Mapping[str, Any]) -> None:
        total["accepted"] += answer["accepted"]
        total["duplicates"] += answer["duplicates"]
        total["results"].extend(answer["results"])

    def summary(self, period: str = "month", **filters: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._request(
            "GET", "/v1/usage/summary", params={"period": period, **filters}
        )
        return answer

    def check(self, **request: Any) -> dict[str, Any]:
        """May this be spent now? (`model` + estimated tokens, or `amount_usd`)."""
        answer: dict[str, Any] = self._request("POST", "/v1/checks", json=request)
        return answer

    def reserve(self, **request: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._request("POST", "/v1/reservations", json=request)
        return answer

    def settle(self, reservation_id: str, **event: Any) -> dict[str, Any]:
        answer: dict[str, Any] = self._request(
            "POST", f"/v1/reservations/{reservation_id}/settle", json=event
        )
        return answer

    def release(self, reservation_id: str) -> None:
        self._request("DELETE", f"/v1/reservations/{reservation_id}")

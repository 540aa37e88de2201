"""Domain errors and their RFC 9457 problem-details form.

Every error the service returns is `application/problem+json` with a stable
`type` URI; clients branch on `type`, never on `title` or `detail`.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_BASE = "https://costgraph.dev/problems/"


class DomainError(Exception):
    """Root of every error the service turns into a problem response."""

    status: ClassVar[int] = 400
    type_: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.type_,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(DomainError):
    status = 422
    type_ = "invalid-input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    type_ = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type_ = "conflict"
    title = "Conflict"


class UnknownModel(DomainError):
    status = 422
    type_ = "unknown-model"
    title = "Unknown model"


class BudgetExceeded(DomainError):
    status = 402
    type_ = "budget-exceeded"
    title = "Budget exceeded"


class TooManyRuns(DomainError):
    status = 429
    type_ = "too-many-runs"
    title = "Too many concurrent runs"


class Unauthorized(DomainError):
    status = 401
    type_ = "unauthorized"
    title = "Unauthorized"


class Forbidden(DomainError):
    status = 403
    type_ = "forbidden"
    title = "Forbidden"


class Unavailable(DomainError):
    status = 503
    type_ = "unavailable"
    title = "Service unavailable"

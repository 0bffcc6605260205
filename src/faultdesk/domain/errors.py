"""The domain's errors. Each carries a stable code; entry points map them to HTTP/CLI once.

DomainError
 ├── NotFound            the thing asked for does not exist (or is not visible to the caller)
 ├── NotAuthenticated    no or bad credentials
 ├── NotPermitted        the caller's role may not do this
 ├── Conflict            the request clashes with current state (duplicate name, …)
 ├── InvalidTransition   the fault's state does not allow this action
 ├── StaleVersion        If-Match names an old version of the fault
 ├── Throttled           too many attempts: come back after ``retry_after_s`` seconds
 └── RuleViolation       input breaks a business rule; names the fields and the reasons (zh/en)
"""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, message_zh: str | None = None, **data: object) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message
        self.data = data  # machine-readable detail for the client (e.g. the allowed actions)


class NotFound(DomainError):
    code = "not_found"


class NotAuthenticated(DomainError):
    code = "not_authenticated"


class NotPermitted(DomainError):
    code = "not_permitted"


class Conflict(DomainError):
    code = "conflict"


class InvalidTransition(DomainError):
    code = "fault.invalid_transition"


class StaleVersion(DomainError):
    """The caller's If-Match names a version of the fault that is no longer current."""

    code = "fault.stale_version"


class Throttled(DomainError):
    """Too many attempts of one kind from one caller; ``retry_after_s`` is the real wait: an
    attempt made that many seconds later is let in (unless others spent the allowance meanwhile)."""

    code = "rate_limited"

    def __init__(self, message: str, message_zh: str, *, wait_s: float) -> None:
        self.retry_after_s = int(wait_s) + 1  # whole seconds, and strictly after the wait
        super().__init__(message, message_zh, retry_after=self.retry_after_s)


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason_en: str
    reason_zh: str


class RuleViolation(DomainError):
    code = "validation_error"

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(
            "; ".join(f"{p.field}: {p.reason_en}" for p in problems),
            "；".join(f"{p.field}：{p.reason_zh}" for p in problems),
        )
        self.problems = problems

    @classmethod
    def one(cls, field: str, reason_en: str, reason_zh: str) -> RuleViolation:
        return cls([FieldProblem(field, reason_en, reason_zh)])

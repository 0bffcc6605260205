"""A refusal in the caller's words, for every entry point: the HTTP status of each domain error,
the reasons of bad input by field (pydantic's or a domain rule's), and the message. The API puts
them in its envelope (api/errors.py), the pages beside their fields."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from faultdesk.domain.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    NotPermitted,
    RuleViolation,
    StaleVersion,
    Throttled,
)
from faultdesk.entrypoints.common.i18n import reason_zh

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    NotAuthenticated: 401,
    NotPermitted: 403,
    Conflict: 409,
    InvalidTransition: 409,
    StaleVersion: 412,
    Throttled: 429,
    RuleViolation: 422,
}

Reasons = dict[str, str]


def status_of(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def said(exc: DomainError, lang: str) -> str:
    """The error's message in the page's language."""
    return exc.message if lang == "en" else exc.message_zh


def first_part(loc: tuple[Any, ...]) -> str:
    """A form's field: the first part of pydantic's location (``notes``, not ``notes.0``)."""
    return str(loc[0]) if loc else "form"


def reasons(
    exc: ValidationError | RuleViolation | Iterable[FieldProblem],
    lang: str,
    *,
    name: Callable[[tuple[Any, ...]], str] = first_part,
    plain: Mapping[str, tuple[str, str]] | None = None,
    joined: Collection[str] = (),
) -> Reasons:
    """Field -> the first reason it has, in the page's language. ``plain``: pydantic error types
    said in words of one's own (a reporter's page), (zh, en); ``joined``: fields that say every
    reason they have (the attachments: each file's problem)."""
    found: Reasons = {}
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            msg = str(e.get("msg", "invalid"))
            if plain and e["type"] in plain:
                zh, en = plain[e["type"]]
                reason = en if lang == "en" else zh
            else:
                reason = msg if lang == "en" else reason_zh(str(e.get("type", "")), e.get("ctx"), msg)
            found.setdefault(name(tuple(e.get("loc", ()))), reason)
        return found
    for p in exc.problems if isinstance(exc, RuleViolation) else exc:
        reason = p.reason_en if lang == "en" else p.reason_zh
        if p.field in joined and p.field in found:
            found[p.field] += ("; " if lang == "en" else "；") + reason
        else:
            found.setdefault(p.field, reason)
    return found

"""Desk: everything a use case needs from the outside, wired once by bootstrap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faultdesk.domain.calendars import BusinessCalendar
from faultdesk.domain.clock import Clock
from faultdesk.domain.numbering import NumberFormat
from faultdesk.domain.severity import SeverityRules
from faultdesk.domain.sla import ClockPolicy
from faultdesk.services.ports import PasswordHasher, Renderer, Secrets, UnitOfWork


class CalendarCache:
    """The organisation's calendar overrides, kept for a short while: every report starts a
    business-hours clock, and two SELECTs per report for data that changes a few times a year
    cost more than the report's own INSERT. Changes made here clear it at once; other
    processes see them within ``ttl_s``."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._value: BusinessCalendar | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def get(self, load: Callable[[], BusinessCalendar]) -> BusinessCalendar:
        with self._lock:
            if self._value is None or time.monotonic() >= self._expires:
                self._value = load()
                self._expires = time.monotonic() + self.ttl_s
            return self._value

    def clear(self) -> None:
        with self._lock:
            self._value = None


@dataclass(frozen=True)
class Desk:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    secrets: Secrets
    passwords: PasswordHasher
    numbers: NumberFormat
    timezone: str
    renderer: Renderer
    severity_rules: SeverityRules = field(default_factory=SeverityRules)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)  # official, before overrides
    policy: ClockPolicy = field(default_factory=ClockPolicy)
    language: str = "zh"
    channels: frozenset[str] = frozenset()  # configured delivery channels: email, sms, dingtalk, …
    calendar_cache: CalendarCache = field(default_factory=CalendarCache)
    known_issues: Any = None  # KnownIssueLibrary (services.known_issues); Any to avoid an import cycle
    auto_link_confidence: float = 0.8

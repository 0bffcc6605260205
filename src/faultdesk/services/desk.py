"""Desk: everything a use case needs from the outside, wired once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faultdesk.domain.calendars import BusinessCalendar
from faultdesk.domain.clock import Clock
from faultdesk.domain.numbering import NumberFormat
from faultdesk.domain.severity import SeverityRules
from faultdesk.domain.sla import ClockPolicy
from faultdesk.services.ports import PasswordHasher, Renderer, Secrets, UnitOfWork


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

"""Desk: everything a use case needs from the outside, wired once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faultdesk.domain.clock import Clock
from faultdesk.domain.numbering import NumberFormat
from faultdesk.domain.severity import SeverityRules
from faultdesk.services.ports import PasswordHasher, Secrets, UnitOfWork


@dataclass(frozen=True)
class Desk:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    secrets: Secrets
    passwords: PasswordHasher
    numbers: NumberFormat
    timezone: str
    severity_rules: SeverityRules = field(default_factory=SeverityRules)

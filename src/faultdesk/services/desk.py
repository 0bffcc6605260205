"""Desk: everything a use case needs from the outside, wired once by bootstrap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

from faultdesk.domain.attachments import DEFAULT_MAX_BYTES
from faultdesk.domain.calendars import BusinessCalendar
from faultdesk.domain.clock import Clock
from faultdesk.domain.numbering import NumberFormat
from faultdesk.domain.reports import REPORT_WINDOW
from faultdesk.domain.sessions import SessionPolicy
from faultdesk.domain.severity import SeverityRules
from faultdesk.domain.sla import ClockPolicy
from faultdesk.services.known_issue_index import KnownIssueLibrary
from faultdesk.services.ports import (
    AttachmentFiles,
    PasswordHasher,
    Rate,
    RateCounters,
    RecordTable,
    Renderer,
    Secrets,
    UnitOfWork,
)

T = TypeVar("T")

# An uploaded record table (the console's import page, issue 13.5); FAULTDESK_IMPORT_MAX_BYTES changes it.
DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024


class SettingsCache:
    """Organisation settings that change a few times a year (calendar overrides, edited message
    templates), kept for a short while: reading them per report or per fired clock cost more than
    the work itself. Changes made in this process clear it at once; other processes see them
    within ``ttl_s``."""

    def __init__(self, ttl_s: float = 30.0) -> None:
        self.ttl_s = ttl_s
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and time.monotonic() < hit[0]:
                return cast(T, hit[1])
        value = load()
        with self._lock:
            self._values[key] = (time.monotonic() + self.ttl_s, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


FAILED_LOGINS_PER_ACCOUNT = Rate(5, 15 * 60)
FAILED_LOGINS_PER_ADDRESS = Rate(20, 15 * 60)


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed before logins wait (issue 10.6: guessing a password must not pay)."""

    per_account: Rate = FAILED_LOGINS_PER_ACCOUNT
    per_address: Rate = FAILED_LOGINS_PER_ADDRESS


@dataclass(frozen=True)
class Desk:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    secrets: Secrets
    passwords: PasswordHasher
    numbers: NumberFormat
    timezone: str
    renderer: Renderer
    known_issues: KnownIssueLibrary  # this process's known-issue index
    rate_counters: RateCounters  # in this process, or in Redis for all of them
    severity_rules: SeverityRules = field(default_factory=SeverityRules)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)  # official, before overrides
    policy: ClockPolicy = field(default_factory=ClockPolicy)
    language: str = "zh"
    channels: frozenset[str] = frozenset()  # configured delivery channels: email, sms, dingtalk, …
    settings_cache: SettingsCache = field(default_factory=SettingsCache)
    auto_link_confidence: float = 0.8
    report_window: timedelta = REPORT_WINDOW  # how long ago a report may say it arrived
    sessions: SessionPolicy = field(default_factory=SessionPolicy)  # web sessions' idle timeout and cap
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    public_url: str = "http://127.0.0.1:8000"  # where staff reach FaultDesk: the links in their notices
    # The record table read for exports (issue 13): on SQLite a reader of its own beside the one writer.
    record_table: Callable[[], RecordTable] | None = None
    exports_dir: Path | None = None  # FAULTDESK_HOME/exports: the worker's export files
    imports_dir: Path | None = None  # FAULTDESK_HOME/imports: uploaded tables between check and commit
    import_max_bytes: int = DEFAULT_IMPORT_MAX_BYTES  # an uploaded table
    files: AttachmentFiles | None = None  # the reporters' attachments (bootstrap: FAULTDESK_HOME/attachments)
    attachment_max_bytes: int = DEFAULT_MAX_BYTES  # each attachment

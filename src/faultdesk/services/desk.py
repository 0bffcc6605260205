"""Desk: everything a use case needs from the outside, wired once by bootstrap."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
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
    RecordLines,
    RecordTable,
    Renderer,
    Secrets,
    UnitOfWork,
)

T = TypeVar("T")

# An uploaded record table (the console's import page, issue 13.5); FAULTDESK_IMPORT_MAX_BYTES changes it.
DEFAULT_IMPORT_MAX_BYTES = 20 * 1024 * 1024


# What ``Desk.queue_counts`` keeps besides the tabs' counts: the lists pages pick from and name
# with. A commit that writes their tables clears them (adapters/db/uow.py ``COUNTED_TABLES``).
KEPT_USERS, KEPT_TYPES, KEPT_PRODUCTS = ("users",), ("fault types",), ("products",)


class ShortCache:
    """Values kept for a short while, by key: the organisation's settings, which change a few
    times a year (reading them per report or per fired clock cost more than the work itself),
    and the queue tabs' counts, which every open queue asks for every 15 s. Changes made in this
    process clear it at once; other processes see them within ``ttl_s``. ``now`` is the time in
    seconds (the desk's clock for the counts, so a test that moves time expires them); a ``ttl_s``
    of 0 keeps nothing."""

    def __init__(self, ttl_s: float = 30.0, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._now = now
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # a value read before a clear() is not kept after it

    @property
    def keeps(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self._now()
        with self._lock:
            hit = self._values.get(key)
            if hit is not None and hit[0] <= now < hit[0] + self.ttl_s:  # (a clock moved back misses)
                return cast(T, hit[1])
            generation = self._generation
        value = load()
        with self._lock:
            if self.keeps and generation == self._generation:
                self._values[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._generation += 1


class SharedReads:
    """The desk's units of work, and ``one_read()``: a page that asks a dozen services for one
    fault (its reports, clocks, timeline, actions …) reads them all in one transaction of one
    connection, each fault looked up once, instead of a dozen transactions reading the fault a
    dozen times. Inside it a unit of work may not commit: the page only reads."""

    def __init__(self, open_uow: Callable[[], UnitOfWork]) -> None:
        self._open = open_uow
        self._shared: ContextVar[UnitOfWork | None] = ContextVar("shared_read", default=None)

    def __call__(self) -> UnitOfWork:
        shared = self._shared.get()
        return shared if shared is not None else self._open()

    @contextmanager
    def one_read(self) -> Iterator[None]:
        if self._shared.get() is not None:  # already inside one
            yield
            return
        with self._open() as uow:
            token = self._shared.set(cast(UnitOfWork, _SharedRead(uow)))
            try:
                yield
            finally:
                self._shared.reset(token)


class _SharedRead:
    """The shared unit of work as each service sees it: entering and leaving it do nothing (the
    scope closes it); a fault read by its number is read once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self.faults = _FaultsReadOnce(uow.faults)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> _SharedRead:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def commit(self) -> None:
        raise RuntimeError("a shared read does not commit: write in a unit of work of its own")


class _FaultsReadOnce:
    def __init__(self, faults: Any) -> None:
        self._faults = faults
        self._by_number: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._faults, name)

    def by_number(self, number: str) -> Any:
        if number not in self._by_number:
            self._by_number[number] = self._faults.by_number(number)
        return self._by_number[number]


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
    settings_cache: ShortCache = field(default_factory=ShortCache)
    # The queue tabs' counts (services/queues.py); bootstrap keeps them QUEUE_COUNTS_TTL_S and its unit
    # of work clears them when a commit wrote faults, clocks or reports. Kept nowhere by default.
    queue_counts: ShortCache = field(default_factory=lambda: ShortCache(ttl_s=0))
    auto_link_confidence: float = 0.8
    report_window: timedelta = REPORT_WINDOW  # how long ago a report may say it arrived
    sessions: SessionPolicy = field(default_factory=SessionPolicy)  # web sessions' idle timeout and cap
    login_limits: LoginLimits = field(default_factory=LoginLimits)
    public_url: str = "http://127.0.0.1:8000"  # where staff reach FaultDesk: the links in their notices
    # The record table read for exports (issue 13): on SQLite a reader of its own beside the one writer.
    record_table: Callable[[], RecordTable] | None = None
    record_lines: RecordLines | None = None  # the record table's rows kept as lines (SQL stores)
    exports_dir: Path | None = None  # FAULTDESK_HOME/exports: the worker's export files
    imports_dir: Path | None = None  # FAULTDESK_HOME/imports: uploaded tables between check and commit
    import_max_bytes: int = DEFAULT_IMPORT_MAX_BYTES  # an uploaded table
    files: AttachmentFiles | None = None  # the reporters' attachments (bootstrap: FAULTDESK_HOME/attachments)
    attachment_max_bytes: int = DEFAULT_MAX_BYTES  # each attachment

    def one_read(self) -> AbstractContextManager[None]:
        """Every service called inside reads in one shared transaction (``SharedReads``)."""
        return self.uow.one_read() if isinstance(self.uow, SharedReads) else nullcontext()

"""In-memory twins of the ports (STYLE C11), for service tests that need no database.

``MemoryUnitOfWork`` and its stores keep the service records in plain dicts and behave as the
SQL stores do wherever a use case can tell: filters, sort order and paging, compare-and-set on a
fault's version, linking only free reports, increment-or-create serials, due clocks, the
outbox's leases, attempts and dead letters. ``MemoryNotifier`` records what it is given and can
be told to fail; ``MemoryKnownIssueSearch`` ranks with the domain's reference ranking;
``MemorySecrets`` and ``PlainPasswords`` are for tests only. None of this is wired in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from faultdesk.domain.attachments import FileType
from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import Criticality, Fault, FaultStatus, FaultType, Severity
from faultdesk.domain.lifecycle import OPEN_STATES, Action, ActionStatus, KbArticle, Recurrence, TestCase
from faultdesk.domain.matching.analysis import AnalyzedDocument, Analyzer
from faultdesk.domain.matching.candidates import MatchCandidate, rank_scalar
from faultdesk.domain.matching.documents import DocumentKey, DocumentKind, MatchDocument
from faultdesk.domain.matching.synonyms import DEFAULT_SYNONYMS, Synonyms
from faultdesk.domain.matching.text import CjkBigramSegmenter
from faultdesk.domain.periods import percentile
from faultdesk.domain.reports import Report, details_of
from faultdesk.domain.roles import Role
from faultdesk.domain.sessions import StaffSession
from faultdesk.domain.severity import Impact
from faultdesk.domain.sla import ClockKind, ClockState, Mode, SlaClock
from faultdesk.services.intake import DuplicateSubmission
from faultdesk.services.metric_records import (
    NO_DURATIONS,
    BreachRow,
    ComplianceRow,
    DurationKind,
    DurationStats,
    ImprovementTally,
    MetricScope,
    OpenImprovement,
    RetrospectiveRow,
    TopFault,
    Volume,
)
from faultdesk.services.ports import (
    DeliveryFailed,
    Envelope,
    ExportJob,
    KnownIssueSearch,
    Notifier,
    PasswordHasher,
    Secrets,
    UnitOfWork,
    UnreadableImage,
)
from faultdesk.services.record_table import (
    IMPORTED,
    TABLE_ACTIONS,
    ClockFact,
    ClockSummary,
    FaultHead,
    FaultRecord,
    ImprovementLine,
    RatingSummary,
    ReportHead,
    StepFact,
    assemble,
)
from faultdesk.services.records import (
    KEEP,
    QUEUE_SORTS,
    REPORT_SORTS,
    Actor,
    AttachmentRecord,
    AuditEvent,
    ClockQueue,
    ClockRow,
    ClockWindow,
    DeflectionEvent,
    FaultBrief,
    FaultChanges,
    FaultFilter,
    FaultView,
    ImprovementRecord,
    KbArticleRecord,
    NewAttachment,
    Outgoing,
    Page,
    ProductFunctionRecord,
    ProductRecord,
    ReleaseRecord,
    ReporterRating,
    ReportFilter,
    ReportView,
    SeverityChange,
    StageRecord,
    StoredMessage,
    UserRecord,
    page_bounds,
    sort_order,
)


class IntegrityError(Exception):
    """A write breaks a key the schema enforces (unique or foreign), as the database would refuse it."""


def _json(value: Any) -> Any:
    """A JSON column's round trip: what is stored and read back is a fresh copy, and a value the
    database could not store (a datetime, a set) fails here as it would there."""
    return json.loads(json.dumps(value))


# ---- the tables ------------------------------------------------------------------------------
# Every row is immutable: a change replaces it. That keeps a unit of work's copy of the tables
# cheap (the dicts, not the rows) and lets it publish exactly the rows it replaced.


@dataclass(frozen=True)
class _Token:
    user_id: int
    name: str
    token_hash: str
    created_at: datetime


@dataclass(frozen=True)
class _Product:
    code: str
    name: str


@dataclass(frozen=True)
class _ReportRow:
    view: ReportView  # as added; its fault number is read from the fault
    token_hash: str
    contact_cipher: bytes | None
    product_id: int | None
    function_id: int | None
    matched_at: datetime | None = None


@dataclass(frozen=True)
class MemorySubmission:
    report_id: int
    request_hash: str
    token_cipher: bytes
    created_at: datetime


@dataclass(frozen=True)
class _FaultRow:
    view: FaultView  # as stored; the codes, registrar, counts and numbers it joins are read on the way out
    product_id: int | None
    function_id: int | None
    related_fault_id: int | None = None
    merged_into_id: int | None = None


@dataclass(frozen=True)
class _SeverityRow:
    fault_id: int
    changed_by: int | None
    change: SeverityChange  # its ``changed_by`` is read from the users


@dataclass(frozen=True)
class _ImprovementRow:
    fault_id: int
    title: str
    owner_id: int
    due: date
    status: ActionStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class _ArticleRow:
    fault_id: int | None
    article: KbArticle
    created_at: datetime


@dataclass(frozen=True)
class _ReleaseRow:
    product_id: int
    version: str
    released_on: date
    notes: str
    known_issues: str | None
    created_at: datetime


@dataclass(frozen=True)
class _OutboxRow:
    message: StoredMessage
    lease_until: datetime | None = None


@dataclass(frozen=True)
class _Template:
    subject: str
    body: str
    updated_at: datetime


@dataclass
class MemoryTables:
    """The rows of every store by primary key, as the tables hold them."""

    users: dict[int, UserRecord] = field(default_factory=dict)
    tokens: dict[int, _Token] = field(default_factory=dict)
    fault_types: dict[str, FaultType] = field(default_factory=dict)
    products: dict[int, _Product] = field(default_factory=dict)
    functions: dict[int, ProductFunctionRecord] = field(default_factory=dict)
    reports: dict[int, _ReportRow] = field(default_factory=dict)
    submissions: dict[tuple[str, str], MemorySubmission] = field(default_factory=dict)
    ratings: dict[int, ReporterRating] = field(default_factory=dict)  # by report id
    attachments: dict[int, AttachmentRecord] = field(default_factory=dict)
    serials: dict[str, int] = field(default_factory=dict)
    faults: dict[int, _FaultRow] = field(default_factory=dict)
    stage_records: dict[int, tuple[int, StageRecord]] = field(default_factory=dict)  # (fault id, record)
    severity_changes: dict[int, _SeverityRow] = field(default_factory=dict)
    improvements: dict[int, _ImprovementRow] = field(default_factory=dict)
    articles: dict[int, _ArticleRow] = field(default_factory=dict)
    releases: dict[int, _ReleaseRow] = field(default_factory=dict)
    synonyms: dict[int, tuple[str, int]] = field(default_factory=dict)  # 1 -> (groups as JSON, version)
    audit: dict[int, AuditEvent] = field(default_factory=dict)
    clocks: dict[int, ClockRow] = field(default_factory=dict)
    outbox: dict[int, _OutboxRow] = field(default_factory=dict)
    calendar_days: dict[date, tuple[str, str | None]] = field(default_factory=dict)  # (kind, note)
    calendar_years: dict[int, datetime] = field(default_factory=dict)
    templates: dict[tuple[str, str], _Template] = field(default_factory=dict)
    sessions: dict[str, StaffSession] = field(default_factory=dict)
    export_jobs: dict[int, ExportJob] = field(default_factory=dict)
    deflections: dict[int, DeflectionEvent] = field(default_factory=dict)

    def copy(self) -> MemoryTables:
        return MemoryTables(**{f.name: dict(getattr(self, f.name)) for f in fields(self)})


_ABSENT = object()


class MemoryDatabase:
    """The committed tables that the twins' units of work share, and the id sequences (never
    given back, as PostgreSQL's are not). ``desk.uow = db.unit_of_work``."""

    def __init__(self) -> None:
        self.tables = MemoryTables()
        self._sequences: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def next_id(self, table: str) -> int:
        with self._lock:
            return next(self._sequences.setdefault(table, itertools.count(1)))

    def snapshot(self) -> MemoryTables:
        with self._lock:
            return self.tables.copy()

    def publish(self, since: MemoryTables, changed: MemoryTables) -> None:
        """Commit what a unit of work wrote after taking ``since``: the rows it added or replaced,
        and the removal of those it deleted. Rows it did not touch keep what others committed."""
        with self._lock:
            for f in fields(MemoryTables):
                committed, before, after = (getattr(t, f.name) for t in (self.tables, since, changed))
                for key, row in after.items():
                    if before.get(key, _ABSENT) is not row:
                        committed[key] = row
                for key in before.keys() - after.keys():
                    committed.pop(key, None)


class _Store:
    def __init__(self, tables: MemoryTables, db: MemoryDatabase) -> None:
        self.t = tables
        self._db = db

    def _new_id(self, table: str) -> int:
        return self._db.next_id(table)

    def _user(self, user_id: int | None) -> UserRecord | None:
        return self.t.users.get(user_id) if user_id is not None else None


def _unique(rows: Iterable[object], clash: Callable[[Any], bool], key: str) -> None:
    if any(clash(row) for row in rows):
        raise IntegrityError(f"duplicate {key}")


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


V = TypeVar("V", bound=_HasId)


def _page(items: list[V], sort: str, sortable: tuple[str, ...], page: int, page_size: int) -> Page[V]:
    """Sort by the named field and then id, both the same way, and cut one page. No value sorts
    first, as on SQLite."""
    name, descending = sort_order(sort)
    if name not in sortable:
        raise KeyError(name)  # as the SQL stores' column maps refuse it
    items.sort(key=lambda item: (_nulls_first(getattr(item, name)), item.id), reverse=descending)
    offset, limit = page_bounds(page, page_size)
    return Page(items[offset : offset + limit], len(items), page, page_size)


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return value is not None, value


# ---- the stores --------------------------------------------------------------------------------


class MemoryUsers(_Store):
    def add(
        self,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str,
        at: datetime,
        *,
        email: str | None = None,
        timezone: str | None = None,
    ) -> int:
        _unique(self.t.users.values(), lambda u: u.username == username, "username")
        user_id = self._new_id("users")
        self.t.users[user_id] = UserRecord(
            user_id, username, display_name, role, password_hash, True, at, email, timezone
        )
        return user_id

    def by_username(self, username: str) -> UserRecord | None:
        return next((u for u in self.t.users.values() if u.username == username), None)

    def by_id(self, user_id: int) -> UserRecord | None:
        return self.t.users.get(user_id)

    def emails(self, user_ids: list[int]) -> dict[int, str]:
        users = [self.t.users.get(i) for i in user_ids]
        return {u.id: u.email for u in users if u is not None and u.email is not None}

    def set_timezone(self, user_id: int, zone: str | None) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, timezone=zone)

    def set_language(self, user_id: int, language: str | None) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, language=language)

    def set_password(self, user_id: int, password_hash: str) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, password_hash=password_hash)

    def deactivate(self, user_id: int) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, active=False)

    def set_role(self, user_id: int, role: Role) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, role=role)

    def set_email(self, user_id: int, email: str | None) -> None:
        if user := self.t.users.get(user_id):
            self.t.users[user_id] = replace(user, email=email)

    def zones(self) -> dict[int, str]:
        return {u.id: u.timezone for u in self.t.users.values() if u.timezone is not None}

    def add_token(self, user_id: int, name: str, token_hash: str, at: datetime) -> int:
        _unique(self.t.tokens.values(), lambda k: k.token_hash == token_hash, "token hash")
        token_id = self._new_id("tokens")
        self.t.tokens[token_id] = _Token(user_id, name, token_hash, at)
        return token_id

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        token = next((k for k in self.t.tokens.values() if k.token_hash == token_hash), None)
        return self.t.users.get(token.user_id) if token else None

    def all(self) -> list[UserRecord]:
        return [self.t.users[i] for i in sorted(self.t.users)]

    def with_role(self, role: Role) -> list[UserRecord]:
        return [u for u in self.all() if u.role is role and u.active]


class MemorySessions(_Store):
    """Web sessions by their token's digest, as the SQL store keeps them."""

    def add(self, session: StaffSession) -> None:
        _unique(self.t.sessions.values(), lambda x: x.id == session.id, "session id")
        if session.user_id not in self.t.users:
            raise IntegrityError(f"no user {session.user_id} for a session")
        self.t.sessions[session.id] = session

    def with_user(self, session_id: str) -> tuple[StaffSession, UserRecord] | None:
        session = self.t.sessions.get(session_id)
        user = self.t.users.get(session.user_id) if session else None
        return (session, user) if session and user else None

    def touch(self, session_id: str, at: datetime) -> None:
        session = self.t.sessions.get(session_id)
        if session and session.ended_at is None:
            self.t.sessions[session_id] = replace(session, last_seen_at=at)

    def end(self, session_id: str, at: datetime) -> bool:
        session = self.t.sessions.get(session_id)
        if session is None or session.ended_at is not None:
            return False
        self.t.sessions[session_id] = replace(session, ended_at=at)
        return True

    def end_all_of(self, user_id: int, at: datetime) -> int:
        live = [
            x for x in self.t.sessions.values() if x.user_id == user_id and x.ended_at is None and x.expires_at > at
        ]
        for session in live:
            self.t.sessions[session.id] = replace(session, ended_at=at)
        return len(live)

    def forget_expired_before(self, cutoff: datetime) -> int:
        old = [key for key, x in self.t.sessions.items() if x.expires_at < cutoff]
        for key in old:
            del self.t.sessions[key]
        return len(old)


def _text_of(view: ReportView) -> str:
    """What a text search of reports reads, as the SQL store's LIKE does."""
    return "\n".join(part for part in (view.symptom, view.scenario, view.description) if part).lower()


class MemoryCatalogue(_Store):
    def fault_type(self, code: str) -> FaultType | None:
        return self.t.fault_types.get(code)

    def fault_types(self) -> list[FaultType]:
        return [self.t.fault_types[code] for code in sorted(self.t.fault_types)]

    def add_fault_type(self, fault_type: FaultType) -> None:
        _unique(self.t.fault_types, lambda code: code == fault_type.code, "fault type")
        self.t.fault_types[fault_type.code] = fault_type

    def product_id(self, code: str) -> int | None:
        return next((i for i, p in self.t.products.items() if p.code == code), None)

    def add_product(self, code: str, name: str) -> int:
        _unique(self.t.products.values(), lambda p: p.code == code, "product code")
        product_id = self._new_id("products")
        self.t.products[product_id] = _Product(code, name)
        return product_id

    def function(self, product_code: str, function_code: str) -> ProductFunctionRecord | None:
        found = (f for f in self.t.functions.values() if (f.product_code, f.code) == (product_code, function_code))
        return next(found, None)

    def add_function(self, product_id: int, code: str, name: str, criticality: Criticality) -> int:
        fns = self.t.functions.values()
        _unique(fns, lambda f: (f.product_id, f.code) == (product_id, code), "function code")
        function_id = self._new_id("product_functions")
        product = self.t.products[product_id]
        self.t.functions[function_id] = ProductFunctionRecord(
            function_id, product_id, product.code, code, name, Criticality(criticality)
        )
        return function_id

    def update_fault_type(self, fault_type: FaultType) -> None:
        if fault_type.code in self.t.fault_types:
            self.t.fault_types[fault_type.code] = fault_type

    def products(self, limit: int) -> list[ProductRecord]:
        ids = sorted(self.t.products, key=lambda i: self.t.products[i].code)[:limit]
        return [self._record(i) for i in ids]

    def product(self, product_id: int) -> ProductRecord | None:
        return self._record(product_id) if product_id in self.t.products else None

    def _record(self, product_id: int) -> ProductRecord:
        p = self.t.products[product_id]
        fns = sorted((f for f in self.t.functions.values() if f.product_id == product_id), key=lambda f: f.code)
        return ProductRecord(product_id, p.code, p.name, tuple(fns))

    def set_product_name(self, product_id: int, name: str) -> None:
        if p := self.t.products.get(product_id):
            self.t.products[product_id] = replace(p, name=name)

    def function_by_id(self, function_id: int) -> ProductFunctionRecord | None:
        return self.t.functions.get(function_id)

    def update_function(self, function_id: int, name: str, criticality: Criticality) -> None:
        if f := self.t.functions.get(function_id):
            self.t.functions[function_id] = replace(f, name=name, criticality=criticality)


class MemoryReports(_Store):
    def add(
        self,
        report: Report,
        *,
        token_hash: str,
        contact_cipher: bytes | None,
        contact_masked: str | None,
        product_id: int | None,
        function_id: int | None,
        at: datetime,
        reporter_key: str | None = None,
        audit: AuditEvent | None = None,
        clock: SlaClock | None = None,
    ) -> ReportView:
        _unique(self.t.reports.values(), lambda r: r.token_hash == token_hash, "tracking token hash")
        report_id = self._new_id("reports")
        view = ReportView(
            **details_of(report),
            id=report_id,
            channel=report.channel,
            received_at=report.received_at,
            contact_kind=report.contact.kind if report.contact else None,
            contact_masked=contact_masked,
            product_code=report.product_code,
            function_code=report.function_code,
            fault_id=report.fault_id,
            fault_number=None,
            created_at=at,
            reporter_key=reporter_key,
        )
        self.t.reports[report_id] = _ReportRow(view, token_hash, contact_cipher, product_id, function_id)
        if audit is not None:
            MemoryAudit(self.t, self._db).record(replace(audit, entity_id=str(report_id)))
        if clock is not None:
            MemoryClocks(self.t, self._db).add(clock, report_id=report_id)
        return view

    def _view(self, row: _ReportRow) -> ReportView:
        fault = self.t.faults.get(row.view.fault_id) if row.view.fault_id is not None else None
        return replace(row.view, fault_number=fault.view.number) if fault else row.view

    def _rows(self) -> list[_ReportRow]:
        return [self.t.reports[i] for i in sorted(self.t.reports)]

    def get(self, report_id: int) -> ReportView | None:
        row = self.t.reports.get(report_id)
        return self._view(row) if row else None

    def by_token_hash(self, token_hash: str) -> ReportView | None:
        row = next((r for r in self.t.reports.values() if r.token_hash == token_hash), None)
        return self._view(row) if row else None

    def contact_ciphers(self, report_ids: list[int]) -> dict[int, bytes]:
        rows = {i: self.t.reports.get(i) for i in report_ids}
        return {i: row.contact_cipher for i, row in rows.items() if row and row.contact_cipher is not None}

    def search(self, flt: ReportFilter) -> Page[ReportView]:
        def wanted(view: ReportView) -> bool:
            fault = self.t.faults[view.fault_id].view if view.fault_id is not None else None
            return (
                (not flt.channel or view.channel in flt.channel)
                and (flt.linked is None or flt.linked == (fault is not None))
                and (not flt.fault_status or (fault is not None and fault.status in flt.fault_status))
                and (not flt.severity or (fault is not None and fault.severity in flt.severity))
                and (not flt.type_code or (fault is not None and fault.type_code in flt.type_code))
                and (flt.received_from is None or view.received_at >= flt.received_from)
                and (flt.received_to is None or view.received_at < flt.received_to)
                and all(word in _text_of(view) for word in words)
            )

        words = (flt.text or "").lower().split()
        found = [v for v in map(self._view, self._rows()) if wanted(v)]
        return _page(found, flt.sort, REPORT_SORTS, flt.page, flt.page_size)

    def for_fault(self, fault_id: int) -> list[ReportView]:
        views = [self._view(r) for r in self._rows() if r.view.fault_id == fault_id]
        return sorted(views, key=lambda v: (v.received_at, v.id))

    def link(self, report_ids: list[int], fault_id: int) -> int:
        """Links only reports that are still free; returns how many were."""
        free = [r for i in dict.fromkeys(report_ids) if (r := self.t.reports.get(i)) and r.view.fault_id is None]
        for row in free:
            self._set_fault(row, fault_id)
        return len(free)

    def _set_fault(self, row: _ReportRow, fault_id: int | None) -> None:
        self.t.reports[row.view.id] = replace(row, view=replace(row.view, fault_id=fault_id))

    def unlink(self, report_id: int, fault_id: int) -> bool:
        row = self.t.reports.get(report_id)
        if row is None or row.view.fault_id != fault_id:
            return False
        self._set_fault(row, None)
        return True

    def since(self, last_id: int, limit: int) -> list[ReportView]:
        return [self._view(r) for r in self._rows() if r.view.id > last_id][:limit]

    def unmatched(self, limit: int) -> list[ReportView]:
        rows = [r for r in self._rows() if r.view.fault_id is None and r.matched_at is None]
        return [self._view(r) for r in rows[:limit]]

    def mark_matched(self, report_ids: list[int], at: datetime) -> None:
        for report_id in report_ids:
            if row := self.t.reports.get(report_id):
                self.t.reports[report_id] = replace(row, matched_at=at)

    def set_description(self, report_id: int, description: str) -> None:
        row = self.t.reports[report_id]
        self.t.reports[report_id] = replace(row, view=replace(row.view, description=description))

    def faults_of(self, report_ids: list[int]) -> dict[int, int]:
        rows = [self.t.reports.get(i) for i in report_ids]
        return {r.view.id: r.view.fault_id for r in rows if r is not None and r.view.fault_id is not None}

    def ids_of_fault(self, fault_id: int) -> list[int]:
        return [r.view.id for r in self._rows() if r.view.fault_id == fault_id]

    def by_ids(self, report_ids: list[int]) -> list[ReportView]:
        wanted = set(report_ids)
        return [self._view(r) for r in self._rows() if r.view.id in wanted]

    def move(self, from_fault_id: int, to_fault_id: int) -> int:
        moving = [r for r in self._rows() if r.view.fault_id == from_fault_id]
        for row in moving:
            self._set_fault(row, to_fault_id)
        return len(moving)

    def reporter_keys(self, fault_id: int) -> list[str | None]:
        return [r.view.reporter_key for r in self._rows() if r.view.fault_id == fault_id]

    def submission(self, client: str, key: str) -> MemorySubmission | None:
        return self.t.submissions.get((client, key))

    def remember_submission(
        self, client: str, key: str, request_hash: str, report_id: int, token_cipher: bytes, at: datetime
    ) -> None:
        # The unique key sees what other units of work committed meanwhile, as the database's does.
        if (client, key) in self.t.submissions or (client, key) in self._db.tables.submissions:
            raise DuplicateSubmission("duplicate Idempotency-Key", "重复的 Idempotency-Key")
        self.t.submissions[client, key] = MemorySubmission(report_id, request_hash, token_cipher, at)

    def forget_submissions_before(self, cutoff: datetime) -> int:
        old = [k for k, s in self.t.submissions.items() if s.created_at < cutoff]
        for k in old:
            del self.t.submissions[k]
        return len(old)

    def rating(self, report_id: int) -> ReporterRating | None:
        return self.t.ratings.get(report_id)

    def ratings_of_fault(self, fault_id: int) -> list[ReporterRating]:
        ids = {i for i, r in self.t.reports.items() if r.view.fault_id == fault_id}
        return [r for i, r in sorted(self.t.ratings.items()) if i in ids]

    def add_attachments(
        self, report_id: int, files: list[NewAttachment], at: datetime, *, later: bool
    ) -> list[AttachmentRecord]:
        if report_id not in self.t.reports:
            raise IntegrityError("attachment of an unknown report")
        added = []
        for f in files:
            record = AttachmentRecord(
                self._new_id("report_attachments"),
                report_id,
                f.storage_key,
                f.file_type,
                f.filename,
                f.size,
                at,
                later,
                f.thumb_key,
            )
            self.t.attachments[record.id] = record
            added.append(record)
        return added

    def attachments_of(self, report_ids: list[int]) -> dict[int, list[AttachmentRecord]]:
        wanted = set(report_ids)
        found: dict[int, list[AttachmentRecord]] = {}
        for record in sorted(self.t.attachments.values(), key=lambda a: a.id):
            if record.report_id in wanted:
                found.setdefault(record.report_id, []).append(record)
        return found

    def attachment(self, attachment_id: int) -> AttachmentRecord | None:
        return self.t.attachments.get(attachment_id)

    def rate(self, rating: ReporterRating) -> None:
        if rating.report_id in self.t.ratings:
            raise Conflict("this report was rated already", "该反馈已评价过")
        self.t.ratings[rating.report_id] = rating


def _optional(decode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else decode(value)


def _same(value: Any) -> Any:
    return value


# Faults.update takes column values, as the SQL store writes them. The id columns stay on the
# row; every other column is the view's field of the same name, decoded as a read decodes it.
_ID_COLUMNS = frozenset({"product_id", "function_id", "related_fault_id", "merged_into_id"})
_DECODE: dict[str, Callable[[Any], Any]] = {
    "status": FaultStatus,
    "severity": _optional(Severity),
    "impact": _optional(Impact),
    "recurrence": _optional(Recurrence),
    "cases": lambda cases: tuple(c if isinstance(c, TestCase) else TestCase(**c) for c in cases or ()),
    "owners": _json,
    "team": _json,
}


def _written(changes: FaultChanges) -> dict[str, Any]:
    """The fields an update sets, as the view holds them (owners by stage name, the team as a mapping)."""
    values = {f.name: getattr(changes, f.name) for f in fields(FaultChanges) if getattr(changes, f.name) is not KEEP}
    if "owners" in values:
        values["owners"] = {stage.value: user_id for stage, user_id in values["owners"].items()}
    if "team" in values:
        values["team"] = {"lead": values["team"].lead, "members": list(values["team"].members)}
    return values


def _changed(row: _FaultRow, changes: dict[str, Any], at: datetime, version: int) -> _FaultRow:
    ids = {name: value for name, value in changes.items() if name in _ID_COLUMNS}
    values = {name: _DECODE.get(name, _same)(v) for name, v in changes.items() if name not in _ID_COLUMNS}
    return replace(row, view=replace(row.view, **values, updated_at=at, version=version), **ids)


# What Faults.add keeps of a Fault as it is; the codes are joined from the ids, the registrar's
# name from the users.
_JOINED = {"id", "registered_by", "product_code", "function_code"}
_STORED_AS_GIVEN = sorted(({f.name for f in fields(Fault)} & {f.name for f in fields(FaultView)}) - _JOINED)


class MemoryFaults(_Store):
    def next_serial(self, scope: str) -> int:
        """Increment-or-create; a unit of work left without commit gives its serial back."""
        serial = self.t.serials.get(scope, 0) + 1
        self.t.serials[scope] = serial
        return serial

    def raise_serial(self, scope: str, at_least: int) -> None:
        self.t.serials[scope] = max(self.t.serials.get(scope, 0), at_least)

    def add(self, fault: Fault, *, product_id: int | None, function_id: int | None, at: datetime) -> int:
        _unique(self.t.faults.values(), lambda f: f.view.number == fault.number, "fault number")
        if fault.registered_by not in self.t.users:
            raise IntegrityError(f"no user {fault.registered_by} to register a fault")
        fault_id = self._new_id("faults")
        stored = {name: getattr(fault, name) for name in _STORED_AS_GIVEN}
        view = FaultView(
            **stored,
            id=fault_id,
            product_code=None,
            function_code=None,
            registered_by="",
            registered_by_id=fault.registered_by,
            updated_at=at,
            report_count=0,
        )
        self.t.faults[fault_id] = _FaultRow(view, product_id, function_id)
        return fault_id

    def _view(self, row: _FaultRow, *, count_reports: bool = True) -> FaultView:
        v = row.view
        product = self.t.products.get(row.product_id) if row.product_id is not None else None
        function = self.t.functions.get(row.function_id) if row.function_id is not None else None
        registrar = self._user(v.registered_by_id)
        return replace(
            v,
            product_code=product.code if product else None,
            function_code=function.code if function else None,
            function_criticality=function.criticality if function else None,
            registered_by=registrar.username if registrar else "",
            report_count=sum(1 for r in self.t.reports.values() if r.view.fault_id == v.id) if count_reports else 0,
            related_fault=self._number(row.related_fault_id),
            merged_into=self._number(row.merged_into_id),
            owners=_json(v.owners) or {},
            team=_json(v.team),
            responded=any(
                r.fault_id == v.id and r.clock.kind is ClockKind.RESPONSE and r.clock.met_at is not None
                for r in self.t.clocks.values()
            ),
            retrospected=any(
                f == v.id and record.action == Action.RETROSPECT.value for f, record in self.t.stage_records.values()
            ),
            released_version=self._released_version(v.id),
        )

    def _released_version(self, fault_id: int) -> str | None:
        """The version of the fault's latest full release, as the SQL store reads it."""
        released = [
            str(record.data.get("version"))
            for _, (f, record) in sorted(self.t.stage_records.items())
            if f == fault_id and record.action == Action.RELEASE_FULL.value
        ]
        return released[-1] if released else None

    def _number(self, fault_id: int | None) -> str | None:
        return self.t.faults[fault_id].view.number if fault_id is not None else None

    def _rows(self) -> list[_FaultRow]:
        return [self.t.faults[i] for i in sorted(self.t.faults)]

    def by_number(self, number: str) -> FaultView | None:
        row = next((f for f in self.t.faults.values() if f.view.number == number), None)
        return self._view(row) if row else None

    def by_id(self, fault_id: int) -> FaultView | None:
        row = self.t.faults.get(fault_id)
        return self._view(row) if row else None

    def search(self, flt: FaultFilter) -> Page[FaultView]:
        found = [self._view(row) for row in self._rows() if self._wanted(row, flt)]
        name, descending = sort_order(flt.sort)
        if name == "due_at":  # no clock running: last either way, as the SQL store's NULLS LAST
            dues = _earliest_due(self.t.clocks.values())
            with_due = [v for v in found if v.id in dues]
            with_due.sort(key=lambda v: (dues[v.id], v.id), reverse=descending)
            ordered = with_due + sorted((v for v in found if v.id not in dues), key=lambda v: v.id, reverse=descending)
            offset, limit = page_bounds(flt.page, flt.page_size)
            return Page(ordered[offset : offset + limit], len(ordered), flt.page, flt.page_size)
        return _page(found, flt.sort, QUEUE_SORTS, flt.page, flt.page_size)

    def count(self, flt: FaultFilter) -> int:
        return sum(1 for row in self._rows() if self._wanted(row, flt))

    def count_with_clocks(self, window: ClockWindow) -> int:
        return len(_clock_faults(self.t.clocks.values(), window) & set(self.t.faults))

    def tally(self) -> dict[tuple[FaultStatus, Severity | None], int]:
        counts: dict[tuple[FaultStatus, Severity | None], int] = {}
        for row in self.t.faults.values():
            key = (row.view.status, row.view.severity)
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _wanted(self, row: _FaultRow, flt: FaultFilter) -> bool:
        v = row.view
        people = _people(v)
        product = self.t.products.get(row.product_id) if row.product_id is not None else None
        graded = (flt.severity and v.severity in flt.severity) or (flt.ungraded and v.severity is None)
        return (
            (not flt.status or v.status in flt.status)
            and (not (flt.severity or flt.ungraded) or bool(graded))
            and (not flt.type_code or v.type_code in flt.type_code)
            and (
                not flt.channel
                or any(r.view.fault_id == v.id and r.view.channel in flt.channel for r in self.t.reports.values())
            )
            and (not flt.product or (product is not None and product.code in flt.product))
            and (flt.registered_from is None or v.registered_at >= flt.registered_from)
            and (flt.registered_to is None or v.registered_at < flt.registered_to)
            and (flt.owner_id is None or flt.owner_id in people)
            and (
                flt.work_of is None
                or (
                    (flt.work_of.user_id in people or flt.work_of.user_id == v.registered_by_id)
                    and v.status in flt.work_of.unfinished
                )
                or any(v.status is status and (sev is None or v.severity in sev) for status, sev in flt.work_of.turns)
            )
            and (flt.clocks is None or v.id in _clock_faults(self.t.clocks.values(), flt.clocks))
            and (
                flt.text is None
                or bool(flt.text.number_prefix and v.number.startswith(flt.text.number_prefix))
                or v.id in flt.text.fault_ids
            )
        )

    def _put(self, fault_id: int, **values: Any) -> None:
        row = self.t.faults[fault_id]
        self.t.faults[fault_id] = replace(row, view=replace(row.view, **values))

    def set_affected_users(self, fault_id: int, count: int, at: datetime, *, bump_version: bool = True) -> None:
        if row := self.t.faults.get(fault_id):
            version = row.view.version + 1 if bump_version else row.view.version
            self._put(fault_id, affected_users=count, updated_at=at, version=version)

    def update(self, fault_id: int, expected_version: int, changes: FaultChanges, at: datetime) -> bool:
        """Compare-and-set on the version: False when someone else changed the fault first."""
        row = self.t.faults.get(fault_id)
        if row is None or row.view.version != expected_version:
            return False
        self.t.faults[fault_id] = _changed(row, _written(changes), at, expected_version + 1)
        return True

    def changed_since(self, after: tuple[datetime, int] | None, limit: int) -> list[FaultView]:
        rows = [r for r in self._rows() if after is None or (r.view.updated_at, r.view.id) > after]
        rows.sort(key=lambda r: (r.view.updated_at, r.view.id))
        return [self._view(r) for r in rows[:limit]]

    def by_ids(self, fault_ids: list[int]) -> list[FaultView]:
        """Without the report count (0 here), as the SQL store reads them for notices and matching."""
        wanted = set(fault_ids)
        return [self._view(r, count_reports=False) for r in self._rows() if r.view.id in wanted]

    def briefs(self, fault_ids: list[int]) -> list[FaultBrief]:
        views = [self.t.faults[i].view for i in dict.fromkeys(fault_ids) if i in self.t.faults]
        return [
            FaultBrief(
                id=v.id,
                number=v.number,
                title=v.title,
                status=v.status,
                severity=v.severity,
                impact_users=v.impact_users,
                owners=_json(v.owners) or {},
                team=_json(v.team),
                registered_by_id=v.registered_by_id,
                public_title=v.public_title,
            )
            for v in views
        ]

    def waiting_on_release(self, product_code: str, version: str) -> list[FaultView]:
        return [
            self._view(row, count_reports=False)
            for row in self._rows()
            if row.view.waiting_release == version
            and (row.product_id is None or self.t.products[row.product_id].code == product_code)
        ]

    def set_estimate(self, fault_id: int, users: int | None, source: str | None, at: datetime) -> None:
        if row := self.t.faults.get(fault_id):
            version = row.view.version + 1
            self._put(fault_id, estimated_users=users, estimate_source=source, updated_at=at, version=version)

    def add_stage_record(self, fault_id: int, action: Action, data: dict[str, Any], actor: Actor, at: datetime) -> None:
        record_id = self._new_id("stage_records")
        self.t.stage_records[record_id] = (fault_id, StageRecord(record_id, action.value, _json(data), actor.label, at))

    def stage_records(self, fault_id: int) -> list[StageRecord]:
        rows = [self.t.stage_records[i] for i in sorted(self.t.stage_records)]
        return [replace(record, data=_json(record.data)) for owner, record in rows if owner == fault_id]

    def add_severity_change(
        self, fault_id: int, before: Severity | None, after: Severity, reason: str, actor: Actor, at: datetime
    ) -> None:
        change = SeverityChange(before, after, reason, None, at)
        self.t.severity_changes[self._new_id("severity_changes")] = _SeverityRow(fault_id, actor.id, change)

    def severity_history(self, fault_id: int) -> list[SeverityChange]:
        rows = [self.t.severity_changes[i] for i in sorted(self.t.severity_changes)]
        return [
            replace(row.change, changed_by=user.username if (user := self._user(row.changed_by)) else "system")
            for row in rows
            if row.fault_id == fault_id
        ]


def _people(v: FaultView) -> set[int]:
    owners, team = _json(v.owners) or {}, _json(v.team) or {}
    ids = {int(u) for u in owners.values() if u is not None}
    if team.get("lead") is not None:
        ids.add(int(team["lead"]))
    ids.update(int(m) for m in team.get("members") or [])
    return ids


_NOT_MET = (ClockState.RUNNING, ClockState.PAUSED, ClockState.BREACHED)


def _earliest_due(rows: Iterable[ClockRow]) -> dict[int, datetime]:
    dues: dict[int, datetime] = {}
    for r in rows:
        if r.fault_id is not None and r.clock.state in _NOT_MET:
            dues[r.fault_id] = min(dues.get(r.fault_id, r.clock.due_at), r.clock.due_at)
    return dues


def _clock_faults(rows: Iterable[ClockRow], w: ClockWindow) -> set[int]:
    def hit(c: SlaClock) -> bool:
        match w.queue:
            case ClockQueue.BREACHING:
                return c.state is ClockState.RUNNING and w.now < c.due_at <= w.now + timedelta(seconds=w.soon_s)
            case ClockQueue.BREACHED:
                return c.state is ClockState.BREACHED or (c.state is ClockState.RUNNING and c.due_at <= w.now)
            case ClockQueue.PAUSED:
                return c.state is ClockState.PAUSED
            case ClockQueue.OWED_REPLY:
                return c.state in _NOT_MET and c.kind in (ClockKind.FIRST_REPLY, ClockKind.UPDATE)

    return {
        r.fault_id
        for r in rows
        if r.fault_id is not None and r.clock.kind is not ClockKind.IMPROVEMENT and hit(r.clock)
    }


class MemoryKnowledge(_Store):
    def add_improvement(self, fault_id: int, title: str, owner_id: int, due: date, at: datetime) -> int:
        improvement_id = self._new_id("improvement_actions")
        row = _ImprovementRow(fault_id, title, owner_id, due, ActionStatus.OPEN, at, at)
        self.t.improvements[improvement_id] = row
        return improvement_id

    def _improvement(self, improvement_id: int, row: _ImprovementRow) -> ImprovementRecord:
        number = self.t.faults[row.fault_id].view.number
        owner = self.t.users[row.owner_id]
        return ImprovementRecord(
            improvement_id,
            number,
            row.title,
            owner.username,
            row.due,
            row.status,
            row.created_at,
            row.updated_at,
            owner.display_name,
        )

    def improvements(
        self,
        *,
        fault_id: int | None,
        status: ActionStatus | None,
        owner_id: int | None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ImprovementRecord]:
        rows = [
            (i, row)
            for i, row in self.t.improvements.items()
            if (fault_id is None or row.fault_id == fault_id)
            and (status is None or row.status is status)
            and (owner_id is None or row.owner_id == owner_id)
        ]
        rows.sort(key=lambda item: (item[1].due, item[0]))
        shown = rows[offset:] if limit is None else rows[offset : offset + limit]
        return [self._improvement(i, row) for i, row in shown]

    def improvement(self, improvement_id: int) -> ImprovementRecord | None:
        row = self.t.improvements.get(improvement_id)
        return self._improvement(improvement_id, row) if row else None

    def set_improvement_status(self, improvement_id: int, status: ActionStatus, at: datetime) -> None:
        if row := self.t.improvements.get(improvement_id):
            self.t.improvements[improvement_id] = replace(row, status=status, updated_at=at)

    def _improvements_where(
        self, owner_id: int | None, status: ActionStatus | None, due_before: date | None
    ) -> list[tuple[int, _ImprovementRow]]:
        rows = [
            (i, row)
            for i, row in self.t.improvements.items()
            if (owner_id is None or row.owner_id == owner_id)
            and (status is None or row.status is status)
            and (due_before is None or row.due < due_before)
        ]
        return sorted(rows, key=lambda item: (item[1].due, item[0]))

    def improvement_rows(
        self, *, owner_id: int | None, status: ActionStatus | None, due_before: date | None, offset: int, limit: int
    ) -> list[ImprovementRecord]:
        rows = self._improvements_where(owner_id, status, due_before)
        return [self._improvement(i, row) for i, row in rows[offset : offset + limit]]

    def count_improvements(self, *, owner_id: int | None, status: ActionStatus | None, due_before: date | None) -> int:
        return len(self._improvements_where(owner_id, status, due_before))

    def add_article(self, fault_id: int | None, article: KbArticle, actor: Actor, at: datetime) -> int:
        article_id = self._new_id("kb_articles")
        self.t.articles[article_id] = _ArticleRow(fault_id, replace(article, tags=tuple(_json(list(article.tags)))), at)
        return article_id

    def _article(self, article_id: int) -> KbArticleRecord:
        row = self.t.articles[article_id]
        a = row.article
        number = self.t.faults[row.fault_id].view.number if row.fault_id is not None else None
        return KbArticleRecord(
            article_id, number, a.title, a.symptoms, a.cause, a.fix, a.workaround, list(a.tags), row.created_at
        )

    def search_articles(self, query: str | None, limit: int) -> list[KbArticleRecord]:
        """Every word of the query must appear in some field (substring match: works for Chinese)."""
        words = (query or "").lower().split()

        def haystack(a: KbArticle) -> str:
            return " ".join((a.title, a.symptoms, a.cause, a.fix, a.workaround or "")).lower()

        found = [i for i, row in self.t.articles.items() if all(w in haystack(row.article) for w in words)]
        return [self._article(i) for i in sorted(found, reverse=True)[:limit]]

    def articles_since(self, last_id: int, limit: int) -> list[KbArticleRecord]:
        return [self._article(i) for i in sorted(self.t.articles) if i > last_id][:limit]

    def add_release(
        self,
        product_id: int,
        version: str,
        released_on: date,
        notes: str,
        known_issues: str | None,
        actor: Actor,
        at: datetime,
    ) -> int:
        if any((r.product_id, r.version) == (product_id, version) for r in self.t.releases.values()):
            raise Conflict("this product already has that version", "该产品已有此版本")
        release_id = self._new_id("releases")
        self.t.releases[release_id] = _ReleaseRow(product_id, version, released_on, notes, known_issues, at)
        return release_id

    def _release(self, release_id: int) -> ReleaseRecord:
        r = self.t.releases[release_id]
        code = self.t.products[r.product_id].code
        return ReleaseRecord(release_id, code, r.version, r.released_on, r.notes, r.known_issues, r.created_at)

    def releases_since(self, last_id: int, limit: int) -> list[ReleaseRecord]:
        return [self._release(i) for i in sorted(self.t.releases) if i > last_id][:limit]

    def articles_by_ids(self, ids: list[int]) -> list[KbArticleRecord]:
        return [self._article(i) for i in sorted(set(ids)) if i in self.t.articles]

    def release_page(self, offset: int, limit: int) -> tuple[list[ReleaseRecord], int]:
        ordered = sorted(self.t.releases, key=lambda i: (self.t.releases[i].released_on, i), reverse=True)
        return [self._release(i) for i in ordered[offset : offset + limit]], len(ordered)

    def releases_by_ids(self, ids: list[int]) -> list[ReleaseRecord]:
        return [self._release(i) for i in sorted(set(ids)) if i in self.t.releases]

    def synonyms(self) -> tuple[list[list[str]], int]:
        stored = self.t.synonyms.get(1)
        return (json.loads(stored[0]), stored[1]) if stored else ([], 0)

    def set_synonyms(self, groups: list[list[str]], at: datetime) -> int:
        _, version = self.synonyms()
        self.t.synonyms[1] = (json.dumps(groups), version + 1)
        return version + 1

    def product_terms(self) -> list[str]:
        return [*(p.name for p in self.t.products.values()), *(f.name for f in self.t.functions.values())]

    def has_release(self, version: str, product_code: str | None) -> bool:
        return any(
            r.version == version and (product_code is None or self.t.products[r.product_id].code == product_code)
            for r in self.t.releases.values()
        )

    def record_deflections(self, events: list[DeflectionEvent]) -> None:
        for event in events:
            self.t.deflections[self._new_id("deflection_events")] = event

    def count_deflections(self, kind: str, since: datetime | None, until: datetime | None) -> int:
        return sum(
            1
            for e in self.t.deflections.values()
            if e.kind == kind and (since is None or e.at >= since) and (until is None or e.at < until)
        )


class MemoryAudit(_Store):
    def record(self, event: AuditEvent) -> None:
        event_id = self._new_id("audit_events")
        self.t.audit[event_id] = replace(event, id=event_id, before=_json(event.before), after=_json(event.after))

    def timeline(self, fault_id: int) -> list[AuditEvent]:
        """The fault's events in order; each actor's role is read from the users, as the SQL join does."""
        return self._events(lambda e: e.fault_id == fault_id)

    def about(self, entity: str, entity_id: str) -> list[AuditEvent]:
        return self._events(lambda e: e.entity == entity and e.entity_id == entity_id)

    def _events(self, wanted: Callable[[AuditEvent], bool]) -> list[AuditEvent]:
        events = [self.t.audit[i] for i in sorted(self.t.audit) if wanted(self.t.audit[i])]
        return [
            replace(
                e,
                actor=Actor(e.actor.id, e.actor.label, user.role if (user := self._user(e.actor.id)) else None),
                before=_json(e.before),
                after=_json(e.after),
            )
            for e in events
        ]


class MemoryClocks(_Store):
    def add(
        self,
        clock: SlaClock,
        *,
        fault_id: int | None = None,
        report_id: int | None = None,
        improvement_id: int | None = None,
    ) -> int:
        row_id = self._new_id("clocks")
        self.t.clocks[row_id] = ClockRow(row_id, fault_id, report_id, improvement_id, clock)
        return row_id

    def save(self, row_id: int, clock: SlaClock) -> None:
        if row := self.t.clocks.get(row_id):
            self.t.clocks[row_id] = replace(row, clock=clock)

    def save_fired(self, changes: list[tuple[int, SlaClock, SlaClock]]) -> None:
        for row_id, _before, after in changes:
            self.save(row_id, after)

    def _rows(self) -> list[ClockRow]:
        return [self.t.clocks[i] for i in sorted(self.t.clocks)]

    def of_fault(self, fault_id: int) -> list[ClockRow]:
        return [r for r in self._rows() if r.fault_id == fault_id]

    def of_report(self, report_id: int) -> list[ClockRow]:
        return [r for r in self._rows() if r.report_id == report_id]

    def of_reports(self, report_ids: list[int]) -> list[ClockRow]:
        wanted = set(report_ids)
        return [r for r in self._rows() if r.report_id in wanted]

    def of_improvement(self, improvement_id: int) -> list[ClockRow]:
        return [r for r in self._rows() if r.improvement_id == improvement_id]

    def claim_due(self, now: datetime, limit: int) -> list[ClockRow]:
        """Clocks whose next firing has come, soonest first (one worker: nothing to lock)."""
        due = [r for r in self._rows() if r.clock.next_fire_at is not None and r.clock.next_fire_at <= now]
        return sorted(due, key=lambda r: (r.clock.next_fire_at, r.id))[:limit]

    def due_soon(self, now: datetime, limit: int) -> list[ClockRow]:
        """Running clocks past their warning share and not yet due."""
        soon = [
            r
            for r in self._rows()
            if r.clock.state is ClockState.RUNNING
            and r.clock.warn_at is not None
            and r.clock.warn_at <= now < r.clock.due_at
        ]
        return sorted(soon, key=lambda r: r.clock.due_at)[:limit]

    def listing(self, states: list[ClockState], due_before: datetime | None, limit: int) -> list[ClockRow]:
        rows = [
            r
            for r in self._rows()
            if (not states or r.clock.state in states) and (due_before is None or r.clock.due_at <= due_before)
        ]
        return sorted(rows, key=lambda r: r.clock.due_at)[:limit]

    def not_met_of_faults(self, fault_ids: list[int]) -> list[ClockRow]:
        wanted = set(fault_ids)
        rows = [r for r in self._rows() if r.fault_id in wanted and r.clock.state in _NOT_MET]
        return sorted(rows, key=lambda r: (r.clock.due_at, r.id))

    def latest_due(self, state: ClockState, mode: Mode) -> datetime | None:
        dues = [r.clock.due_at for r in self.t.clocks.values() if r.clock.state is state and r.clock.mode is mode]
        return max(dues, default=None)


# What Outbox.add keeps of an Outgoing message as it is (its recipient is still a reference).
_QUEUED_AS_GIVEN = sorted({f.name for f in fields(Outgoing)} & {f.name for f in fields(StoredMessage)})


class MemoryOutbox(_Store):
    def add(self, message: Outgoing) -> None:
        if message.not_before.tzinfo is None or message.created_at.tzinfo is None:
            raise ValueError("naive datetime given to the outbox")
        _unique(self.t.outbox.values(), lambda r: r.message.message_id == message.message_id, "message id")
        row_id = self._new_id("outbox")
        given = {name: getattr(message, name) for name in _QUEUED_AS_GIVEN}
        stored = StoredMessage(
            **given,
            id=row_id,
            attempts=0,
            next_attempt_at=message.not_before,
            last_error=None,
            sent_at=None,
        )
        self.t.outbox[row_id] = _OutboxRow(stored)

    def _set(self, row_id: int, *, lease_until: datetime | None = None, **values: Any) -> None:
        """Change a message's columns; every change but a claim ends its lease."""
        row = self.t.outbox[row_id]
        self.t.outbox[row_id] = _OutboxRow(replace(row.message, **values), lease_until)

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[StoredMessage]:
        """Lease a batch: pending and due, or sending whose lease ran out (a worker died)."""
        ready = [
            row
            for row in self.t.outbox.values()
            if (row.message.state == "pending" and row.message.next_attempt_at <= now)
            or (row.message.state == "sending" and row.lease_until is not None and row.lease_until < now)
        ]
        ready.sort(key=lambda row: (row.message.next_attempt_at, row.message.id))
        ids = sorted(row.message.id for row in ready[:limit])
        for row_id in ids:
            self._set(row_id, state="sending", lease_until=now + lease)
        return [self.t.outbox[i].message for i in ids]

    def mark_sent(self, row_ids: list[int], now: datetime) -> None:
        for row_id in row_ids:
            attempts = self.t.outbox[row_id].message.attempts + 1
            self._set(row_id, state="sent", sent_at=now, attempts=attempts, last_error=None)

    def mark_failed(self, row_id: int, error: str, retry_at: datetime | None) -> None:
        """Back to pending for another attempt at ``retry_at``, or dead when there is none."""
        message = self.t.outbox[row_id].message
        self._set(
            row_id,
            state="pending" if retry_at else "dead",
            attempts=message.attempts + 1,
            next_attempt_at=retry_at or message.next_attempt_at,
            last_error=error[:500],
        )

    def release(self, row_ids: list[int], retry_at: datetime, note: str) -> None:
        """Back to pending untried (no attempt counted), due at ``retry_at``, with a note why."""
        for row_id in row_ids:
            self._set(row_id, state="pending", next_attempt_at=retry_at, last_error=note[:500])

    def retry(self, row_id: int, now: datetime) -> bool:
        row = self.t.outbox.get(row_id)
        if row is None or row.message.state != "dead":
            return False
        self.t.outbox[row_id] = _OutboxRow(replace(row.message, state="pending", next_attempt_at=now), row.lease_until)
        return True

    def count(self, state: str) -> int:
        return sum(1 for row in self.t.outbox.values() if row.message.state == state)

    def listing(
        self, *, state: str | None, report_id: int | None, fault_id: int | None, limit: int, newest_first: bool = False
    ) -> list[StoredMessage]:
        messages = [self.t.outbox[i].message for i in sorted(self.t.outbox, reverse=newest_first)]
        return [
            m
            for m in messages
            if (not state or m.state == state)
            and (report_id is None or m.report_id == report_id)
            and (fault_id is None or m.fault_id == fault_id)
        ][:limit]


class MemorySettings(_Store):
    def overrides(self) -> tuple[list[date], list[date], list[int]]:
        days = sorted(self.t.calendar_days.items())
        holidays = [day for day, (kind, _) in days if kind == "holiday"]
        workdays = [day for day, (kind, _) in days if kind == "workday"]
        return holidays, workdays, sorted(self.t.calendar_years)

    def set_day(self, day: date, kind: str, note: str | None, at: datetime) -> None:
        self.t.calendar_days[day] = (kind, note)

    def announce_year(self, year: int, at: datetime) -> None:
        self.t.calendar_years.setdefault(year, at)

    def template(self, key: str, lang: str) -> tuple[str, str] | None:
        found = self.t.templates.get((key, lang))
        return (found.subject, found.body) if found else None

    def set_template(self, key: str, lang: str, subject: str, body: str, at: datetime) -> None:
        self.t.templates[key, lang] = _Template(subject, body, at)

    def days(self, since: date, limit: int) -> list[tuple[date, str, str | None]]:
        found = sorted((d, kind, note) for d, (kind, note) in self.t.calendar_days.items() if d >= since)
        return found[:limit]


class MemoryMetrics(_Store):
    """The metrics computed over the rows in Python: the reference the SQL aggregates must equal
    (services/metrics.py defines each figure; the percentile is domain/periods.py's)."""

    def _faults(self) -> MemoryFaults:
        return MemoryFaults(self.t, self._db)

    def _kept(self, scope: MetricScope) -> set[int]:
        faults = self._faults()
        return {i for i, row in self.t.faults.items() if faults._wanted(row, scope.fault_filter)}

    @staticmethod
    def _fault_filtered(scope: MetricScope) -> bool:
        f = scope.fault_filter
        return bool(f.severity or f.ungraded or f.type_code or f.product or f.owner_id is not None)

    def _in_period(self, scope: MetricScope) -> list[FaultView]:
        kept = self._kept(scope)
        return [
            self.t.faults[i].view
            for i in sorted(kept)
            if scope.start <= self.t.faults[i].view.registered_at < scope.end
        ]

    def _clock_fault(self, row: ClockRow) -> int | None:
        if row.fault_id is not None:
            return row.fault_id
        report = self.t.reports.get(row.report_id) if row.report_id is not None else None
        return report.view.fault_id if report else None

    def _clocks(self, scope: MetricScope) -> list[ClockRow]:
        kept = self._kept(scope)
        needs_fault = self._fault_filtered(scope) or bool(scope.fault_filter.channel)
        out = []
        for i in sorted(self.t.clocks):
            row = self.t.clocks[i]
            fault = self._clock_fault(row)
            if not scope.start <= row.clock.started_at < scope.end:
                continue
            if fault is None and needs_fault:
                continue
            if fault is not None and fault not in kept:
                continue
            out.append(row)
        return out

    @staticmethod
    def _met(c: SlaClock) -> bool:
        return c.met_at is not None and c.met_at <= c.due_at and c.breached_at is None

    def _breached(self, c: SlaClock, now: datetime) -> bool:
        late = c.state is ClockState.RUNNING and c.due_at <= now
        return not self._met(c) and (c.breached_at is not None or c.met_at is not None or late)

    @staticmethod
    def _stats(values: list[float]) -> DurationStats:
        if not values:
            return NO_DURATIONS
        return DurationStats(len(values), sum(values) / len(values), percentile(values, 0.5), percentile(values, 0.9))

    @staticmethod
    def _bucket(at: datetime, edges: list[datetime]) -> int | None:
        for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
            if lo <= at < hi:
                return i
        return None

    def volume(self, scope: MetricScope, edges: list[datetime]) -> tuple[Volume, list[tuple[int, int]]]:
        return self._volume(scope), self._arrivals(scope, edges)

    def _volume(self, scope: MetricScope) -> Volume:
        faults = self._in_period(scope)
        by: dict[tuple[Severity | None, str], int] = {}
        for v in faults:
            by[(v.severity, v.type_code)] = by.get((v.severity, v.type_code), 0) + 1
        return Volume(
            reports_in=self._reports_in(scope, [scope.start, scope.end])[0],
            faults_in=len(faults),
            reopened=sum(1 for v in faults if v.reopen_count > 0),
            recurrences=sum(1 for v in faults if v.recurrence is Recurrence.RECURRENCE),
            by_severity_type=by,
        )

    def _reports_in(self, scope: MetricScope, edges: list[datetime]) -> list[int]:
        counts = [0] * (len(edges) - 1)
        no_channel = replace(scope.fault_filter, channel=[])
        kept = self._kept(replace(scope, fault_filter=no_channel))
        for row in self.t.reports.values():
            r = row.view
            if scope.fault_filter.channel and r.channel not in scope.fault_filter.channel:
                continue
            if self._fault_filtered(scope) and (r.fault_id is None or r.fault_id not in kept):
                continue
            i = self._bucket(r.received_at, edges)
            if i is not None:
                counts[i] += 1
        return counts

    def _arrivals(self, scope: MetricScope, edges: list[datetime]) -> list[tuple[int, int]]:
        faults = [0] * (len(edges) - 1)
        for i in self._kept(scope):
            b = self._bucket(self.t.faults[i].view.registered_at, edges)
            if b is not None:
                faults[b] += 1
        return list(zip(self._reports_in(scope, edges), faults, strict=True))

    def durations(
        self, scope: MetricScope, kinds: list[DurationKind], edges: list[datetime]
    ) -> dict[DurationKind, list[DurationStats]]:
        return {kind: self._durations(scope, kind, edges) for kind in kinds}

    def _durations(self, scope: MetricScope, kind: DurationKind, edges: list[datetime]) -> list[DurationStats]:
        values: list[list[float]] = [[] for _ in edges[1:]]
        if kind is DurationKind.RESOLVE:
            resolved: dict[int, datetime] = {}
            for row in self.t.clocks.values():
                if row.clock.kind is ClockKind.ARCHIVE and row.fault_id is not None:
                    resolved[row.fault_id] = max(resolved.get(row.fault_id, row.clock.started_at), row.clock.started_at)
            for fault_id in self._kept(scope):
                v = self.t.faults[fault_id].view
                at = resolved.get(fault_id)
                if at is None or v.status not in (FaultStatus.RESOLVED, FaultStatus.ARCHIVED):
                    continue
                if scope.start <= at < scope.end and (b := self._bucket(at, edges)) is not None:
                    values[b].append((at - v.registered_at).total_seconds())
        else:
            for row in self._clocks(scope):
                c = row.clock
                b = self._bucket(c.started_at, edges)
                if c.kind.value == kind.value and c.met_at is not None and b is not None:
                    values[b].append((c.met_at - c.started_at).total_seconds())
        return [self._stats(v) for v in values]

    def compliance(self, scope: MetricScope) -> list[ComplianceRow]:
        tally: dict[tuple[ClockKind, Severity | None], list[int]] = {}
        for row in self._clocks(scope):
            c = row.clock
            counts = tally.setdefault((c.kind, c.severity), [0, 0, 0])
            counts[0 if self._met(c) else 1 if self._breached(c, scope.now) else 2] += 1
        order = list(ClockKind)
        rows = [ComplianceRow(kind, sev, *counts) for (kind, sev), counts in tally.items()]
        return sorted(rows, key=lambda r: (order.index(r.kind), -1 if r.severity is None else int(r.severity)))

    def breaches(self, scope: MetricScope, limit: int) -> list[BreachRow]:
        rows = [r for r in self._clocks(scope) if self._breached(r.clock, scope.now)]
        rows.sort(key=lambda r: (r.clock.due_at, r.id))
        out = []
        for r in rows[:limit]:
            fault_id = self._clock_fault(r)
            v = self.t.faults[fault_id].view if fault_id is not None else None
            c = r.clock
            out.append(
                BreachRow(
                    r.id,
                    c.kind,
                    c.severity,
                    c.due_at,
                    c.breached_at,
                    c.met_at,
                    v.number if v else None,
                    v.title if v else None,
                    r.report_id,
                )
            )
        return out

    def top_faults(self, scope: MetricScope, limit: int) -> list[TopFault]:
        faults = sorted(self._in_period(scope), key=lambda v: (-v.affected_users, v.id))
        return [TopFault(v.number, v.title, v.severity, v.status, v.affected_users) for v in faults[:limit]]

    def top_recurring(self, scope: MetricScope, limit: int) -> list[TopFault]:
        repeats: dict[int, int] = {}
        for v in self._in_period(scope):
            related = self.t.faults[v.id].related_fault_id
            if v.recurrence is Recurrence.RECURRENCE and related is not None:
                repeats[related] = repeats.get(related, 0) + 1
        ordered = sorted(repeats.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        out = []
        for fault_id, n in ordered:
            v = self.t.faults[fault_id].view
            out.append(TopFault(v.number, v.title, v.severity, v.status, v.affected_users, n))
        return out

    def improvements(self, scope: MetricScope, due_from: date, due_to: date, today: date) -> ImprovementTally:
        kept = self._kept(scope)
        done = overdue = waiting = dropped = 0
        for row in self.t.improvements.values():
            if row.fault_id not in kept or not due_from <= row.due < due_to:
                continue
            if row.status is ActionStatus.DONE:
                done += 1
            elif row.status is ActionStatus.DROPPED:
                dropped += 1
            elif row.due < today:
                overdue += 1
            else:
                waiting += 1
        return ImprovementTally(done, overdue, waiting, dropped)

    def open_improvements(self, scope: MetricScope, today: date, limit: int) -> list[OpenImprovement]:
        kept = self._kept(scope)
        rows = sorted(
            ((i, r) for i, r in self.t.improvements.items() if r.fault_id in kept and r.status is ActionStatus.OPEN),
            key=lambda ir: (ir[1].due, ir[0]),
        )
        out = []
        for _, r in rows[:limit]:
            owner = self.t.users[r.owner_id]
            out.append(
                OpenImprovement(self.t.faults[r.fault_id].view.number, r.title, owner.display_name, r.due, r.status)
            )
        return out

    def open_now(self, scope: MetricScope) -> dict[tuple[FaultStatus, Severity | None], int]:
        counts: dict[tuple[FaultStatus, Severity | None], int] = {}
        for i in self._kept(scope):
            v = self.t.faults[i].view
            if v.status in OPEN_STATES:
                counts[(v.status, v.severity)] = counts.get((v.status, v.severity), 0) + 1
        return counts

    def retrospectives(self, scope: MetricScope, limit: int) -> list[RetrospectiveRow]:
        kept = self._kept(scope)
        out = []
        for i in sorted(self.t.stage_records):
            fault_id, record = self.t.stage_records[i]
            wanted = record.action == Action.RETROSPECT.value and fault_id in kept
            if wanted and scope.start <= record.recorded_at < scope.end:
                v = self.t.faults[fault_id].view
                out.append(RetrospectiveRow(v.number, v.title, record.recorded_at, dict(_json(record.data))))
        out.sort(key=lambda r: r.recorded_at)
        return out[:limit]


# ---- the unit of work ----------------------------------------------------------------------------


class MemoryExportJobs(_Store):
    def add(self, *, requested_by: int, at: datetime, format: str, language: str, filters: dict[str, Any]) -> int:
        user = self._user(requested_by)
        if user is None:
            raise IntegrityError("export job of an unknown user")
        job_id = self._new_id("export_jobs")
        self.t.export_jobs[job_id] = ExportJob(
            job_id,
            requested_by,
            user.username,
            at,
            format,
            language,
            dict(filters),
            "queued",
            0,
            0,
            None,
            None,
            None,
            None,
        )
        return job_id

    def get(self, job_id: int) -> ExportJob | None:
        return self.t.export_jobs.get(job_id)

    def of_user(self, user_id: int | None, limit: int) -> list[ExportJob]:
        jobs = [j for j in self.t.export_jobs.values() if user_id is None or j.requested_by_id == user_id]
        return sorted(jobs, key=lambda j: j.id, reverse=True)[:limit]

    def claim_next(self, now: datetime) -> ExportJob | None:
        queued = sorted((j for j in self.t.export_jobs.values() if j.state == "queued"), key=lambda j: j.id)
        if not queued:
            return None
        job = replace(queued[0], state="running", started_at=now)
        self.t.export_jobs[job.id] = job
        return job

    def progress(self, job_id: int, rows_done: int, rows_total: int) -> None:
        self.t.export_jobs[job_id] = replace(self.t.export_jobs[job_id], rows_done=rows_done, rows_total=rows_total)

    def finish(self, job_id: int, *, state: str, file_name: str | None, error: str | None, at: datetime) -> None:
        job = self.t.export_jobs[job_id]
        self.t.export_jobs[job_id] = replace(job, state=state, file_name=file_name, error=error, finished_at=at)


class MemoryRecordTable:
    """The record table read from a snapshot of the twins' tables, assembled as the SQL store does."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._uow: MemoryUnitOfWork | None = None

    def __enter__(self) -> MemoryRecordTable:
        self._uow = MemoryUnitOfWork(self._db)
        self._uow.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._uow is not None:
            self._uow.__exit__(exc_type, exc, tb)
        self._uow = None

    def count(self, flt: FaultFilter) -> int:
        assert self._uow is not None
        return self._uow.faults.count(flt)

    def batches(self, flt: FaultFilter, words_key: str, batch: int = 1000) -> Iterator[list[FaultRecord | str]]:
        records: Iterator[FaultRecord | str] = iter(self.stream(flt, batch))  # the twin keeps no lines
        while part := list(itertools.islice(records, batch)):
            yield part

    def stream(self, flt: FaultFilter, batch: int = 1000) -> Iterator[FaultRecord]:
        uow = self._uow
        assert uow is not None and uow._tables is not None
        t = uow._tables
        names = {u.id: u.username for u in t.users.values()}
        total = uow.faults.count(flt)
        views = uow.faults.search(replace(flt, page=1, page_size=max(total, 1))).items
        for view in views:
            reports = sorted(uow.reports.for_fault(view.id), key=lambda r: (r.received_at, r.id))
            head = FaultHead(
                view.id, view.number, view.type_code, view.title, view.status, view.severity, view.recurrence,
                view.affected_users, view.estimated_users, dict(view.owners), view.fix_version, view.gray_steps,
                view.registered_at,
            )  # fmt: skip
            steps = [
                StepFact(r.action, dict(r.data), r.recorded_at)
                for r in uow.faults.stage_records(view.id)
                if r.action in TABLE_ACTIONS
            ]
            clocks = ClockSummary.of(
                ClockFact(c.clock.kind.value, c.clock.state.value, c.clock.met_at, c.clock.breached_at)
                for c in uow.clocks.of_fault(view.id)
            )
            improvements = [
                ImprovementLine(i.title, i.owner, i.due, i.status)
                for i in uow.knowledge.improvements(fault_id=view.id, status=None, owner_id=None)
            ]
            ratings = RatingSummary.of(r.satisfaction for r in uow.reports.ratings_of_fault(view.id))
            imported = [e.after for e in uow.audit.timeline(view.id) if e.entity == "fault" and e.action == IMPORTED]
            yield assemble(
                head,
                _report_head(reports[0]) if reports else None,
                len(reports),
                steps,
                clocks,
                improvements,
                ratings,
                names,
                dict(imported[-1] or {}) if imported else None,
            )


def _report_head(r: ReportView) -> ReportHead:
    return ReportHead(
        r.received_at, r.channel, r.contact_masked, r.reporter_id, r.occurred_at, r.scenario, r.symptom,
        r.device_model, r.os_version, r.app_version, r.network,
    )  # fmt: skip


class MemoryUnitOfWork(UnitOfWork):
    """One transaction over a ``MemoryDatabase``: entering copies the committed tables, the stores
    work on the copy, ``commit()`` publishes what they changed, and leaving the block drops the
    rest. Later changes in the same block need another commit, as with the SQL unit of work.
    Its port is its base class, so the stores' attributes are typed as the protocol declares them."""

    def __init__(self, db: MemoryDatabase) -> None:
        self._db = db
        self._since: MemoryTables | None = None
        self._tables: MemoryTables | None = None

    def __enter__(self) -> UnitOfWork:
        since = self._db.snapshot()
        tables = since.copy()
        self._since, self._tables = since, tables
        db = self._db
        self.users = MemoryUsers(tables, db)
        self.sessions = MemorySessions(tables, db)
        self.catalogue = MemoryCatalogue(tables, db)
        self.reports = MemoryReports(tables, db)
        self.faults = MemoryFaults(tables, db)
        self.audit = MemoryAudit(tables, db)
        self.knowledge = MemoryKnowledge(tables, db)
        self.clocks = MemoryClocks(tables, db)
        self.outbox = MemoryOutbox(tables, db)
        self.settings = MemorySettings(tables, db)
        self.export_jobs = MemoryExportJobs(tables, db)
        self.metrics = MemoryMetrics(tables, db)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._since = self._tables = None  # anything not committed goes with the copy

    def commit(self) -> None:
        assert self._since is not None and self._tables is not None, "commit outside a unit of work"
        self._db.publish(self._since, self._tables)
        self._since = self._tables.copy()


# ---- the other ports ---------------------------------------------------------------------------


class MemoryAttachmentFiles:
    """Attachment files in a dict. ``clean`` refuses what does not start like its type (the real
    adapter decodes the image) and drops nothing: tests of metadata use the real adapter."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    def clean(self, data: bytes, file_type: FileType) -> bytes:
        if file_type.is_image and len(data) < 16:
            raise UnreadableImage("too short to be an image")
        return data

    def thumbnail(self, clean: bytes, file_type: FileType) -> bytes | None:
        return b"thumb:" + clean[:16] if file_type.is_image else None

    def put(self, data: bytes) -> str:
        key = f"{next(self._ids):032x}"
        self.files[key] = data
        return key

    def read(self, key: str) -> bytes:
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key]

    def discard(self, key: str) -> None:
        self.files.pop(key, None)


class MemoryNotifier:
    """A notifier that keeps every envelope it takes in ``sent`` (and every one it was given in
    ``tried``). ``fail`` makes it refuse an address (or, with None, every address) the way a far
    end does: ``DeliveryFailed`` for this message, ``ChannelDown`` for the whole channel."""

    def __init__(self) -> None:
        self.sent: list[Envelope] = []
        self.tried: list[Envelope] = []
        self.closed = 0  # how many batches have ended
        self._failing: dict[str | None, tuple[type[DeliveryFailed], str]] = {}

    def fail(self, address: str | None = None, error: type[DeliveryFailed] = DeliveryFailed, reason: str = "") -> None:
        self._failing[address] = (error, reason or f"{error.__name__} (test)")

    def recover(self, address: str | None = None) -> None:
        self._failing.pop(address, None)

    def send(self, envelope: Envelope) -> None:
        self.tried.append(envelope)
        failing = self._failing.get(envelope.address) or self._failing.get(None)
        if failing is not None:
            error, reason = failing
            raise error(reason)
        self.sent.append(envelope)

    def close(self) -> None:
        self.closed += 1


class MemoryKnownIssueSearch:
    """The known-issue search over a dict of analysed documents, ranked by the domain's reference
    ranking (``rank_scalar``, which the real index must match): exact and slow, for a handful of
    documents. Collection statistics come from the documents searched (after ``kinds`` and
    ``exclude``), so scores can differ from the index's a little; the order rarely does."""

    def __init__(self, analyzer: Analyzer | None = None) -> None:
        self.analyzer = analyzer or Analyzer(CjkBigramSegmenter())
        self.documents: dict[DocumentKey, AnalyzedDocument] = {}

    def add(self, doc: MatchDocument) -> None:
        self.documents[doc.key] = self.analyzer.analyze(doc)

    def remove(self, key: DocumentKey) -> bool:
        return self.documents.pop(key, None) is not None

    def copy_state(self) -> object:
        return dict(self.documents)

    def load_state(self, state: Any) -> None:
        self.documents = dict(state)

    def __contains__(self, key: object) -> bool:
        return key in self.documents

    def search(
        self,
        query: MatchDocument,
        *,
        now: datetime,
        k: int = 10,
        kinds: Collection[DocumentKind] | None = None,
        exclude: Collection[DocumentKey] = (),
    ) -> list[MatchCandidate]:
        skip = {*exclude, query.key}  # the query's own key is always excluded, as in the index
        pool = [
            (key, doc) for key, doc in self.documents.items() if key not in skip and (kinds is None or key[0] in kinds)
        ]
        return rank_scalar(self.analyzer.analyze(query), pool, now, k=k)


def memory_index_factory(product_terms: list[str], groups: list[list[str]]) -> MemoryKnownIssueSearch:
    """An ``IndexFactory`` for ``KnownIssueLibrary``: character bigrams for Chinese instead of
    jieba (no dictionary to load), the stored synonyms or ours."""
    synonyms = Synonyms.from_groups(groups) if groups else DEFAULT_SYNONYMS
    return MemoryKnownIssueSearch(Analyzer(CjkBigramSegmenter(), synonyms))


class MemorySecrets:
    """Secrets for tests only, with no secrecy at all: "encryption" is reversible base64 behind a
    marker, the keyed hash has a fixed key, and tokens count up so a test can predict them."""

    MARK = b"test-only:"

    def __init__(self) -> None:
        self._issued = itertools.count(1)

    def encrypt(self, plain: str) -> bytes:
        return self.MARK + base64.b64encode(plain.encode())

    def decrypt(self, cipher: bytes) -> str:
        if not cipher.startswith(self.MARK):
            raise ValueError("cannot decrypt: not encrypted by MemorySecrets")
        return base64.b64decode(cipher[len(self.MARK) :]).decode()

    def keyed_hash(self, value: str) -> str:
        return hmac.new(b"test-only-key", value.encode(), hashlib.sha256).hexdigest()

    def digest(self, token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def new_token(self, prefix: str = "") -> str:
        return f"{prefix}test-token-{next(self._issued):06d}"


class PlainPasswords:
    """Password hashing for tests only: an unsalted SHA-256, instant where Argon2 is slow on purpose."""

    def hash(self, password: str) -> str:
        return "sha256$" + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        return hmac.compare_digest(password_hash, self.hash(password))


if TYPE_CHECKING:  # mypy --strict holds each twin to its port
    _uow: UnitOfWork = MemoryUnitOfWork(MemoryDatabase())
    _notifier: Notifier = MemoryNotifier()
    _search: KnownIssueSearch = MemoryKnownIssueSearch()
    _secrets: Secrets = MemorySecrets()
    _passwords: PasswordHasher = PlainPasswords()

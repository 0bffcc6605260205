"""What the service layer hands out and takes in: plain dataclasses, no ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Final, Generic, Protocol, TypeVar

from faultdesk.domain.attachments import FileType
from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus, FaultLife, Recurrence, SpecialTeam, Stage, TestCase
from faultdesk.domain.reports import Channel, ContactKind, ReportDetails
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact
from faultdesk.domain.sla import SlaClock


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, the public intake form, or the system (worker)."""

    id: int | None
    label: str
    role: Role | None
    language: str | None = None  # the console's language this user chose (None: the browser's)

    @classmethod
    def public(cls) -> Actor:
        return cls(None, "public", None)

    @classmethod
    def system(cls) -> Actor:
        return cls(None, "system", None)

    @property
    def is_system(self) -> bool:
        """The server itself (the CLI, the worker): no user row, so a user named "system" is not it."""
        return self.id is None and self.label == "system"


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    role: Role
    password_hash: str
    active: bool
    created_at: datetime
    email: str | None = None
    timezone: str | None = None  # working hours in this zone; None: the organisation's
    language: str | None = None  # "zh" or "en" for the console; None: the browser's


@dataclass(frozen=True)
class ProductFunctionRecord:
    id: int
    product_id: int
    product_code: str
    code: str
    name: str
    criticality: Criticality


@dataclass(frozen=True)
class ProductRecord:
    id: int
    code: str
    name: str
    functions: tuple[ProductFunctionRecord, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReportView(ReportDetails):
    """A stored report as staff see it (the contact masked), for intake's answer and every read."""

    id: int
    channel: Channel
    received_at: datetime
    contact_kind: ContactKind | None
    contact_masked: str | None
    product_code: str | None
    function_code: str | None
    fault_id: int | None
    fault_number: str | None
    created_at: datetime
    reporter_key: str | None = None


@dataclass(frozen=True)
class FaultView:
    id: int
    number: str
    type_code: str
    title: str
    status: FaultStatus
    severity: Severity | None
    product_code: str | None
    function_code: str | None
    affected_users: int
    estimated_users: int | None
    registered_at: datetime
    registered_by: str
    updated_at: datetime
    version: int
    report_count: int
    reopen_count: int = 0
    fix_version: str | None = None
    cases: tuple[TestCase, ...] = ()
    gray_steps: int = 0
    impact: Impact | None = None
    revenue_impact: bool = False
    recurrence: Recurrence | None = None
    related_fault: str | None = None
    known_issue: str | None = None
    owners: dict[str, int] = field(default_factory=dict)
    team: dict[str, Any] | None = None
    merged_into: str | None = None
    estimate_source: str | None = None
    function_criticality: Criticality | None = None
    registered_by_id: int | None = None
    # A public known issue (issue 12.2): what end users read of it. None: internal only.
    public_title: str | None = None
    public_status: str | None = None
    # A P2 resolved as "ships in version X" waits for X's release to tell its reporters (12.5).
    waiting_release: str | None = None
    # Read from the clocks and stage records (not stored on the fault): what the lifecycle needs
    # to stop offering an action that has had its effect.
    responded: bool = False  # its response clock is met
    retrospected: bool = False  # its retrospective is recorded
    # The version released to everyone (全量发布), which may differ from the developer's fix build.
    released_version: str | None = None

    @property
    def is_public(self) -> bool:
        return self.public_title is not None

    @property
    def life(self) -> FaultLife:
        return FaultLife(
            number=self.number,
            status=self.status,
            severity=self.severity,
            reopen_count=self.reopen_count,
            cases=self.cases,
            gray_steps=self.gray_steps,
            fix_version=self.fix_version,
            responded=self.responded,
            retrospected=self.retrospected,
        )

    @property
    def impact_users(self) -> int:
        return counted_users(self.affected_users, self.estimated_users)


def counted_users(affected: int, estimated: int | None) -> int:
    """Users counted for severity: distinct reporters, or the estimate when it is larger."""
    return max(affected, estimated or 0)


class AboutFault(Protocol):
    """What a message needs to know of its fault: who owns it and what to say. ``FaultView``
    has it among much else; ``FaultBrief`` has only this, read cheaply for a batch of clocks."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> FaultStatus: ...
    @property
    def severity(self) -> Severity | None: ...
    @property
    def impact_users(self) -> int: ...
    @property
    def owners(self) -> dict[str, int]: ...
    @property
    def team(self) -> dict[str, Any] | None: ...
    @property
    def registered_by_id(self) -> int | None: ...
    @property
    def public_title(self) -> str | None: ...


@dataclass(frozen=True)
class FaultBrief:
    """A fault as the worker's notices see it (no joins, no stage data)."""

    id: int
    number: str
    title: str
    status: FaultStatus
    severity: Severity | None
    impact_users: int
    owners: dict[str, int]
    team: dict[str, Any] | None
    registered_by_id: int | None
    public_title: str | None = None  # what reporters may read of it (messages.reporter_context)


@dataclass(frozen=True)
class StageRecord:
    id: int
    action: str
    data: dict[str, Any]
    actor: str
    recorded_at: datetime


@dataclass(frozen=True)
class SeverityChange:
    from_severity: Severity | None
    to_severity: Severity
    reason: str
    changed_by: str | None
    changed_at: datetime


@dataclass(frozen=True)
class ImprovementRecord:
    id: int
    fault_number: str
    title: str
    owner: str  # the username
    due: date
    status: ActionStatus
    created_at: datetime
    updated_at: datetime
    owner_name: str = ""  # their display name, for pages


@dataclass(frozen=True)
class KbArticleRecord:
    id: int
    fault_number: str | None
    title: str
    symptoms: str
    cause: str
    fix: str
    workaround: str | None
    tags: list[str]
    created_at: datetime


@dataclass(frozen=True)
class DeflectionEvent:
    """A suggestion on the report form shown to a reporter, or followed by one (issue 12.2)."""

    kind: str  # "shown" / "followed"
    at: datetime
    fault_id: int | None = None  # a public known issue
    article_id: int | None = None  # or a knowledge-base article
    report_id: int | None = None  # followed: the report filed as following the fault


@dataclass(frozen=True)
class AuditEvent:
    at: datetime
    actor: Actor
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    fault_id: int | None = None
    id: int | None = None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    """The offset and limit of a 1-based page: every store pages the same way."""
    return (page - 1) * page_size, page_size


def sort_order(sort: str) -> tuple[str, bool]:
    """A listing's ``sort``: the field it orders by and whether descending (``-registered_at``).
    Ties go by id, in the same direction."""
    return sort.lstrip("-"), sort.startswith("-")


# The fields a listing may be sorted by (the API offers each both ways).
FAULT_SORTS = ("registered_at", "updated_at", "severity", "affected_users", "number")
# The queues also sort by the due time of the clock that matters (the earliest one not met).
QUEUE_SORTS = (*FAULT_SORTS, "due_at")


@dataclass(frozen=True)
class WorkOf:
    """A person's work (domain/queues.py): faults they own or registered, not finished, or whose
    next move their role makes (``turns``: status, and the severities it is theirs at; None: any)."""

    user_id: int
    unfinished: frozenset[FaultStatus]
    turns: tuple[tuple[FaultStatus, frozenset[Severity] | None], ...] = ()


class ClockQueue(Enum):
    """The queues read from the clocks: one of the fault's clocks is …"""

    BREACHING = "breaching"  # running and due within ``soon``
    BREACHED = "breached"  # past its due time and not met
    PAUSED = "paused"  # paused
    OWED_REPLY = "owed_reply"  # a first-reply or progress-update clock not met (stage 4)


@dataclass(frozen=True)
class ClockWindow:
    queue: ClockQueue
    now: datetime
    soon_s: int = 3600


@dataclass(frozen=True)
class TextMatch:
    """A queue's text search: a number starting so, or one of the faults the text index found."""

    number_prefix: str | None = None
    fault_ids: tuple[int, ...] = ()


REPORT_SORTS = ("received_at", "occurred_at", "id")


@dataclass(frozen=True)
class FaultFilter:
    status: list[FaultStatus] = field(default_factory=list)
    severity: list[Severity] = field(default_factory=list)
    type_code: list[str] = field(default_factory=list)
    channel: list[Channel] = field(default_factory=list)  # faults with a report from these channels
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    sort: str = "-registered_at"
    page: int = 1
    page_size: int = 20
    ungraded: bool = False  # with ``severity``: also (or, alone: only) faults not graded yet
    product: list[str] = field(default_factory=list)  # product codes
    owner_id: int | None = None  # owns a stage of the fault or is on its P0 team
    work_of: WorkOf | None = None
    clocks: ClockWindow | None = None
    text: TextMatch | None = None


@dataclass(frozen=True)
class ReportFilter:
    channel: list[Channel] = field(default_factory=list)
    fault_status: list[FaultStatus] = field(default_factory=list)
    severity: list[Severity] = field(default_factory=list)
    type_code: list[str] = field(default_factory=list)
    linked: bool | None = None  # True: has a fault; False: still waiting for registration
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None  # every word in the symptom, scenario or description (substring: works for Chinese)
    sort: str = "-received_at"
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True)
class ClockRow:
    id: int
    fault_id: int | None
    report_id: int | None
    improvement_id: int | None
    clock: SlaClock


@dataclass(frozen=True)
class Outgoing:
    """A message to put in the outbox; ``recipient`` is a reference resolved only at delivery
    (``report:12`` → the decrypted contact, ``user:3`` → a staff e-mail, ``robot:dingtalk``)."""

    message_id: str
    channel: str
    recipient: str
    kind: str
    subject: str
    body: str
    not_before: datetime
    created_at: datetime
    fault_id: int | None = None
    report_id: int | None = None
    state: str = "pending"  # "shown": only on the reporter's tracking page, never sent


@dataclass(frozen=True)
class StoredMessage:
    id: int
    message_id: str
    channel: str
    recipient: str
    kind: str
    subject: str
    body: str
    fault_id: int | None
    report_id: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class NewAttachment:
    """A file already in the attachment store, to be recorded against a report."""

    storage_key: str
    file_type: FileType
    filename: str  # safe_filename'd
    size: int
    thumb_key: str | None = None  # a small WebP of an image, for pages that list many


@dataclass(frozen=True)
class AttachmentRecord:
    """A reporter's screenshot or recording as staff see it: served only through a staff route."""

    id: int
    report_id: int
    storage_key: str
    file_type: FileType
    filename: str
    size: int
    added_at: datetime
    later: bool  # added on the tracking page after the report was filed
    thumb_key: str | None = None


@dataclass(frozen=True)
class ReporterRating:
    """A reporter's satisfaction (满意度, 1–5) with their comment (用户反馈), once per report."""

    report_id: int
    satisfaction: int
    comment: str | None
    rated_at: datetime


@dataclass(frozen=True)
class ReleaseRecord:
    id: int
    product_code: str
    version: str
    released_on: date
    notes: str
    known_issues: str | None
    created_at: datetime


@dataclass(frozen=True)
class Step:
    """The lifecycle step an event came from, as its reactions (``services/reactions.py``) see it."""

    before: FaultView  # the fault as the step found it
    after: FaultView  # as the step left it: read back after the update
    actor: Actor
    now: datetime


class Keep(Enum):
    """A field of ``FaultChanges`` the update leaves alone (None is a value: "no fix version yet")."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


@dataclass(frozen=True)
class FaultChanges:
    """What an update writes to a fault, in domain values: the fault store encodes them."""

    status: FaultStatus | Keep = KEEP
    severity: Severity | Keep | None = KEEP
    reopen_count: int | Keep = KEEP
    cases: tuple[TestCase, ...] | Keep = KEEP
    gray_steps: int | Keep = KEEP
    fix_version: str | Keep | None = KEEP
    impact: Impact | Keep = KEEP
    revenue_impact: bool | Keep = KEEP
    recurrence: Recurrence | Keep = KEEP
    related_fault_id: int | Keep | None = KEEP
    known_issue: str | Keep | None = KEEP
    owners: dict[Stage, int] | Keep = KEEP  # the whole mapping, stage → user id
    team: SpecialTeam | Keep = KEEP
    merged_into_id: int | Keep = KEEP
    public_title: str | Keep | None = KEEP
    public_status: str | Keep | None = KEEP
    waiting_release: str | Keep | None = KEEP

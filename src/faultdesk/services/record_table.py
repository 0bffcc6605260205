"""The record table 故障反馈处理记录表 (the template's 三, issue 13): one row a fault, its reports
summarised, its stages reduced to what the table shows. Pure: the stores read the pieces in
batches and ``assemble`` puts one fault's together, the same way for the SQL and in-memory stores.

A fault imported from an older table (``services/history.py``) keeps what the table said of the
columns FaultDesk has no record for (its owners, cause, release, clocks, retrospective …) in its
``imported`` audit event; a column with a live record of its own shows that record instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import Action, ActionStatus, Recurrence, Stage
from faultdesk.domain.reports import Channel, Network
from faultdesk.domain.sla import ClockKind, ClockState

# How a fix reached its users (发布方式): the codes a live fault's release steps give.
GRAY_THEN_FULL = "gray_then_full"  # 灰度发布 → 全量发布 (P0/P1)
FULL = "full"  # 全量发布 without gray steps
WITH_FIX = "with_fix"  # resolved on the reporter's confirmation: shipped with the fix (P2)
RELEASE_CODES = (GRAY_THEN_FULL, FULL, WITH_FIX)

# The stage records the table reads (the others are not shown in it).
TABLE_ACTIONS = tuple(
    a.value
    for a in (
        Action.RECORD_CAUSE,
        Action.PROPOSE_PLAN,
        Action.CONFIRM,
        Action.RELEASE_FULL,
        Action.ARCHIVE,
        Action.RETROSPECT,
    )
)
FINISHED_CLOCKS = (ClockState.MET.value, ClockState.BREACHED.value)
FIRST_REPLY = ClockKind.FIRST_REPLY.value
IMPORTED = "imported"  # the audit action of an imported fault; its ``after`` holds the table's words


@dataclass(slots=True)  # not frozen: see FaultRecord
class FaultHead:
    """The fault's own columns the table needs."""

    id: int
    number: str
    type_code: str
    title: str
    status: FaultStatus
    severity: Severity | None
    recurrence: Recurrence | None
    affected_users: int
    estimated_users: int | None
    owners: dict[str, int]
    fix_version: str | None
    gray_steps: int
    registered_at: datetime


@dataclass(slots=True)  # not frozen: see FaultRecord
class ReportHead:
    """A report's columns the table shows (its first report's, with the count of all)."""

    received_at: datetime
    channel: Channel
    contact_masked: str | None
    reporter_id: str | None
    occurred_at: datetime | None
    scenario: str | None
    symptom: str
    device_model: str | None
    os_version: str | None
    app_version: str | None
    network: Network | None


@dataclass(frozen=True)
class StepFact:
    action: str
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class ClockFact:
    kind: str
    state: str
    met_at: datetime | None
    breached_at: datetime | None


@dataclass(frozen=True)
class ClockSummary:
    """What the table says of a fault's clocks. The SQL store counts the same in its query
    (``record_table_store``); the in-memory twin sums its clocks with ``of``."""

    finished: int = 0  # met or breached
    on_time: int = 0  # finished without a breach
    first_reply_at: datetime | None = None  # the first first-reply clock met

    @classmethod
    def of(cls, clocks: Iterable[ClockFact]) -> ClockSummary:
        clocks = list(clocks)
        finished = [c for c in clocks if c.state in FINISHED_CLOCKS]
        replies = [c.met_at for c in clocks if c.kind == FIRST_REPLY and c.met_at is not None]
        return cls(len(finished), sum(1 for c in finished if c.breached_at is None), min(replies, default=None))


@dataclass(frozen=True)
class RatingSummary:
    """The reporters' satisfaction ratings of a fault's reports: how many, and their sum."""

    count: int = 0
    total: int = 0

    @classmethod
    def of(cls, ratings: Iterable[int]) -> RatingSummary:
        values = list(ratings)
        return cls(len(values), sum(values))


@dataclass(frozen=True)
class ImprovementLine:
    title: str
    owner: str
    due: date
    status: ActionStatus


@dataclass(slots=True)
class FaultRecord:
    """One row of the record table, in values (codes, UTC instants); the entry points put it in words.

    Not frozen, and with slots: an export builds one a fault, up to a million, and a frozen
    dataclass's ``__init__`` (``object.__setattr__`` a field) costs four times a plain one's.
    Nothing changes a record once built."""

    number: str
    registered_at: datetime
    type_code: str
    status: FaultStatus
    severity: Severity | None
    recurrence: Recurrence | None
    impact_users: int
    report_count: int
    title: str = ""
    received_at: datetime | None = None
    channel: Channel | None = None
    user_info: str | None = None  # masked contact, else the reporter's id masked
    occurred_at: datetime | None = None
    scenario: str | None = None
    symptom: str | None = None
    device_model: str | None = None
    os_version: str | None = None
    app_version: str | None = None
    network: Network | None = None
    owners: tuple[tuple[Stage, str], ...] = ()
    owners_text: str | None = None  # imported: as the older table said it
    cause: str | None = None
    solution: str | None = None
    fix_version: str | None = None
    release: str | None = None  # one of RELEASE_CODES, or an imported table's words
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    handling_min: int | None = None
    clocks_total: int = 0
    clocks_on_time: int = 0
    confirmed: bool | None = None  # the reporter's last answer: recovered or still broken
    satisfaction: int | None = None
    retrospective: str | None = None
    improvements: tuple[ImprovementLine, ...] = ()
    improvements_text: str | None = None  # imported
    archived_at: datetime | None = None
    history: dict[str, Any] = field(default_factory=dict)  # imported: the table's own values, as stored


def mask_reporter(reporter_id: str | None) -> str | None:
    """A reporter's id as the table shows it: its ends only (``u1****89``)."""
    if not reporter_id:
        return None
    if len(reporter_id) <= 4:
        return reporter_id[0] + "*" * (len(reporter_id) - 1)
    return reporter_id[:2] + "****" + reporter_id[-2:]


_STAGE_ORDER = {stage.value: i for i, stage in enumerate(Stage)}
_RELEASE_FULL, _CONFIRM = Action.RELEASE_FULL.value, Action.CONFIRM.value


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def assemble(
    head: FaultHead,
    first: ReportHead | None,
    report_count: int,
    steps: list[StepFact],
    clocks: ClockSummary,
    improvements: list[ImprovementLine],
    ratings: RatingSummary,
    usernames: dict[int, str],
    imported: dict[str, Any] | None = None,
) -> FaultRecord:
    """One fault's row. ``first``: its first report (summarised; ``report_count`` counts all);
    ``steps`` in the order they were recorded; ``imported``: the ``after`` of the fault's imported
    audit event. Runs once a row of an export of up to a million, so it walks the steps once."""
    old = imported or {}
    last: dict[str, StepFact] = {}
    resolved: StepFact | None = None  # the last full release, or confirmation that it recovered
    for step in steps:
        last[step.action] = step
        if step.action == _RELEASE_FULL or (step.action == _CONFIRM and step.data.get("recovered")):
            resolved = step
    cause = last.get(Action.RECORD_CAUSE.value)
    plan = last.get(Action.PROPOSE_PLAN.value)
    confirm = last.get(_CONFIRM)
    archive = last.get(Action.ARCHIVE.value)
    retro = last.get(Action.RETROSPECT.value)
    if _RELEASE_FULL in last:
        release: str | None = GRAY_THEN_FULL if head.gray_steps else FULL
    elif resolved is not None:
        release = WITH_FIX
    else:
        release = old.get("release")
    if archive is not None and archive.data.get("satisfaction") is not None:
        satisfaction: int | None = int(archive.data["satisfaction"])
    elif ratings.count:
        satisfaction = round(ratings.total / ratings.count)
    else:
        satisfaction = old.get("satisfaction")
    if clocks.finished:
        clocks_total, on_time = clocks.finished, clocks.on_time
    else:
        clocks_total, on_time = int(old.get("clocks_total", 0)), int(old.get("clocks_on_time", 0))
    owners = (
        tuple(
            (Stage(stage), usernames.get(user_id, str(user_id)))
            for stage, user_id in sorted(head.owners.items(), key=lambda kv: _STAGE_ORDER[kv[0]])
            if user_id is not None
        )
        if head.owners
        else ()
    )
    if resolved is not None:
        resolved_at: datetime | None = resolved.at
        handling: int | None = int((resolved.at - head.registered_at).total_seconds() // 60)
    else:
        resolved_at, handling = _instant(old.get("resolved_at")), old.get("handling_min")
    return FaultRecord(
        number=head.number,
        registered_at=head.registered_at,
        type_code=head.type_code,
        status=head.status,
        severity=head.severity,
        recurrence=head.recurrence,
        impact_users=max(head.affected_users, head.estimated_users or 0),
        report_count=report_count + max(int(old.get("report_count", 1)) - 1, 0) if old else report_count,
        title=head.title,
        received_at=first.received_at if first else None,
        channel=first.channel if first else None,
        user_info=(first.contact_masked or mask_reporter(first.reporter_id)) if first else None,
        occurred_at=first.occurred_at if first else None,
        scenario=first.scenario if first else None,
        symptom=first.symptom if first else None,
        device_model=first.device_model if first else None,
        os_version=first.os_version if first else None,
        app_version=first.app_version if first else None,
        network=first.network if first else None,
        owners=owners,
        owners_text=None if owners else old.get("owners"),
        cause=(archive.data.get("cause") if archive else None)
        or (cause.data.get("cause") if cause else None)
        or old.get("cause"),
        solution=(archive.data.get("solution") if archive else None)
        or (plan.data.get("description") if plan else None)
        or old.get("solution"),
        fix_version=head.fix_version,
        release=release,
        first_response_at=clocks.first_reply_at or _instant(old.get("first_response_at")),
        resolved_at=resolved_at,
        handling_min=handling,
        clocks_total=clocks_total,
        clocks_on_time=on_time,
        confirmed=bool(confirm.data.get("recovered")) if confirm else old.get("confirmed"),
        satisfaction=satisfaction,
        retrospective=(retro.data.get("analysis") if retro else None) or old.get("retrospective"),
        improvements=tuple(improvements),
        improvements_text=None if improvements else old.get("improvements"),
        archived_at=archive.at if archive else _instant(old.get("archived_at")),
        history=old,
    )

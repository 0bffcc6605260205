"""The reporter's own side: what the public form offers, what the tracking page may show, and the
reporter's satisfaction rating. Everything here is reached with a tracking token and shows the
reporter their own report only: never other reporters, staff names, internal notes or titles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from faultdesk.domain.errors import Conflict, NotFound, RuleViolation
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services import attachments, messages
from faultdesk.services.attachments import IncomingFile
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import (
    Actor,
    AuditEvent,
    FaultView,
    ProductFunctionRecord,
    ReporterRating,
    ReportView,
)

CATALOGUE_LIMIT = 500  # a form's select, not a catalogue browser
MESSAGE_LIMIT = 100
RATEABLE = frozenset({FaultStatus.RESOLVED, FaultStatus.ARCHIVED})
ADDITION_LIMIT = 2000  # one addition
DESCRIPTION_LIMIT = 20000  # the report's description with every addition


@dataclass(frozen=True)
class Catalogue:
    products: list[tuple[str, str]]
    functions: list[ProductFunctionRecord]


def form_catalogue(desk: Desk) -> Catalogue:
    """The products and functions a reporter can choose from."""
    with desk.uow() as uow:
        products = uow.catalogue.products(CATALOGUE_LIMIT)
    functions = [fn for product in products for fn in product.functions][:CATALOGUE_LIMIT]
    return Catalogue([(p.code, p.name) for p in products], functions)


@dataclass(frozen=True)
class ReporterMessage:
    """A message to this reporter as the page shows it: its words and time, never the address."""

    subject: str
    body: str
    at: datetime


@dataclass(frozen=True)
class Following:
    report: ReportView
    status: FaultStatus | None  # None until the report is registered as a fault
    messages: list[ReporterMessage]
    next_update_due: datetime | None  # the running update clock (else the first reply's)
    rating: ReporterRating | None
    attachments: list[str]  # the names of the files they sent: no link, files are for staff
    public_title: str | None = None  # the fault's public words, when it is a public known issue
    public_status: str | None = None

    @property
    def can_confirm(self) -> bool:
        return self.status is FaultStatus.AWAITING_CONFIRMATION

    @property
    def can_rate(self) -> bool:
        return self.status in RATEABLE and self.rating is None


def _report(desk: Desk, uow: UnitOfWork, token: str) -> ReportView:
    report = uow.reports.by_token_hash(desk.secrets.digest(token))
    if report is None:
        raise NotFound("unknown tracking link", "查询链接无效")
    return report


def follow(desk: Desk, token: str) -> Following:
    """What the tracking page shows, read in one unit of work."""
    with desk.uow() as uow:
        report = _report(desk, uow, token)
        fault: FaultView | None = uow.faults.by_id(report.fault_id) if report.fault_id else None
        sent = uow.outbox.listing(state=None, report_id=report.id, fault_id=None, limit=MESSAGE_LIMIT)
        due = None
        if fault is not None:
            running = {
                row.clock.kind: row.clock.due_at
                for row in uow.clocks.of_fault(fault.id)
                if row.clock.state in (ClockState.RUNNING, ClockState.BREACHED)
            }
            due = running.get(ClockKind.UPDATE) or running.get(ClockKind.FIRST_REPLY)
        rating = uow.reports.rating(report.id)
        names = [a.filename for a in uow.reports.attachments_of([report.id]).get(report.id, [])]
    messages = [ReporterMessage(m.subject, m.body, m.created_at) for m in sent if m.recipient == f"report:{report.id}"]
    public = fault if fault is not None and fault.is_public else None
    return Following(
        report,
        fault.status if fault else None,
        messages,
        due,
        rating,
        names,
        public.public_title if public else None,
        public.public_status if public else None,
    )


def rate(desk: Desk, token: str, *, satisfaction: int, comment: str | None) -> ReporterRating:
    """The reporter's 满意度 (1–5) and 用户反馈, once per report, after the fault is resolved."""
    if not 1 <= satisfaction <= 5:
        raise RuleViolation.one("satisfaction", "is from 1 to 5", "满意度须为 1–5")
    now = desk.clock.now()
    with desk.uow() as uow:
        report = _report(desk, uow, token)
        fault = uow.faults.by_id(report.fault_id) if report.fault_id else None
        if fault is None or fault.status not in RATEABLE:
            raise Conflict("you can rate once the problem is resolved", "问题解决后才可评价")
        if uow.reports.rating(report.id) is not None:
            raise Conflict("this report was rated already", "该反馈已评价过")
        rating = ReporterRating(report.id, satisfaction, comment or None, now)
        uow.reports.rate(rating)
        uow.audit.record(
            AuditEvent(
                at=now,
                actor=Actor(None, f"reporter:{report.id}", None),
                entity="report",
                entity_id=str(report.id),
                action="rated",
                fault_id=fault.id,
                after={"satisfaction": satisfaction, "comment": comment},
            )
        )
        uow.commit()
    return rating


def add_information(desk: Desk, token: str, text: str, files: Sequence[IncomingFile] = ()) -> ReportView:
    """The reporter tells more later, in words or screenshots: the words appended to their
    report's description with their time, the files attached to the report, and the fault's owner
    (if it is registered) hears of it as staff hear of everything."""
    text = text.strip()
    if not text and not files:
        raise RuleViolation.one("text", "is empty", "请填写补充内容")
    if len(text) > ADDITION_LIMIT:
        limit = ADDITION_LIMIT
        raise RuleViolation.one("text", f"at most {limit} characters", f"长度不能超过 {limit} 个字符")
    now = desk.clock.now()
    if files:
        with desk.uow() as uow:  # the token first: an unknown link writes no file
            _report(desk, uow, token)
    with attachments.held(desk, files) as written, desk.uow() as uow:
        report = _report(desk, uow, token)
        if text:
            stamp = now.astimezone(ZoneInfo(desk.timezone)).strftime("%Y-%m-%d %H:%M")
            added = f"[{stamp}] {text}"
            description = f"{report.description}\n\n{added}" if report.description else added
            if len(description) > DESCRIPTION_LIMIT:
                raise RuleViolation.one(
                    "text", "this report cannot take more additions", "该反馈的补充内容已达上限，请提交新的反馈"
                )
            uow.reports.set_description(report.id, description)
        kept = attachments.record(uow, report.id, written, now, later=True)
        fault = uow.faults.by_id(report.fault_id) if report.fault_id else None
        if fault is not None:
            owners = messages.staff_for(uow, fault, "owner")
            link = messages.staff_link(desk, fault)
            told = "\n".join(filter(None, [text, _files_line(desk.language, len(kept))]))
            messages.to_staff(desk, uow, fault, owners, "reporter_added", {"text": told, "link": link}, now)
        uow.audit.record(
            AuditEvent(
                at=now,
                actor=Actor(None, f"reporter:{report.id}", None),
                entity="report",
                entity_id=str(report.id),
                action="information_added",
                fault_id=fault.id if fault else None,
                after={"text": text, "attachments": [a.filename for a in kept]},
            )
        )
        uow.commit()
    return report


def _files_line(language: str, count: int) -> str:
    if not count:
        return ""
    return f"(added {count} attachment(s))" if language == "en" else f"（上传了 {count} 个附件）"

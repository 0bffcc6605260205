"""Stage 1 registration and the read side of faults and reports."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from faultdesk.domain.errors import Conflict, FieldProblem, NotFound, RuleViolation
from faultdesk.domain.events import Registered
from faultdesk.domain.faults import Fault, FaultStatus
from faultdesk.domain.lifecycle import Recurrence
from faultdesk.domain.numbering import registration_day
from faultdesk.domain.reports import ReportDraft
from faultdesk.domain.roles import Permission
from faultdesk.services import impact, known_issues, reactions
from faultdesk.services.access import fault_by_number as _fault_or_404
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.intake import catalogue_ids, store_report
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import (
    Actor,
    AuditEvent,
    FaultChanges,
    FaultView,
    Page,
    ReportFilter,
    ReportView,
    Step,
)

TITLE_MAX = 200


@dataclass(frozen=True)
class FaultRegistration:
    type_code: str
    report_ids: list[int] = field(default_factory=list)
    new_reports: list[ReportDraft] = field(default_factory=list)  # taken by phone / in person
    title: str | None = None  # defaults to the first report's symptom
    product: str | None = None
    function: str | None = None
    estimated_users: int | None = None
    estimate_source: str | None = None


@dataclass(frozen=True)
class RegisteredFault:
    fault: FaultView
    reports: list[ReportView]
    new_report_tokens: list[str]  # tracking tokens of reports created in this call, in order


def register_fault(desk: Desk, reg: FaultRegistration, *, actor: Actor) -> RegisteredFault:
    """Number a new fault and link its reports to it; its clocks start and the PMs and tech leads
    hear of it (the reactions to ``Registered``)."""
    require(actor, Permission.REGISTER_FAULT)
    assert actor.id is not None
    if not reg.report_ids and not reg.new_reports:
        raise RuleViolation.one("report_ids", "a fault needs at least one report", "故障单至少需要一条反馈")
    if len(set(reg.report_ids)) != len(reg.report_ids):
        raise RuleViolation.one("report_ids", "lists a report twice", "反馈编号重复")
    now = desk.clock.now()
    with desk.uow() as uow:
        fault_type = uow.catalogue.fault_type(reg.type_code)
        if fault_type is None or not fault_type.active:
            raise RuleViolation.one("type_code", "unknown or retired fault type", "未知或已停用的故障类型")
        existing = _linkable_reports(uow, reg.report_ids)
        product_id, function_id = _catalogue_ids(uow, _named_by_reports(reg, existing))
        tokens = [desk.secrets.new_token() for _ in reg.new_reports]
        new_ids = [
            store_report(desk, uow, draft, actor=actor, token=token).id
            for draft, token in zip(reg.new_reports, tokens, strict=True)
        ]
        title = (reg.title or (existing[0].symptom if existing else reg.new_reports[0].symptom))[:TITLE_MAX]
        day = registration_day(now, desk.timezone)
        serial = uow.faults.next_serial(desk.numbers.scope(day, reg.type_code))
        fault = Fault(
            number=desk.numbers.render(day, reg.type_code, serial),
            type_code=reg.type_code,
            title=title,
            status=FaultStatus.REGISTERED,
            registered_at=now,
            registered_by=actor.id,
            product_code=reg.product,
            function_code=reg.function,
            estimated_users=reg.estimated_users,
            estimate_source=reg.estimate_source,
        )
        fault_id = uow.faults.add(fault, product_id=product_id, function_id=function_id, at=now)
        all_ids = [r.id for r in existing] + new_ids
        if uow.reports.link(all_ids, fault_id) != len(all_ids):
            # Another agent linked one of them between our read and our write.
            raise Conflict("a report was linked to another fault meanwhile", "有反馈已被登记到其他故障单")
        counted = impact.recount(desk, uow, fault_id, now, bump_version=False)
        affected = counted.affected_users
        uow.audit.record(
            AuditEvent(
                at=now,
                actor=actor,
                entity="fault",
                entity_id=fault.number,
                action="registered",
                fault_id=fault_id,
                after={
                    "number": fault.number,
                    "type_code": fault.type_code,
                    "title": title,
                    "status": fault.status.value,
                    "report_ids": all_ids,
                    "affected_users": affected,
                    "estimated_users": reg.estimated_users,
                    "estimate_source": reg.estimate_source,
                },
            )
        )
        for report_id in all_ids:
            uow.audit.record(
                AuditEvent(
                    at=now,
                    actor=actor,
                    entity="report",
                    entity_id=str(report_id),
                    action="linked",
                    fault_id=fault_id,
                    before={"fault": None},
                    after={"fault": fault.number},
                )
            )
        earlier = known_issues.recurrence_of(desk, uow, uow.reports.for_fault(fault_id))
        if earlier is not None and earlier.fault_id is not None:
            # A confident match to a resolved or archived fault: this one is its recurrence (复发).
            marks = FaultChanges(recurrence=Recurrence.RECURRENCE, related_fault_id=earlier.fault_id)
            uow.faults.update(fault_id, counted.version, marks, now)
            uow.audit.record(
                AuditEvent(
                    at=now,
                    actor=Actor.system(),
                    entity="fault",
                    entity_id=fault.number,
                    action="recurrence_detected",
                    fault_id=fault_id,
                    after={
                        "related_fault": earlier.fault_number,
                        "confidence": earlier.confidence,
                        "terms": earlier.terms,
                    },
                )
            )
        view = uow.faults.by_id(fault_id)
        assert view is not None
        reactions.react(desk, uow, Step(view, view, actor, now), [Registered(tuple(all_ids))])
        reports = uow.reports.for_fault(fault_id)
        uow.commit()
    return RegisteredFault(view, reports, tokens)


def _named_by_reports(reg: FaultRegistration, reports: list[ReportView]) -> FaultRegistration:
    """A registration that names no product takes the first report's that does, with its function:
    the severity suggestion reads that function's criticality (a login outage on a core function
    is P0, issue 11.5), and the agent registering from the report should not have to repeat it."""
    if reg.product is not None:
        return reg
    named = next((r for r in reports if r.product_code), None)
    if named is None:
        return reg
    return replace(reg, product=named.product_code, function=named.function_code)


def _catalogue_ids(uow: UnitOfWork, reg: FaultRegistration) -> tuple[int | None, int | None]:
    problems: list[FieldProblem] = []
    ids = catalogue_ids(uow, reg.product, reg.function, problems)
    if problems:
        raise RuleViolation(problems)
    return ids


def _linkable_reports(uow: UnitOfWork, report_ids: list[int]) -> list[ReportView]:
    found: list[ReportView] = []
    problems: list[FieldProblem] = []
    for report_id in report_ids:
        view = uow.reports.get(report_id)
        if view is None:
            problems.append(FieldProblem("report_ids", f"no report {report_id}", f"反馈 {report_id} 不存在"))
        elif view.fault_id is not None:
            raise Conflict(
                f"report {report_id} already belongs to fault {view.fault_number}",
                f"反馈 {report_id} 已属于故障单 {view.fault_number}",
            )
        else:
            found.append(view)
    if problems:
        raise RuleViolation(problems)
    return found


def get_fault(desk: Desk, number: str, *, actor: Actor) -> tuple[FaultView, list[ReportView]]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault = _fault_or_404(uow, number)
        return fault, uow.reports.for_fault(fault.id)


def list_reports(desk: Desk, flt: ReportFilter, *, actor: Actor) -> Page[ReportView]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.reports.search(flt)


def get_report(desk: Desk, report_id: int, *, actor: Actor) -> ReportView:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        view = uow.reports.get(report_id)
    if view is None:
        raise NotFound(f"no report {report_id}", f"反馈 {report_id} 不存在")
    return view


def fault_timeline(desk: Desk, number: str, *, actor: Actor) -> list[AuditEvent]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault = _fault_or_404(uow, number)
        return uow.audit.timeline(fault.id)


def reveal_contact(desk: Desk, report_id: int, *, actor: Actor) -> str:
    """The reporter's contact in clear, for those who must reply; each look is audited."""
    require(actor, Permission.REVEAL_CONTACT)
    with desk.uow() as uow:
        view = uow.reports.get(report_id)
        if view is None:
            raise NotFound(f"no report {report_id}", f"反馈 {report_id} 不存在")
        cipher = uow.reports.contact_ciphers([report_id]).get(report_id)
        if cipher is None:
            raise NotFound("this report left no contact", "该反馈未留联系方式")
        uow.audit.record(
            AuditEvent(
                at=desk.clock.now(),
                actor=actor,
                entity="report",
                entity_id=str(report_id),
                action="contact_revealed",
                fault_id=view.fault_id,
            )
        )
        uow.commit()
    return desk.secrets.decrypt(cipher)


@dataclass(frozen=True)
class Tracking:
    report: ReportView
    fault: FaultView | None


def track_report(desk: Desk, token: str) -> Tracking:
    """What a reporter may see with their token: their own report and the fault's status."""
    with desk.uow() as uow:
        report = uow.reports.by_token_hash(desk.secrets.digest(token))
        if report is None:
            raise NotFound("unknown tracking token", "查询码无效")
        fault = uow.faults.by_id(report.fault_id) if report.fault_id else None
    return Tracking(report, fault)

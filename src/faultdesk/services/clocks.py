"""Running the response clocks: start and meet them as the fault moves, fire them when due.

The worker's tick claims due clocks (SKIP LOCKED on PostgreSQL) and fires each exactly once:
its database effects — the clock's new state and the messages it causes — commit together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from faultdesk.domain import lifecycle as lc
from faultdesk.domain import sla
from faultdesk.domain.errors import Conflict, RuleViolation
from faultdesk.domain.events import DomainEvent, Registered, Retrospected, SeverityChanged
from faultdesk.domain.faults import STATUS_WORDS, Severity
from faultdesk.domain.roles import Permission
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services import messages
from faultdesk.services.access import fault_by_number as _fault
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.message_texts import CLOCK_ZH
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, ClockRow, FaultBrief, ReportView, Step

# Which stage's owner hears first of a clock's warning or breach.
STAGE_OF = {
    ClockKind.REGISTER: "intake",
    ClockKind.GRADE: "analysis",
    ClockKind.FIRST_REPLY: "communication",
    ClockKind.RESPONSE: "handling",
    ClockKind.UPDATE: "communication",
    ClockKind.VERIFY: "verification",
    ClockKind.ARCHIVE: "archive",
    ClockKind.RETROSPECT: "archive",
    ClockKind.IMPROVEMENT: "archive",
}
RUNNING = (ClockState.RUNNING, ClockState.PAUSED)


def _start(
    desk: Desk, uow: UnitOfWork, kind: ClockKind, severity: Severity | None, now: datetime, **owner: int
) -> None:
    clock = sla.start_clock(kind, severity, now, desk.policy, messages.calendar(desk, uow))
    uow.clocks.add(clock, **owner)


def _meet(uow: UnitOfWork, rows: list[ClockRow], kinds: set[ClockKind] | None, now: datetime) -> None:
    for row in rows:
        if (
            (kinds is None or row.clock.kind in kinds)
            and row.clock.met_at is None
            and row.clock.state
            in (
                *RUNNING,
                ClockState.BREACHED,
            )
        ):
            uow.clocks.save(row.id, sla.meet(row.clock, now))


# ---- reactions to what happened -----------------------------------------------------------------


def register_clock(desk: Desk, uow: UnitOfWork, received_at: datetime, now: datetime) -> sla.SlaClock:
    """A new report's clock: it must be registered in time, counted from its arrival (a report
    sent with an earlier time counts from then, never from the future). Stored with the report."""
    started = received_at if received_at < now else now
    return sla.start_clock(ClockKind.REGISTER, None, started, desk.policy, messages.calendar(desk, uow))


def on_report(desk: Desk, uow: UnitOfWork, report: ReportView, now: datetime, *, token: str) -> None:
    """A report arrived (stored with its register clock): the reporter gets a receipt with their
    tracking link (the token is known only now: only its digest is stored)."""
    link = messages.tracking_link(desk, token)
    context = {"symptom": report.symptom, "tracking_link": link, "tracking_hint": link}  # hint: older edited templates
    messages.to_reporter(desk, uow, report, "receipt", context, now)


def meet_register(uow: UnitOfWork, report_ids: Iterable[int], now: datetime) -> None:
    """These reports now belong to a fault: their register clocks are met."""
    for report_id in report_ids:
        _meet(uow, uow.clocks.of_report(report_id), {ClockKind.REGISTER}, now)


def on_registered(desk: Desk, uow: UnitOfWork, step: Step, event: Registered) -> None:
    """The reports' register clocks are met; grading and the first reply are owed from now."""
    meet_register(uow, event.report_ids, step.now)
    _start(desk, uow, ClockKind.GRADE, None, step.now, fault_id=step.after.id)
    _start(desk, uow, ClockKind.FIRST_REPLY, None, step.now, fault_id=step.after.id)


# What a lifecycle step does to the clocks: rows of services/reactions.py's table. Each reads the
# fault's clocks afresh, so a clock started by one reaction is seen by the next.
Reaction = Callable[[Desk, UnitOfWork, Step, DomainEvent], None]


def meet(*kinds: ClockKind) -> Reaction:
    """The fault's running clocks of these kinds are met by the step."""

    def meet_kinds(desk: Desk, uow: UnitOfWork, step: Step, event: DomainEvent) -> None:
        _meet(uow, uow.clocks.of_fault(step.after.id), set(kinds), step.now)

    return meet_kinds


def start(*kinds: ClockKind) -> Reaction:
    """The step starts these clocks, at the severity it leaves the fault with."""

    def start_kinds(desk: Desk, uow: UnitOfWork, step: Step, event: DomainEvent) -> None:
        for kind in kinds:
            _start(desk, uow, kind, step.after.severity, step.now, fault_id=step.after.id)

    return start_kinds


def meet_all(desk: Desk, uow: UnitOfWork, step: Step, event: DomainEvent) -> None:
    """A closed or merged fault owes nothing more: every running clock is met."""
    _meet(uow, uow.clocks.of_fault(step.after.id), None, step.now)


def replan(desk: Desk, uow: UnitOfWork, step: Step, event: SeverityChanged) -> None:
    """The running clocks a severity governs run on at the new severity's targets, from their start
    (``sla.REPLANNED_BY_SEVERITY``). On the first grading only the first reply is running among them
    (Graded starts the handling clocks next): graded P0, it is due an hour after registration 24×7."""
    cal = messages.calendar(desk, uow)
    for row in uow.clocks.of_fault(step.after.id):
        replanned = sla.replan(row.clock, event.after, desk.policy, cal)
        if replanned != row.clock:
            uow.clocks.save(row.id, replanned)


def start_improvements(desk: Desk, uow: UnitOfWork, step: Step, event: Retrospected) -> None:
    """Each open improvement action without a clock gets one, due at the end of its due day."""
    cal = messages.calendar(desk, uow)
    for item in uow.knowledge.improvements(fault_id=step.after.id, status=lc.ActionStatus.OPEN, owner_id=None):
        if not uow.clocks.of_improvement(item.id):
            due = _end_of_day(item.due, cal.zone)
            clock = sla.start_clock(ClockKind.IMPROVEMENT, None, step.now, desk.policy, cal, due_at=due)
            uow.clocks.add(clock, fault_id=step.after.id, improvement_id=item.id)


def on_improvement_closed(uow: UnitOfWork, improvement_id: int, now: datetime) -> None:
    _meet(uow, uow.clocks.of_improvement(improvement_id), None, now)


def _end_of_day(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)


# ---- staff updates and pauses -------------------------------------------------------------------


def post_update(
    desk: Desk, number: str, text: str | None, *, actor: Actor, first_reply: bool = False, once: str | None = None
) -> int:
    """An update to every reporter of the fault. It meets the update clock and starts the next one
    (and stops that clock's escalation: Zammad #3140); the first reply clock stays its own (#5177).
    ``once`` names the form it came from: the same form posted again (the browser's back button,
    then send) is refused rather than sent twice."""
    require(actor, Permission.MESSAGE_REPORTERS)
    if not first_reply and not (text and text.strip()):
        raise RuleViolation.one("text", "an update needs text", "进展内容不能为空")
    now = desk.clock.now()
    with desk.uow() as uow:
        fault = _fault(uow, number)
        if once and any(
            e.action in ("first_reply", "update_posted") and (e.after or {}).get("once") == once
            for e in uow.audit.timeline(fault.id)
        ):
            raise Conflict(
                "this update was sent already (the same form posted again)", "这条进展已经发送过了（同一表单重复提交）"
            )
        rows = uow.clocks.of_fault(fault.id)
        if first_reply and not sla.first_reply_owed(r.clock for r in rows):
            raise Conflict(
                f"fault {number}'s first reply was sent already (or is no longer owed): send it as an update",
                f"故障单 {number} 已发送过首次反馈（或已无需首次反馈），请作为进展更新发送",
            )
        key = "first_reply" if first_reply and not text else "progress"
        sent = messages.to_reporters(desk, uow, fault, key, {"text": text or "", "eta": None}, now)
        if first_reply or not any(r.clock.kind is ClockKind.FIRST_REPLY and r.clock.met_at for r in rows):
            _meet(uow, rows, {ClockKind.FIRST_REPLY}, now)
        if not first_reply or text:
            updates = [r for r in rows if r.clock.kind is ClockKind.UPDATE and r.clock.met_at is None]
            _meet(uow, updates, None, now)
            if updates and fault.status in lc.OPEN_STATES:
                _start(desk, uow, ClockKind.UPDATE, fault.severity, now, fault_id=fault.id)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "fault",
                number,
                "first_reply" if first_reply else "update_posted",
                fault_id=fault.id,
                after={"text": text, "recipients": sent} | ({"once": once} if once else {}),
            )
        )
        uow.commit()
    return sent


def pause_clocks(desk: Desk, number: str, *, actor: Actor, reason: str, resume: bool = False) -> int:
    """Waiting for the reporter: stop the fault's running clocks (or resume them with the time left)."""
    require(actor, Permission.PAUSE_CLOCKS)
    if not resume and not reason.strip():
        raise RuleViolation.one("reason", "say why the clocks stop", "请说明暂停原因")
    now = desk.clock.now()
    with desk.uow() as uow:
        fault = _fault(uow, number)
        if fault.status not in lc.OPEN_STATES:  # its handling clocks were met when it closed: none to stop
            zh, en = STATUS_WORDS[fault.status]
            raise Conflict(
                f"fault {number} is closed ({en}): no clock runs to {'resume' if resume else 'pause'}",
                f"故障单 {number} 已结束（{zh}），没有可{'恢复' if resume else '暂停'}的计时",
            )
        cal = messages.calendar(desk, uow)
        changed = 0
        for row in uow.clocks.of_fault(fault.id):
            if row.clock.kind in (ClockKind.IMPROVEMENT, ClockKind.FIRST_REPLY):
                continue
            new = sla.resume(row.clock, now, desk.policy, cal) if resume else sla.pause(row.clock, now, cal)
            if new != row.clock:
                uow.clocks.save(row.id, new)
                changed += 1
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "fault",
                number,
                "clocks_resumed" if resume else "clocks_paused",
                fault_id=fault.id,
                after={"reason": reason, "clocks": changed},
            )
        )
        uow.commit()
    return changed


# ---- the worker's tick ---------------------------------------------------------------------------


def fire_due(desk: Desk, *, limit: int = 500) -> int:
    """Claim and fire up to ``limit`` due clocks in one transaction; returns how many fired."""
    now = desk.clock.now()
    with desk.uow() as uow:
        due = uow.clocks.claim_due(now, limit)
        fault_ids = sorted({r.fault_id for r in due if r.fault_id is not None})
        faults = {f.id: f for f in uow.faults.briefs(fault_ids)}  # one narrow read for the batch
        fired: list[tuple[int, sla.SlaClock, sla.SlaClock]] = []
        for row in due:
            clock = _fire_one(desk, uow, row, now, faults)
            if clock is not None:
                fired.append((row.id, row.clock, clock))
        uow.clocks.save_fired(fired)  # one statement for the batch's clocks
        uow.commit()
    return len(due)


def _fire_one(
    desk: Desk, uow: UnitOfWork, row: ClockRow, now: datetime, faults: dict[int, FaultBrief]
) -> sla.SlaClock | None:
    """Fire one clock; returns its new state for the caller to save (None: already saved).
    ``faults`` holds every fault of the claimed batch (read once by fire_due)."""
    clock, firings = sla.fire(row.clock, now, desk.policy)
    if clock.kind is ClockKind.UPDATE and row.fault_id is not None and firings:
        fault = faults[row.fault_id]
        if firings[0].kind == "warning":
            owners = messages.staff_for(uow, fault, "owner", "communication")
            ctx = {"due": _local(clock.due_at, desk.timezone)}
            messages.to_staff(desk, uow, fault, owners, "update_reminder", ctx, now)
        elif fault.status in lc.OPEN_STATES:
            # Nobody posted: the reporters get the templated update and the cadence goes on.
            messages.to_reporters(desk, uow, fault, "progress_auto", {}, now)
            uow.clocks.save(row.id, sla.meet(clock, now))
            _start(desk, uow, ClockKind.UPDATE, fault.severity, now, fault_id=fault.id)
            return None
    if not firings or row.fault_id is None:
        return clock
    fault = faults[row.fault_id]
    for firing in firings:
        users = messages.staff_for(uow, fault, firing.recipient_role, STAGE_OF[clock.kind])
        key = "clock_warning" if firing.kind == "warning" else "clock_breach"
        notice: dict[str, Any] = {
            "clock": clock.kind.value,
            "clock_zh": CLOCK_ZH[clock.kind.value],
            "due": _local(clock.due_at, desk.timezone),
            "level": firing.level,
        }
        messages.to_staff(desk, uow, fault, users, key, notice, now, robots=firing.kind != "warning")
    return clock


def _local(at: datetime, zone: str) -> str:
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


# ---- read side ----------------------------------------------------------------------------------


def list_clocks(desk: Desk, *, actor: Actor, state: str | None, limit: int = 200) -> list[tuple[ClockRow, str | None]]:
    """``breached``, ``due_soon`` (running, past the warning share), or any clock state."""
    require(actor, Permission.VIEW)
    now = desk.clock.now()
    with desk.uow() as uow:
        if state == "due_soon":
            rows = uow.clocks.due_soon(now, limit)
        else:
            rows = uow.clocks.listing([ClockState(state)] if state else [], None, limit)
        return _with_numbers(uow, rows)


def fault_clocks(desk: Desk, number: str, *, actor: Actor) -> list[tuple[ClockRow, str | None]]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault = _fault(uow, number)
        return [(r, fault.number) for r in uow.clocks.of_fault(fault.id)]


def register_clocks(desk: Desk, report_ids: list[int], *, actor: Actor) -> dict[int, sla.SlaClock]:
    """The registration clock (0.5 h) of each of these reports that has one: the clock a waiting
    report's row shows."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        rows = uow.clocks.of_reports(report_ids)
    return {r.report_id: r.clock for r in rows if r.report_id is not None and r.clock.kind is ClockKind.REGISTER}


def _with_numbers(uow: UnitOfWork, rows: list[ClockRow]) -> list[tuple[ClockRow, str | None]]:
    faults = {f.id: f.number for f in uow.faults.briefs(sorted({r.fault_id for r in rows if r.fault_id}))}
    return [(r, faults.get(r.fault_id) if r.fault_id else None) for r in rows]

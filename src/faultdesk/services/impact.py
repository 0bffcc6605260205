"""Impact: distinct affected users per fault, its breakdown, and raising severity as it grows.

A reporter is counted once per fault: by reporter id, else by a keyed hash of their contact
(the same person writing twice from the hotline and the app is one user). When the count
crosses the severity thresholds (DESIGN §1: 100 and 1000 users) the fault's severity is raised
— never lowered automatically — with a reason, a severity change, an audit event, re-planned
clocks and a notice to the owners.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from faultdesk.domain.errors import NotFound
from faultdesk.domain.events import SeverityChanged
from faultdesk.domain.faults import Severity, distinct_reporters
from faultdesk.domain.reports import Report
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, FaultChanges, FaultView, Step


def reporter_key(desk: Desk, report: Report) -> str | None:
    if report.reporter_id:
        return f"id:{report.reporter_id}"
    if report.contact:
        return f"contact:{desk.secrets.keyed_hash(report.contact.value)[:40]}"
    return None


def threshold_severity(users: int, desk: Desk) -> Severity | None:
    rules = desk.severity_rules
    if users > rules.p0_users:
        return Severity.P0
    if users >= rules.p1_users:
        return Severity.P1
    return None


def recount(desk: Desk, uow: UnitOfWork, fault_id: int, now: datetime, *, bump_version: bool = True) -> FaultView:
    """Recount the fault's affected users and raise its severity if the count now demands it."""
    count = distinct_reporters(uow.reports.reporter_keys(fault_id))
    uow.faults.set_affected_users(fault_id, count, now, bump_version=bump_version)
    fault = uow.faults.by_id(fault_id)
    assert fault is not None
    needed = threshold_severity(fault.impact_users, desk)
    if fault.severity is None or needed is None or needed >= fault.severity:
        return fault  # ungraded faults get it as the grading suggestion; never lower
    before = fault.severity
    reason_en = f"{fault.impact_users} users affected"
    reason = f"影响用户达到 {fault.impact_users}，自动升级 / {reason_en}"
    system = Actor.system()
    uow.faults.update(fault.id, fault.version, FaultChanges(severity=needed), now)
    uow.audit.record(
        AuditEvent(
            now,
            system,
            "fault",
            fault.number,
            "severity_raised",
            fault_id=fault.id,
            before={"severity": before.name},
            after={"severity": needed.name, "reason": reason, "affected_users": fault.impact_users},
        )
    )
    raised = uow.faults.by_id(fault.id)
    assert raised is not None
    # A regrade's reactions, from the one table: the severity history, the re-planned clocks (a
    # raise to P0 puts the first reply on 24×7) and the notice. Imported here: a merge's reaction
    # recounts the surviving fault through this module.
    from faultdesk.services import reactions

    reactions.react(desk, uow, Step(fault, raised, system, now), [SeverityChanged(before, needed, reason)])
    return raised


@dataclass(frozen=True)
class Impact:
    affected_users: int
    estimated_users: int | None
    estimate_source: str | None
    by_channel: dict[str, int]
    by_device: dict[str, int]
    by_os: dict[str, int]
    by_app_version: dict[str, int]


def breakdown(desk: Desk, number: str, *, actor: Actor) -> Impact:
    """Distinct affected users by channel, device, OS and app version."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault = uow.faults.by_number(number)
        if fault is None:
            raise NotFound(f"no fault {number}", f"故障单 {number} 不存在")
        reports = uow.reports.for_fault(fault.id)
    groups: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in reports:
        who = r.reporter_key or f"report:{r.id}"
        groups["channel"][r.channel.value].add(who)
        groups["device"][r.device_model or "unknown"].add(who)
        groups["os"][r.os_version or "unknown"].add(who)
        groups["app"][r.app_version or "unknown"].add(who)

    def counted(name: str) -> dict[str, int]:
        return dict(sorted(((k, len(v)) for k, v in groups[name].items()), key=lambda kv: (-kv[1], kv[0])))

    return Impact(
        fault.affected_users,
        fault.estimated_users,
        fault.estimate_source,
        counted("channel"),
        counted("device"),
        counted("os"),
        counted("app"),
    )

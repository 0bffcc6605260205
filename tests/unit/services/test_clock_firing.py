"""Firing due clocks (services/clocks.py fire_due) on the in-memory twins, time moved by hand."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.clocks import fire_due, list_clocks
from tests.unit.services.conftest import outbox, register, submit


def notices(desk, kind: str) -> Counter[str]:
    return Counter(m.recipient for m in outbox(desk, kind))


def test_a_clock_warns_then_breaches_each_exactly_once(desk, staff, clock):
    number = register(desk, staff[Role.AGENT], submit(desk).report.id).fault.number  # 10:00: grade by 11:00
    assert fire_due(desk) == 0
    clock.advance(timedelta(minutes=49))  # past 80 % of the hour
    assert (fire_due(desk), fire_due(desk)) == (2, 0)  # grading and the first reply warn; once
    assert notices(desk, "clock_warning") == {"user:1": 2}  # the registering agent owns the fault so far
    soon = list_clocks(desk, actor=staff[Role.PM], state="due_soon")
    assert [(row.clock.kind, n) for row, n in soon] == [(ClockKind.GRADE, number), (ClockKind.FIRST_REPLY, number)]
    clock.advance(timedelta(minutes=11))  # 11:00: due
    assert (fire_due(desk), fire_due(desk)) == (2, 0)
    assert notices(desk, "clock_breach") == {"user:1": 2, "robot:webhook": 2}  # a breach is loud
    assert notices(desk, "clock_warning") == {"user:1": 2}  # no second warning
    breached = list_clocks(desk, actor=staff[Role.PM], state="breached")
    assert {row.clock.kind for row, _ in breached} == {ClockKind.GRADE, ClockKind.FIRST_REPLY}
    assert all(row.clock.breached_at == clock.now() for row, _ in breached)


def test_a_breach_climbs_the_chain_owner_tech_lead_admin_and_stops(desk, staff, clock):
    fault = register(desk, staff[Role.AGENT], submit(desk).report.id).fault
    for minutes in (60, 30, 30, 300):  # due, then every 30 minutes
        clock.advance(timedelta(minutes=minutes))
        fire_due(desk)
    breach = [m for m in outbox(desk, "clock_breach") if m.channel == "email" and "分析分级" in m.subject]
    assert [m.recipient for m in breach] == ["user:1", "user:3", "user:6"]
    with desk.uow() as uow:
        grade = next(r.clock for r in uow.clocks.of_fault(fault.id) if r.clock.kind is ClockKind.GRADE)
    assert (grade.state, grade.escalation_level, grade.next_fire_at) == (ClockState.BREACHED, 3, None)


def test_a_met_register_clock_never_fires(desk, staff, clock):
    report_id = submit(desk).report.id
    register(desk, staff[Role.AGENT], report_id)
    clock.advance(timedelta(days=3))
    fire_due(desk)
    with desk.uow() as uow:
        [register_clock] = uow.clocks.of_report(report_id)
    assert register_clock.clock.state is ClockState.MET and register_clock.clock.breached_at is None

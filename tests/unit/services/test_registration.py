"""Registration (services/faults.py register_fault) on the in-memory twins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from faultdesk.domain.errors import Conflict, NotPermitted, RuleViolation
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.faults import fault_timeline
from tests.unit.services.conftest import NOW, register, submit


def test_faults_are_numbered_by_day_and_type_and_take_their_reports(desk, staff):
    first_report = submit(desk).report.id
    others = [submit(desk, reporter_id=f"u-{i}").report.id for i in range(2)]
    first = register(desk, staff[Role.AGENT], first_report)
    second = register(desk, staff[Role.AGENT], *others)
    assert (first.fault.number, second.fault.number) == ("261125-01-001", "261125-01-002")
    fault = second.fault
    assert (fault.status, fault.severity, fault.version) == (FaultStatus.REGISTERED, None, 1)
    assert (fault.report_count, fault.affected_users, fault.registered_by) == (2, 2, "agent1")
    assert [(r.id, r.fault_id, r.fault_number) for r in second.reports] == [
        (i, fault.id, "261125-01-002") for i in others
    ]
    assert register(desk, staff[Role.AGENT], submit(desk).report.id, type_code="03").fault.number == "261125-03-001"


def test_registering_meets_the_register_clock_and_starts_grading_and_the_first_reply(desk, staff, clock):
    report_id = submit(desk).report.id
    clock.advance(timedelta(minutes=10))
    fault = register(desk, staff[Role.AGENT], report_id).fault
    with desk.uow() as uow:
        [register_clock] = uow.clocks.of_report(report_id)
        fault_clocks = {r.clock.kind: r.clock for r in uow.clocks.of_fault(fault.id)}
    assert (register_clock.clock.state, register_clock.clock.met_at) == (ClockState.MET, NOW + timedelta(minutes=10))
    assert set(fault_clocks) == {ClockKind.GRADE, ClockKind.FIRST_REPLY}
    for started in fault_clocks.values():
        assert started.state is ClockState.RUNNING and started.due_at == clock.now() + timedelta(hours=1)


def test_the_timeline_tells_of_the_registration_and_each_linked_report(desk, staff):
    ids = [submit(desk, reporter_id=f"u-{i}").report.id for i in range(2)]
    number = register(desk, staff[Role.AGENT], *ids).fault.number
    events = fault_timeline(desk, number, actor=staff[Role.DEVELOPER])
    assert [(e.entity, e.action) for e in events] == [
        ("fault", "registered"),
        ("report", "linked"),
        ("report", "linked"),
    ]
    assert events[0].after["report_ids"] == ids and events[0].actor.role is Role.AGENT


def test_a_report_belongs_to_one_fault_only(desk, staff):
    report_id = submit(desk).report.id
    register(desk, staff[Role.AGENT], report_id)
    with pytest.raises(Conflict, match="already belongs to fault 261125-01-001"):
        register(desk, staff[Role.AGENT], report_id)


def test_bad_registrations_are_refused_and_give_no_number_away(desk, staff):
    report_id = submit(desk).report.id
    with pytest.raises(RuleViolation) as unknown:
        register(desk, staff[Role.AGENT], report_id, 999)
    assert [p.field for p in unknown.value.problems] == ["report_ids"]
    with pytest.raises(RuleViolation, match="type_code"):
        register(desk, staff[Role.AGENT], report_id, type_code="42")
    with pytest.raises(NotPermitted):
        register(desk, staff[Role.DEVELOPER], report_id)
    assert register(desk, staff[Role.AGENT], report_id).fault.number == "261125-01-001"

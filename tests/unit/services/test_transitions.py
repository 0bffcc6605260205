"""A lifecycle action (services/lifecycle.py act) on the in-memory twins."""

from __future__ import annotations

import pytest

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import InvalidTransition, NotPermitted, StaleVersion
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import Recurrence, Stage
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.faults import fault_timeline
from faultdesk.services.lifecycle import act, severity_history
from tests.unit.services.conftest import NOW, outbox, register, submit

ANALYSIS = lc.StartAnalysis(Recurrence.NEW, Impact.OUTAGE, revenue_impact=True)
P0 = lc.Grade(Severity.P0, reason="支付全部失败", team_lead=3, team_members=(4, 5), owners={Stage.HANDLING: 4})


@pytest.fixture
def number(desk, staff) -> str:
    return register(desk, staff[Role.AGENT], submit(desk).report.id).fault.number


def test_grading_a_p0_moves_the_fault_on_and_calls_the_special_team_at_once(desk, staff, number):
    analysed = act(desk, number, ANALYSIS, actor=staff[Role.PM], if_match=1)
    assert (analysed.status, analysed.version, analysed.impact) == (FaultStatus.TRIAGING, 2, Impact.OUTAGE)
    graded = act(desk, number, P0, actor=staff[Role.TECH_LEAD], if_match=2)
    assert (graded.status, graded.severity, graded.version) == (FaultStatus.LOCATING, Severity.P0, 3)
    assert graded.team == {"lead": 3, "members": [4, 5]} and graded.owners == {"handling": 4}
    events = fault_timeline(desk, number, actor=staff[Role.AGENT])
    assert [e.action for e in events[-2:]] == ["start_analysis", "grade"]
    assert events[-1].before == {"status": "triaging", "severity": None}
    assert events[-1].after["severity"] == "P0" and "p0_team_formed" in events[-1].after["events"]
    [change] = severity_history(desk, number, actor=staff[Role.AGENT])
    assert (change.from_severity, change.to_severity, change.changed_by) == (None, Severity.P0, "tech_lead1")
    notices = outbox(desk, "p0_opened")
    assert sorted(m.recipient for m in notices) == ["robot:webhook", "user:3", "user:4", "user:5"]
    assert all(m.next_attempt_at == NOW and number in m.subject for m in notices)  # a P0 waits for nobody


def test_grading_meets_the_grade_clock_and_starts_response_and_update(desk, staff, number):
    act(desk, number, ANALYSIS, actor=staff[Role.PM])
    graded = act(desk, number, P0, actor=staff[Role.TECH_LEAD])
    with desk.uow() as uow:
        clocks = {(r.clock.kind, r.clock.state) for r in uow.clocks.of_fault(graded.id)}
    assert clocks == {
        (ClockKind.GRADE, ClockState.MET),
        (ClockKind.FIRST_REPLY, ClockState.RUNNING),
        (ClockKind.RESPONSE, ClockState.RUNNING),
        (ClockKind.UPDATE, ClockState.RUNNING),
    }


def test_a_stale_if_match_is_refused_and_changes_nothing(desk, staff, number):
    act(desk, number, ANALYSIS, actor=staff[Role.PM], if_match=1)
    with pytest.raises(StaleVersion) as stale:
        act(desk, number, P0, actor=staff[Role.TECH_LEAD], if_match=1)
    assert stale.value.data == {"version": 2}
    with desk.uow() as uow:
        fault = uow.faults.by_number(number)
    assert fault is not None and (fault.status, fault.severity, fault.version) == (FaultStatus.TRIAGING, None, 2)
    assert outbox(desk, "p0_opened") == []


def test_only_the_roles_of_the_table_may_act_and_only_from_the_right_state(desk, staff, number):
    with pytest.raises(NotPermitted):
        act(desk, number, ANALYSIS, actor=staff[Role.DEVELOPER])
    with pytest.raises(InvalidTransition):
        act(desk, number, P0, actor=staff[Role.TECH_LEAD])  # not analysed yet
    act(desk, number, ANALYSIS, actor=staff[Role.PM])
    with pytest.raises(NotPermitted):
        act(desk, number, P0, actor=staff[Role.PM])
    events = fault_timeline(desk, number, actor=staff[Role.AGENT])
    assert [e.action for e in events if e.entity == "fault"] == ["registered", "start_analysis"]

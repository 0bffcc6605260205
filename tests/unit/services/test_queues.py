"""The queues (services/queues.py) on the in-memory twins: the same answers the SQL store gives
(tests/integration/test_web_queues.py), so service tests can lean on the twin."""

from __future__ import annotations

from datetime import timedelta

import pytest

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import Recurrence, Stage
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact
from faultdesk.services.lifecycle import act
from faultdesk.services.queues import Queue, QueueQuery, open_queue
from tests.unit.services.conftest import register, submit

ANALYSIS = lc.StartAnalysis(Recurrence.NEW, Impact.OUTAGE, revenue_impact=True)
P0 = lc.Grade(Severity.P0, reason="支付全部失败", team_lead=3, team_members=(5,), owners={Stage.HANDLING: 4})


@pytest.fixture
def faults(desk, staff):
    waiting = register(desk, staff[Role.AGENT], submit(desk, symptom="首页轮播图显示错位").report.id).fault
    graded = register(desk, staff[Role.AGENT], submit(desk, symptom="支付全部失败").report.id).fault
    act(desk, graded.number, ANALYSIS, actor=staff[Role.PM])
    act(desk, graded.number, P0, actor=staff[Role.TECH_LEAD])
    return waiting.number, graded.number


def numbers(page) -> list[str]:
    return [r.fault.number for r in page.rows]


def test_my_work_counts_and_rows_per_role(desk, staff, faults):
    waiting, graded = faults
    assert numbers(open_queue(desk, QueueQuery(Queue.MINE), actor=staff[Role.PM])) == [waiting]
    assert numbers(open_queue(desk, QueueQuery(Queue.MINE), actor=staff[Role.DEVELOPER])) == [graded]
    assert numbers(open_queue(desk, QueueQuery(Queue.MINE), actor=staff[Role.TESTER])) == [graded]  # P0 team
    agent = open_queue(desk, QueueQuery(Queue.MINE), actor=staff[Role.AGENT])
    assert sorted(numbers(agent)) == sorted(faults) and agent.counts[Queue.MINE] == 2  # registered both
    everything = open_queue(desk, QueueQuery(Queue.ALL), actor=staff[Role.PM])
    assert everything.counts[Queue.P0] == 1 and everything.counts[Queue.UNGRADED] == 1
    assert everything.counts[Queue.STAGE3] == 1 and everything.counts[Queue.STAGE1] == 1


def test_the_row_shows_the_clock_that_matters_and_the_stage_owner(desk, staff, faults):
    _, graded = faults
    [row] = open_queue(desk, QueueQuery(Queue.P0), actor=staff[Role.PM]).rows
    assert row.owner == "developer1" and row.clock is not None
    assert row.clock.clock.kind.value == "response"  # the earliest not met: the P0 response (15 min)


def test_clock_queues_and_due_sort(desk, staff, clock, faults):
    waiting, graded = faults
    soon = open_queue(desk, QueueQuery(Queue.BREACHING), actor=staff[Role.PM])
    assert set(numbers(soon)) == {waiting, graded}  # grade 1 h, response 15 min
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, sort="due_at"), actor=staff[Role.PM]))[0] == graded
    clock.advance(timedelta(minutes=20))
    assert numbers(open_queue(desk, QueueQuery(Queue.BREACHED), actor=staff[Role.PM])) == [graded]


def test_search_and_a_past_the_end_page(desk, staff, faults):
    waiting, graded = faults
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, text="轮播图"), actor=staff[Role.PM])) == [waiting]
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, text=graded), actor=staff[Role.PM])) == [graded]
    last = open_queue(desk, QueueQuery(Queue.ALL, page=9, page_size=1), actor=staff[Role.PM])
    assert (last.page, last.pages, len(last.rows)) == (2, 2, 1)


def test_filters_and_an_unknown_owner(desk, staff, faults):
    waiting, graded = faults
    pm = staff[Role.PM]
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, status=[FaultStatus.LOCATING]), actor=pm)) == [graded]
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, owner="tester1"), actor=pm)) == [graded]
    assert numbers(open_queue(desk, QueueQuery(Queue.ALL, ungraded=True), actor=pm)) == [waiting]
    assert numbers(open_queue(desk, QueueQuery(Queue.P0, ungraded=True), actor=pm)) == []  # both must hold
    with pytest.raises(RuleViolation):
        open_queue(desk, QueueQuery(Queue.ALL, owner="ghost"), actor=pm)

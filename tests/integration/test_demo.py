"""The demo data set: every lifecycle state on show, archived faults with retrospectives and KB articles."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from faultdesk.demo import STAFF, load_demo
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.services.access import actor_of
from faultdesk.services.desk import Desk
from faultdesk.services.faults import list_faults, list_reports
from faultdesk.services.lifecycle import improvements, search_kb, severity_history, stage_records
from faultdesk.services.records import Actor, FaultFilter, ReportFilter


def admin(desk: Desk) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_username("admin1")
    assert user is not None
    return actor_of(user)


def faults_in(desk: Desk, actor: Actor, status: FaultStatus) -> list[str]:
    page = list_faults(desk, FaultFilter(status=[status], page_size=100), actor=actor)
    return [f.number for f in page.items]


@pytest.mark.slow
def test_the_demo_shows_every_state_with_retrospectives_and_knowledge(wiring):
    desk = wiring.desk
    summary = load_demo(desk)
    who = admin(desk)
    assert "states: registered 2, triaging 1," in summary and "archived 4" in summary

    by_state = {status: faults_in(desk, who, status) for status in FaultStatus}
    assert all(by_state.values()), [s.value for s, numbers in by_state.items() if not numbers]
    assert list_reports(desk, ReportFilter(page_size=1), actor=who).total >= 60

    everything = list_faults(desk, FaultFilter(page_size=100), actor=who).items
    assert {Severity.P0, Severity.P1, Severity.P2} <= {f.severity for f in everything}
    assert any(f.reopen_count for f in everything if f.status is FaultStatus.ARCHIVED)
    p0 = next(f for f in everything if f.severity is Severity.P0)
    assert p0.team and p0.team["members"] and p0.gray_steps >= 2
    release = next(r for r in stage_records(desk, p0.number, actor=who) if r.action == "release_full")
    assert "已修复" in release.data["announcement"]
    duplicate = next(f for f in everything if f.status is FaultStatus.DUPLICATE)
    survivor = next(f for f in everything if f.number == duplicate.merged_into)
    assert survivor.status not in (FaultStatus.DUPLICATE, FaultStatus.ARCHIVED) and survivor.report_count > 0
    releasing = next(f for f in everything if f.status is FaultStatus.RELEASING)
    assert "上调为 P1" in severity_history(desk, releasing.number, actor=who)[0].reason  # overrode the suggestion

    archived = by_state[FaultStatus.ARCHIVED]
    assert len(archived) >= 3
    articles = search_kb(desk, None, actor=who, limit=100)
    assert len({a.fault_number for a in articles} & set(archived)) >= 3
    for word, fault_title in (("支付", "微信支付"), ("验证码", "短信验证码"), ("错位", "工具栏错位")):
        found = search_kb(desk, word, actor=who)
        assert found and all(a.fault_number in archived for a in found), word
        assert any(fault_title in a.title for a in found), word
    assert search_kb(desk, "回调 超时", actor=who)[0].tags[0] == "支付"

    actions = improvements(desk, actor=who)
    today = desk.clock.now().astimezone(ZoneInfo(desk.timezone)).date()
    assert len(actions) >= 3 and {a.fault_number for a in actions} <= set(archived)
    assert {a.owner for a in actions} <= {username for username, _, _ in STAFF}
    assert all(isinstance(a.due, date) and a.due > today for a in actions)
    assert {a.status for a in actions} == {ActionStatus.OPEN, ActionStatus.DONE}

    again = load_demo(desk)  # a second batch on the same database: new faults, driven the same way
    assert "(0 new)" in again and again.split("; states:")[1] == summary.split("; states:")[1]
    assert all(len(faults_in(desk, who, status)) == 2 * len(by_state[status]) for status in FaultStatus)

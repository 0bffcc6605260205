"""The demo data set: every lifecycle state on show, archived faults with retrospectives and KB articles."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from faultdesk.demo import STAFF, load_demo
from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.domain.roles import Role
from faultdesk.services.access import actor_of
from faultdesk.services.desk import Desk
from faultdesk.services.faults import FaultRegistration, list_reports, register_fault
from faultdesk.services.lifecycle import improvements, search_kb, severity_history, stage_records
from faultdesk.services.queues import Queue, QueueQuery, list_view
from faultdesk.services.records import Actor, AuditEvent, FaultFilter, ReportFilter
from faultdesk.services.staff import create_user
from tests.conftest import a_report


def admin(desk: Desk) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_username("admin1")
    assert user is not None
    return actor_of(user)


def faults_in(desk: Desk, actor: Actor, status: FaultStatus) -> list[str]:
    page = list_view(desk, QueueQuery(Queue.ALL, status=[status], page_size=100), actor=actor)
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

    everything = list_view(desk, QueueQuery(Queue.ALL, page_size=100), actor=who).items
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

    reports = list_reports(desk, ReportFilter(page_size=1), actor=who).total
    again = load_demo(desk)  # loaded already: nothing changes
    assert again.startswith("demo already loaded on 2026-11-25 10:00 (seed 7: 19 faults, 86 reports): nothing changed")
    assert load_demo(desk, seed=8, force=True) == again  # forcing never makes a second copy
    assert all(faults_in(desk, who, status) == by_state[status] for status in FaultStatus)
    assert list_reports(desk, ReportFilter(page_size=1), actor=who).total == reports == 86


def counts(desk: Desk) -> tuple[int, int, int, list[str]]:
    with desk.uow() as uow:
        marks = [m.action for m in uow.audit.about("demo", "demo")]
        return (
            len(uow.users.all()),
            uow.reports.search(ReportFilter(page_size=1)).total,
            uow.faults.search(FaultFilter(page_size=1)).total,
            marks,
        )


def test_the_demo_refuses_a_database_with_other_data_unless_forced(wiring):
    desk = wiring.desk
    create_user(desk, "ops", Role.ADMIN, "correct-horse", actor=Actor.system())
    with pytest.raises(
        Conflict, match=r"holds data that is not the demo's \(users: 1, reports: 0, faults: 0\)"
    ) as refused:
        load_demo(desk)
    assert "--force" in refused.value.message and "faultdesk-demo" in refused.value.message
    assert "非演示数据" in refused.value.message_zh
    assert counts(desk) == (1, 0, 0, [])  # nothing written, not even a marker
    forced = load_demo(desk, force=True)
    assert "19 faults" in forced and counts(desk) == (7, 86, 19, ["load_started", "loaded"])
    assert load_demo(desk).startswith("demo already loaded")


def test_a_forced_load_does_not_take_a_demo_name_held_by_another_role(wiring):
    desk = wiring.desk
    create_user(desk, "pm1", Role.DEVELOPER, "correct-horse", actor=Actor.system())
    with pytest.raises(Conflict, match="user pm1 exists as developer; the demo needs it as pm"):
        load_demo(desk, force=True)


def test_a_load_that_stopped_part_way_is_refused_unless_forced(wiring):
    desk = wiring.desk
    with desk.uow() as uow:  # what a load killed after its first step leaves behind
        uow.audit.record(AuditEvent(desk.clock.now(), Actor.system(), "demo", "demo", "load_started", after={}))
        uow.commit()
    with pytest.raises(Conflict, match="a demo load started 2026-11-25 10:00 did not finish"):
        load_demo(desk)
    assert "19 faults" in load_demo(desk, force=True)


def test_a_demo_loaded_by_an_earlier_version_without_its_marker_is_recognised(wiring, client):
    desk = wiring.desk
    for username, role, name in STAFF:
        create_user(desk, username, role, "correct-horse", actor=Actor.system(), display_name=name)
    agent = admin(desk)
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    register_fault(desk, FaultRegistration("01", report_ids=[rid]), actor=agent)
    assert load_demo(desk).startswith("demo already loaded (its six staff and their faults are here): nothing changed")
    assert counts(desk)[1:] == (1, 1, [])

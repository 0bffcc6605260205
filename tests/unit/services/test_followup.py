"""The follow-up lists on the in-memory twins: the improvement tabs (mine; overdue by the
organisation's day, open only; all), their counts and pages, and the releases newest first."""

from __future__ import annotations

from datetime import UTC, date, datetime

from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.domain.roles import Role
from faultdesk.services import followup, known_issues, lifecycle
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.unit.services.conftest import register, submit


def test_the_tabs_split_improvement_actions_by_owner_and_by_the_local_day(desk, staff, clock):
    fault = register(desk, staff[Role.AGENT], submit(desk).report.id)
    tester, pm = staff[Role.TESTER], staff[Role.PM]
    with desk.uow() as uow:
        for title, owner, due in [
            ("a", tester, date(2026, 11, 24)),
            ("b", pm, date(2026, 11, 25)),
            ("c", tester, date(2026, 11, 20)),
        ]:
            uow.knowledge.add_improvement(fault.fault.id, title, owner.id, due, clock.now())
        uow.commit()
    page, counts = followup.improvement_page(desk, followup.MINE, actor=tester)
    assert [i.title for i in page.items] == ["c", "a"] and counts == {"mine": 2, "overdue": 2, "all": 3}
    done = next(i for i in page.items if i.title == "c")
    assert followup.may_set_improvement_status(tester, done) and not followup.may_set_improvement_status(
        staff[Role.DEVELOPER], done
    )
    lifecycle.set_improvement_status(desk, done.id, ActionStatus.DONE, actor=tester)
    _, kept = followup.improvement_page(desk, followup.OVERDUE, actor=tester)
    assert kept["overdue"] == 1  # the change's commit cleared the counts kept for the tester's tabs
    overdue, counts = followup.improvement_page(desk, followup.OVERDUE, actor=pm)
    assert [i.title for i in overdue.items] == ["a"] and counts["overdue"] == 1  # done is not late
    clock.set(datetime(2026, 11, 25, 16, 0, tzinfo=UTC))  # midnight in Shanghai: the 25th is over there
    overdue, _ = followup.improvement_page(desk, followup.OVERDUE, actor=pm)
    assert [i.title for i in overdue.items] == ["a", "b"]
    second, _ = followup.improvement_page(desk, followup.ALL, actor=pm, page=2, page_size=2)
    assert [i.title for i in second.items] == ["b"] and second.total == 3


def test_releases_are_listed_newest_first_a_page_at_a_time(desk, staff):
    add_product(desk, "app", "App", [], actor=Actor.system())
    for version, day in [("1.0", date(2026, 10, 1)), ("1.2", date(2026, 11, 1)), ("1.1", date(2026, 10, 15))]:
        known_issues.add_release(desk, "app", version, day, f"notes {version}", None, actor=staff[Role.PM])
    first = followup.release_page(desk, actor=staff[Role.AGENT], page_size=2)
    assert [r.version for r in first.items] == ["1.2", "1.1"] and first.total == 3
    assert [r.version for r in followup.release_page(desk, actor=staff[Role.AGENT], page=2, page_size=2).items] == [
        "1.0"
    ]

"""Response clocks: budgets per stage and severity, warning, breach, escalation, pause, re-plan."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from faultdesk.domain.calendars import BusinessCalendar
from faultdesk.domain.faults import Severity
from faultdesk.domain.sla import (
    Budget,
    ClockKind,
    ClockPolicy,
    ClockState,
    Mode,
    fire,
    first_reply_owed,
    meet,
    parse_budget,
    pause,
    policy_from,
    replan,
    resume,
    start_clock,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar(known_years=frozenset({2026}))
POLICY = ClockPolicy()


def sh(d, hh, mm=0) -> datetime:
    return datetime(2026, 11, d, hh, mm, tzinfo=SH)


def test_grading_is_due_an_hour_after_registration_in_working_hours():
    clock = start_clock(ClockKind.GRADE, None, sh(25, 17, 30), POLICY, CAL)
    assert clock.due_at == sh(26, 9, 30) and clock.mode is Mode.BUSINESS
    assert clock.warn_at == sh(26, 9, 18) and clock.next_fire_at == clock.warn_at


def test_p0_clocks_run_around_the_clock():
    clock = start_clock(ClockKind.RESPONSE, Severity.P0, sh(25, 23), POLICY, CAL)
    assert clock.due_at == sh(25, 23, 15) and clock.mode is Mode.ALWAYS


def test_p1_response_is_due_at_close_of_business_and_p2_updates_at_17():
    assert start_clock(ClockKind.RESPONSE, Severity.P1, sh(25, 10), POLICY, CAL).due_at == sh(25, 18)
    assert start_clock(ClockKind.UPDATE, Severity.P2, sh(25, 17, 30), POLICY, CAL).due_at == sh(26, 17)
    assert start_clock(ClockKind.UPDATE, Severity.P0, sh(25, 10), POLICY, CAL).due_at == sh(25, 12)


def test_updates_follow_the_template_every_6_h_for_p1_and_every_day_at_17_for_p2():
    """每6小时 and 每日17:00 as written; an organisation may keep them to working time instead."""
    p1 = start_clock(ClockKind.UPDATE, Severity.P1, sh(27, 17), POLICY, CAL)  # Friday 17:00
    assert p1.due_at == sh(27, 23) and p1.mode is Mode.ALWAYS
    p2 = start_clock(ClockKind.UPDATE, Severity.P2, sh(27, 17, 30), POLICY, CAL)
    assert p2.due_at == sh(28, 17) and p2.mode is Mode.ALWAYS  # Saturday too
    office = policy_from({"update.P1": "6h business", "update.P2": "daily 17:00 business"})
    assert start_clock(ClockKind.UPDATE, Severity.P1, sh(27, 17), office, CAL).due_at == sh(30, 14)  # Monday
    assert start_clock(ClockKind.UPDATE, Severity.P2, sh(27, 17, 30), office, CAL).due_at == sh(30, 17)


def test_warning_then_breach_then_escalation_along_the_chain():
    clock = start_clock(ClockKind.RESPONSE, Severity.P0, sh(25, 10), POLICY, CAL)
    clock, out = fire(clock, sh(25, 10, 12), POLICY)
    assert [(f.kind, f.recipient_role) for f in out] == [("warning", "owner")] and clock.next_fire_at == sh(25, 10, 15)
    clock, out = fire(clock, sh(25, 10, 15), POLICY)
    assert clock.state is ClockState.BREACHED and [(f.kind, f.level) for f in out] == [("breach", 1)]
    clock, out = fire(clock, sh(25, 10, 25), POLICY)
    assert [(f.kind, f.recipient_role) for f in out] == [("escalation", "tech_lead")]
    clock, out = fire(clock, sh(25, 10, 35), POLICY)
    assert [f.recipient_role for f in out] == ["admin"] and clock.next_fire_at is None


def test_firing_before_time_does_nothing_and_a_met_clock_never_fires():
    clock = start_clock(ClockKind.GRADE, None, sh(25, 10), POLICY, CAL)
    assert fire(clock, sh(25, 10, 1), POLICY) == (clock, [])
    met = meet(clock, sh(25, 10, 30))
    assert met.state is ClockState.MET and met.next_fire_at is None
    assert fire(met, sh(26, 10), POLICY) == (met, [])


def test_a_clock_met_after_its_breach_stays_breached_but_stops_escalating():
    clock = start_clock(ClockKind.GRADE, None, sh(25, 10), POLICY, CAL)
    clock, _ = fire(fire(clock, sh(25, 10, 48), POLICY)[0], sh(25, 11), POLICY)
    late = meet(clock, sh(25, 11, 5))
    assert late.state is ClockState.BREACHED and late.met_at == sh(25, 11, 5) and late.next_fire_at is None


def test_pause_keeps_the_time_left_and_resume_gives_it_back():
    clock = start_clock(ClockKind.RESPONSE, Severity.P2, sh(25, 10), POLICY, CAL)
    paused = pause(clock, sh(25, 20), CAL)
    assert paused.state is ClockState.PAUSED and paused.remaining == timedelta(hours=38)
    assert fire(paused, sh(30, 10), POLICY) == (paused, [])
    resumed = resume(paused, sh(27, 8), POLICY, CAL)
    assert resumed.state is ClockState.RUNNING and resumed.due_at == sh(28, 22)


def test_raising_the_severity_replans_the_running_clock():
    clock = start_clock(ClockKind.RESPONSE, Severity.P2, sh(25, 10), POLICY, CAL)
    raised = replan(clock, Severity.P0, POLICY, CAL)
    assert raised.due_at == sh(25, 10, 15) and raised.severity is Severity.P0
    assert raised.started_at == clock.started_at and raised.next_fire_at is not None


def test_a_p0_owes_its_first_reply_an_hour_after_registration_around_the_clock():
    """Registered at 05:08: in working hours the first reply is due at 10:00; graded P0 at 05:20
    it is re-planned from its start in 24×7 mode, due at 06:08."""
    registered = start_clock(ClockKind.FIRST_REPLY, None, sh(25, 5, 8), POLICY, CAL)
    assert registered.due_at == sh(25, 10) and registered.mode is Mode.BUSINESS
    p0 = replan(registered, Severity.P0, POLICY, CAL)
    assert p0.due_at == sh(25, 6, 8) and p0.mode is Mode.ALWAYS and p0.severity is Severity.P0
    assert p0.started_at == sh(25, 5, 8) and p0.warn_at == sh(25, 5, 56) and p0.next_fire_at == p0.warn_at
    assert replan(p0, Severity.P1, POLICY, CAL).due_at == sh(25, 10)  # lowered before the reply: working hours again


def test_a_p0_graded_after_its_first_reply_was_due_breaches_at_once_naming_the_real_due_time():
    registered = start_clock(ClockKind.FIRST_REPLY, None, sh(25, 5, 8), POLICY, CAL)
    late = replan(registered, Severity.P0, POLICY, CAL)  # graded at 07:00
    assert late.due_at == sh(25, 6, 8) and late.next_fire_at is not None and late.next_fire_at < sh(25, 7)
    fired, out = fire(late, sh(25, 7), POLICY)  # the next tick
    assert [(f.kind, f.level) for f in out] == [("breach", 1)] and fired.state is ClockState.BREACHED
    assert fired.due_at == sh(25, 6, 8) and fired.next_fire_at == sh(25, 7, 10)  # P0: every 10 min


def test_a_new_severity_leaves_the_clocks_it_does_not_govern_and_those_not_running():
    grade = start_clock(ClockKind.GRADE, None, sh(25, 5, 8), POLICY, CAL)
    assert replan(grade, Severity.P0, POLICY, CAL) == grade  # met by the same grading step
    archive = start_clock(ClockKind.ARCHIVE, None, sh(25, 5, 8), POLICY, CAL)
    assert replan(archive, Severity.P0, POLICY, CAL) == archive
    met = meet(start_clock(ClockKind.FIRST_REPLY, None, sh(25, 5, 8), POLICY, CAL), sh(25, 5, 30))
    assert replan(met, Severity.P0, POLICY, CAL) == met


def test_policy_is_configurable():
    quick = ClockPolicy(warn_share=0.5, chain=("owner",))
    clock = start_clock(ClockKind.RESPONSE, Severity.P0, datetime(2026, 11, 25, 2, tzinfo=UTC), quick, CAL)
    assert clock.warn_at == datetime(2026, 11, 25, 2, 7, 30, tzinfo=UTC)
    clock, _ = fire(clock, clock.due_at, quick)
    assert clock.next_fire_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", Budget(span=timedelta(minutes=30))),
        ("1.5h", Budget(span=timedelta(minutes=90))),
        ("48h 24x7", Budget(span=timedelta(hours=48), mode=Mode.ALWAYS)),
        ("6h business", Budget(span=timedelta(hours=6))),
        ("2d", Budget(span=timedelta(days=2))),
        ("same working day", Budget(same_working_day=True)),
        ("Daily 17:00", Budget(daily_at=time(17, 0), mode=Mode.ALWAYS)),
        ("daily 17:00 business", Budget(daily_at=time(17, 0))),
    ],
)
def test_an_organisation_writes_budgets_in_plain_words(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize(
    "text", ["", "soon", "-1h", "0m", "3h weekends", "daily 25:00", "daily", "daily 17:00 weekends"]
)
def test_unreadable_budgets_are_refused_with_an_example(text):
    with pytest.raises(ValueError, match=r"e\.g\."):
        parse_budget(text)


def test_a_policy_overrides_only_what_it_names():
    policy = policy_from({"response.P1": "4h business", "grade": "2h"}, chain=("owner", "admin"))
    assert policy.budget(ClockKind.RESPONSE, Severity.P1) == Budget(span=timedelta(hours=4))
    assert policy.budget(ClockKind.GRADE, None).span == timedelta(hours=2)
    assert policy.budget(ClockKind.RESPONSE, Severity.P0).span == timedelta(minutes=15)
    with pytest.raises(ValueError, match="unknown clock"):
        policy_from({"lunch": "1h"})
    with pytest.raises(ValueError, match="escalation chain"):
        policy_from({}, chain=("boss",))


def test_the_toml_file_sets_the_clock_policy(tmp_path, monkeypatch):
    from pydantic import ValidationError

    from faultdesk.config import Settings

    cfg = tmp_path / "faultdesk.toml"
    cfg.write_text('escalation_chain = ["owner", "admin"]\n[clock_budgets]\n"response.P1" = "4h business"\n')
    monkeypatch.setenv("FAULTDESK_CONFIG", str(cfg))
    policy = Settings().clock_policy
    assert policy.chain == ("owner", "admin") and policy.budget(ClockKind.RESPONSE, Severity.P1).span == timedelta(
        hours=4
    )
    cfg.write_text('[clock_budgets]\n"response.P1" = "whenever"\n')
    with pytest.raises(ValidationError, match="cannot read the clock budget"):
        Settings()


def test_the_first_reply_is_owed_while_its_clock_runs():
    """The reply box's "这是首次反馈" default, and the refusal of a second first reply."""
    first = start_clock(ClockKind.FIRST_REPLY, None, sh(25, 10), POLICY, CAL)
    grade = start_clock(ClockKind.GRADE, None, sh(25, 10), POLICY, CAL)
    assert first_reply_owed([grade, first])
    assert not first_reply_owed([grade, meet(first, sh(25, 10, 20))])
    assert not first_reply_owed([grade])  # no first reply clock: none is owed

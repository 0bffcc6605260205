"""Clock arithmetic on business calendars: holidays, 调休 working weekends, DST zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultdesk.domain.calendars import (
    ALWAYS,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    calendar_with,
    end_of_working_day,
    next_local_time,
)

SH = ZoneInfo("Asia/Shanghai")
# 2026 National Day: Oct 1–7 off, Sat Oct 10 worked (调休) — as the official arrangement says.
NATIONAL_DAY = frozenset(date(2026, 10, d) for d in range(1, 8))
CN = BusinessCalendar(holidays=NATIONAL_DAY, workdays=frozenset({date(2026, 10, 10)}), known_years=frozenset({2026}))
BERLIN = BusinessCalendar(zone="Europe/Berlin")


def sh(y, m, d, hh=0, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_an_hour_inside_working_hours():
    assert add_business_time(sh(2026, 11, 25, 10), timedelta(hours=1), CN) == sh(2026, 11, 25, 11)


def test_time_carries_over_the_night_and_the_weekend():
    friday_5pm = sh(2026, 11, 27, 17)
    assert add_business_time(friday_5pm, timedelta(hours=2), CN) == sh(2026, 11, 30, 10)


def test_holidays_are_skipped_and_the_swapped_weekend_is_worked():
    sept_30_5pm = sh(2026, 9, 30, 17)
    # 1 h left on Sept 30, Oct 1–7 off, Oct 8 (Thu) and 9 (Fri) worked, then Sat Oct 10 is a working day.
    assert add_business_time(sept_30_5pm, timedelta(hours=2), CN) == sh(2026, 10, 8, 10)
    assert add_business_time(sh(2026, 10, 9, 17), timedelta(hours=2), CN) == sh(2026, 10, 10, 10)


def test_a_clock_started_at_night_starts_counting_at_nine():
    assert add_business_time(sh(2026, 11, 25, 2), timedelta(minutes=30), CN) == sh(2026, 11, 25, 9, 30)


def test_twenty_four_seven_is_plain_addition():
    start = sh(2026, 10, 1, 3)
    assert add_business_time(start, timedelta(minutes=15), ALWAYS) == start + timedelta(minutes=15)


def test_dst_zones_keep_wall_clock_hours():
    # Europe/Berlin leaves summer time on 2026-10-25: Friday 17:00 CEST + 2 h = Monday 10:00 CET.
    start = datetime(2026, 10, 23, 17, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    due = add_business_time(start, timedelta(hours=2), BERLIN)
    assert due == datetime(2026, 10, 26, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert due.utcoffset() == timedelta(0) and (due - start) == timedelta(days=2, hours=18)


def test_p2_updates_are_at_17_on_working_days():
    assert next_local_time(sh(2026, 11, 27, 17, 30), time(17), CN) == sh(2026, 11, 30, 17)
    assert next_local_time(sh(2026, 11, 25, 9), time(17), CN) == sh(2026, 11, 25, 17)


def test_same_working_day_means_close_of_business():
    assert end_of_working_day(sh(2026, 11, 25, 10), CN) == sh(2026, 11, 25, 18)
    assert end_of_working_day(sh(2026, 11, 25, 19), CN) == sh(2026, 11, 26, 18)
    assert end_of_working_day(sh(2026, 9, 30, 20), CN) == sh(2026, 10, 8, 18)


def test_overrides_win_over_the_official_calendar():
    company = calendar_with(CN, holidays=[date(2026, 11, 26)], no_longer_holidays=[date(2026, 10, 7)])
    assert not company.is_workday(date(2026, 11, 26)) and company.is_workday(date(2026, 10, 7))


def test_admins_are_told_when_a_clock_reaches_an_unannounced_year():
    assert CN.unknown_years(sh(2026, 12, 30), sh(2027, 1, 4)) == [2027]
    assert calendar_with(CN, announced_years=[2027]).unknown_years(sh(2026, 12, 30), sh(2027, 1, 4)) == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        add_business_time(datetime(2026, 1, 1), timedelta(hours=1), CN)  # noqa: DTZ001
    with pytest.raises(ValueError):
        add_business_time(sh(2026, 1, 1), timedelta(hours=-1), CN)
    with pytest.raises(ValueError):
        BusinessCalendar(work_start=time(18), work_end=time(9))


CALENDARS = st.sampled_from(
    [CN, BERLIN, ALWAYS, BusinessCalendar(zone="America/New_York", work_start=time(8), work_end=time(20))]
)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
SPANS = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, span=SPANS, cal=CALENDARS)
def test_due_time_never_precedes_start_and_measures_back_exactly(start, span, cal):
    due = add_business_time(start, span, cal)
    assert due >= start
    assert business_time_between(start, due, cal) == span


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, first=SPANS, second=SPANS, cal=CALENDARS)
def test_adding_in_two_steps_is_adding_once(start, first, second, cal):
    assert add_business_time(add_business_time(start, first, cal), second, cal) == add_business_time(
        start, first + second, cal
    )


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, budget=SPANS, paused_at=SPANS, pause_len=SPANS, cal=CALENDARS)
def test_a_paused_clock_resumes_with_the_time_left(start, budget, paused_at, pause_len, cal):
    due = add_business_time(start, budget, cal)
    pause = add_business_time(start, min(paused_at, budget), cal)
    left = business_time_between(pause, due, cal)
    resume = pause + pause_len
    new_due = add_business_time(resume, left, cal)
    assert business_time_between(start, pause, cal) + business_time_between(resume, new_due, cal) == budget
    assert new_due >= due


def test_the_official_calendar_holds_2026s_holidays_and_swapped_working_weekends():
    from faultdesk.adapters.holidays_cn import official_calendar

    cal = official_calendar("Asia/Shanghai", time(9, 0), time(18, 0), 2026)
    assert not cal.is_workday(date(2026, 10, 1)) and not cal.is_workday(date(2026, 2, 16))  # 国庆, 春节
    assert cal.is_workday(date(2026, 10, 10)) and cal.is_workday(date(2026, 9, 20))  # 调休: Sat, Sun worked
    assert cal.is_workday(date(2026, 10, 8))  # the holiday ends on the 7th
    assert 2026 in cal.known_years and 2027 not in cal.known_years  # 2027 awaits the State Council

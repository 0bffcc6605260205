"""Periods, buckets at local midnight (across daylight saving), and the percentile definition."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.periods import (
    Bucket,
    NamedPeriod,
    Period,
    bucket_edges,
    local_midnight,
    named_period,
    parse_period,
    percentile,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_days_start_at_berlin_midnight_across_the_october_change():
    # 2026-10-25: Berlin goes from CEST (+2) back to CET (+1) at 03:00, so that day lasts 25 hours.
    period = Period(local_midnight(date(2026, 10, 24), "Europe/Berlin"), utc("2026-10-26T23:00"))
    edges = bucket_edges(period, Bucket.DAY, "Europe/Berlin")
    assert edges == [utc("2026-10-23T22:00"), utc("2026-10-24T22:00"), utc("2026-10-25T23:00"), utc("2026-10-26T23:00")]
    assert (edges[2] - edges[1]).total_seconds() == 25 * 3600


def test_days_across_the_march_change_are_23_hours():
    period = parse_period("2026-03-28", "2026-03-31", "Europe/Berlin")
    edges = bucket_edges(period, Bucket.DAY, "Europe/Berlin")
    assert [(b - a).total_seconds() / 3600 for a, b in itertools.pairwise(edges)] == [24, 23, 24]


def test_weeks_start_on_monday_and_months_on_the_first_in_the_zone():
    period = parse_period("2026-11-01", "2026-12-01", "Asia/Shanghai")
    weeks = bucket_edges(period, Bucket.WEEK, "Asia/Shanghai")
    assert weeks[1] == utc("2026-11-01T16:00")  # Monday 2 November, 00:00 in Shanghai
    assert weeks[-1] == period.end and len(weeks) == 7
    months = bucket_edges(parse_period("2026-01-15", "2026-04-01", "Europe/Berlin"), Bucket.MONTH, "Europe/Berlin")
    assert months[1:] == [utc("2026-01-31T23:00"), utc("2026-02-28T23:00"), utc("2026-03-31T22:00")]


def test_named_periods_hold_the_moment_or_go_back():
    at = utc("2026-11-25T02:00")  # Wednesday in Shanghai
    assert named_period(NamedPeriod.WEEK, at, "Asia/Shanghai") == Period(
        utc("2026-11-22T16:00"), utc("2026-11-29T16:00")
    )
    assert named_period(NamedPeriod.WEEK, at, "Asia/Shanghai", back=1).start == utc("2026-11-15T16:00")
    assert named_period(NamedPeriod.MONTH, at, "Asia/Shanghai", back=11) == Period(  # December 2025
        utc("2025-11-30T16:00"), utc("2025-12-31T16:00")
    )
    assert named_period(NamedPeriod.QUARTER, at, "Asia/Shanghai").start == utc("2026-09-30T16:00")
    assert named_period(NamedPeriod.YEAR, at, "Europe/Berlin") == Period(
        utc("2025-12-31T23:00"), utc("2026-12-31T23:00")
    )


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-02-30", "2026-03-01", "from"),
        ("2026-03-01", "soon", "to"),
        ("2026-03-01", "2026-03-01", "to"),
        ("1999-12-31", "2026-01-01", "from"),
        ("2026-01-01", "2100-01-01", "to"),
        ("2026-01-01T25:00", "2026-01-02", "from"),
        ("", "2026-01-02", "from"),
    ],
)
def test_bad_edges_name_their_field(start, end, field):
    with pytest.raises(RuleViolation) as caught:
        parse_period(start, end, "Asia/Shanghai")
    assert caught.value.problems[0].field == field
    assert caught.value.problems[0].reason_zh != caught.value.problems[0].reason_en


def test_a_time_without_a_zone_is_local_and_one_with_a_zone_is_kept():
    p = parse_period("2026-11-01T08:00", "2026-11-01T09:00+00:00", "Asia/Shanghai")
    assert p == Period(utc("2026-11-01T00:00"), utc("2026-11-01T09:00"))


def test_too_many_buckets_is_bad_input():
    with pytest.raises(RuleViolation):
        bucket_edges(parse_period("2020-01-01", "2026-01-01", "Asia/Shanghai"), Bucket.DAY, "Asia/Shanghai")


def test_percentile_is_the_continuous_one():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([300, 600, 1200, 1800, 3600], 0.9) == pytest.approx(2880.0)
    assert percentile([1, 2, 3, 4], 0.5) == 2.5

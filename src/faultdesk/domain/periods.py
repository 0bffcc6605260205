"""Periods and buckets of the metrics (issue 13): pure arithmetic on local calendars, no I/O.

A period is a half-open range of instants ``[start, end)``. Days, weeks (Monday first) and months
start at local midnight in the organisation's zone, so a bucket is 23 or 25 hours long across a
daylight-saving change (Europe/Berlin, not Shanghai, has one); the edges are computed here in
local dates and converted to UTC, never by adding 24 h to an instant.

The percentile definition both stores use is the continuous one (PostgreSQL's
``percentile_cont``): sort the n values ascending, take position ``p·(n−1)`` and interpolate
linearly between the two values around it. ``percentile`` below is its reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from faultdesk.domain.errors import FieldProblem, RuleViolation


class Bucket(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class NamedPeriod(StrEnum):
    """The period switch: the calendar week / month / quarter / year around a moment."""

    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


# The trend's bucket for each named period (a year by day would be 365 points).
BUCKET_OF: dict[NamedPeriod, Bucket] = {
    NamedPeriod.WEEK: Bucket.DAY,
    NamedPeriod.MONTH: Bucket.DAY,
    NamedPeriod.QUARTER: Bucket.WEEK,
    NamedPeriod.YEAR: Bucket.MONTH,
}
MAX_BUCKETS = 400  # a trend of more points is a mistake (a year by day fits)
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    start: datetime  # aware UTC, included
    end: datetime  # aware UTC, excluded


def local_midnight(day: date, zone: str) -> datetime:
    """The instant local ``day`` begins in ``zone``, in UTC. A zone whose clocks jump at midnight
    (none of the common ones) gives the first instant of the day that exists."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def local_day(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def bucket_start(day: date, bucket: Bucket) -> date:
    """The local date the bucket holding ``day`` starts on."""
    if bucket is Bucket.DAY:
        return day
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(day: date, bucket: Bucket) -> date:
    """The start of the bucket after the one starting on ``day``."""
    if bucket is Bucket.DAY:
        return day + timedelta(days=1)
    if bucket is Bucket.WEEK:
        return day + timedelta(days=7)
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def bucket_edges(period: Period, bucket: Bucket, zone: str) -> list[datetime]:
    """The UTC edges of the buckets covering ``period``: the first is the period's start, the last
    its end, and those between are local midnights starting a day, week or month. A partial
    first or last bucket is cut at the period's edge."""
    edges = [period.start]
    day = next_bucket(bucket_start(local_day(period.start, zone), bucket), bucket)
    while (edge := local_midnight(day, zone)) < period.end:
        if edge > period.start:
            edges.append(edge)
        day = next_bucket(day, bucket)
        if len(edges) > MAX_BUCKETS:
            raise RuleViolation.one(
                "bucket",
                f"more than {MAX_BUCKETS} buckets: choose a longer bucket or a shorter period",
                f"分段超过 {MAX_BUCKETS} 个：请选更长的分段或更短的时间段",
            )
    edges.append(period.end)
    return edges


def named_period(kind: NamedPeriod, at: datetime, zone: str, *, back: int = 0) -> Period:
    """The calendar week (Monday first), month, quarter or year holding ``at`` in ``zone``, or the
    one ``back`` periods before it (``back=1``: last week, the one a weekly review looks at)."""
    day = local_day(at, zone)
    if kind is NamedPeriod.WEEK:
        first = day - timedelta(days=day.weekday() + 7 * back)
        last = first + timedelta(days=7)
    else:
        months = {NamedPeriod.MONTH: 1, NamedPeriod.QUARTER: 3, NamedPeriod.YEAR: 12}[kind]
        index = (day.year * 12 + day.month - 1) // months * months - back * months
        first = date(index // 12, index % 12 + 1, 1)
        end_index = index + months
        last = date(end_index // 12, end_index % 12 + 1, 1)
    return Period(local_midnight(first, zone), local_midnight(last, zone))


def parse_moment(text: str, zone: str, field: str) -> datetime:
    """A period's edge as the API and the CLI take it: a local date (its midnight), or an ISO 8601
    time (without a zone: the organisation's local time). Raises a RuleViolation naming ``field``."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
        else:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=ZoneInfo(zone))
            day = moment.astimezone(UTC).date()
    except (ValueError, OverflowError):
        raise RuleViolation.one(
            field,
            "must be a date (2026-11-01) or a time (2026-11-01T08:00:00+08:00)",
            "须为日期（2026-11-01）或时间（2026-11-01T08:00:00+08:00）",
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RuleViolation.one(
            field,
            f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}",
            f"须在 {FIRST_DAY.isoformat()} 与 {LAST_DAY.isoformat()} 之间",
        )
    return moment.astimezone(UTC)


def parse_period(start: str, end: str, zone: str) -> Period:
    """``[start, end)`` from the two texts; the end must come after the start."""
    problems: list[FieldProblem] = []
    edges: list[datetime] = []
    for name, text in (("from", start), ("to", end)):
        try:
            edges.append(parse_moment(text, zone, name))
        except RuleViolation as exc:
            problems.extend(exc.problems)
    if problems:
        raise RuleViolation(problems)
    if edges[1] <= edges[0]:
        raise RuleViolation.one("to", "must come after from", "须晚于开始时间（from）")
    return Period(edges[0], edges[1])


def percentile(values: Sequence[float], p: float) -> float | None:
    """The continuous percentile (PostgreSQL's ``percentile_cont``): the reference both stores'
    SQL follows. ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

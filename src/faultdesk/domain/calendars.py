"""Business calendars: when response clocks run (DESIGN §1, "Business calendar").

A clock runs either around the clock (24×7) or on working hours of working days. Working days
follow the mainland-China arrangement: public holidays are off, and the official working
weekends (调休) are on. All arithmetic happens in the calendar's zone and returns aware UTC, so a
Shanghai holiday starts at 16:00 UTC the day before and DST zones keep their wall-clock hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class BusinessCalendar:
    zone: str = "Asia/Shanghai"
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()  # official working weekends (调休) and admin additions
    known_years: frozenset[int] = frozenset()  # years whose official arrangement is announced
    always_on: bool = False  # 24×7: every instant counts

    def __post_init__(self) -> None:
        if not self.always_on and self.work_start >= self.work_end:
            raise ValueError("working hours must start before they end")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of a local day as aware UTC instants, or None on a day off."""
        if not self.is_workday(day):
            return None
        start = datetime.combine(day, self.work_start, tzinfo=self.tz).astimezone(UTC)
        end = datetime.combine(day, self.work_end, tzinfo=self.tz).astimezone(UTC)
        return start, end

    def unknown_years(self, start: datetime, end: datetime) -> list[int]:
        """Years a span reaches into whose holidays are not yet announced (admins are warned)."""
        if self.always_on:
            return []
        first, last = start.astimezone(self.tz).year, end.astimezone(self.tz).year
        return [y for y in range(first, last + 1) if y not in self.known_years]


def is_known_zone(zone: str) -> bool:
    """An IANA zone name the tz database knows (e.g. Asia/Shanghai, Europe/Berlin)."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


ALWAYS = BusinessCalendar(always_on=True)
_MAX_DAYS = 3660  # ten years of days off in a row would be a misconfiguration, not a calendar


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("clock arithmetic needs aware datetimes")
    return at.astimezone(UTC)


def add_business_time(start: datetime, duration: timedelta, cal: BusinessCalendar) -> datetime:
    """The instant at which ``duration`` of business time has passed since ``start``."""
    start = _utc(start)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if cal.always_on:
        return start + duration
    left = duration
    day = start.astimezone(cal.tz).date()
    for _ in range(_MAX_DAYS):
        window = cal.window(day)
        if window:
            begin, end = max(window[0], start), window[1]
            if begin < end:
                if left <= end - begin:
                    return begin + left
                left -= end - begin
            elif left == timedelta(0) and begin == end == start:
                return start
        day += timedelta(days=1)
    raise ValueError("no working time within ten years: check the calendar")


def business_time_between(start: datetime, end: datetime, cal: BusinessCalendar) -> timedelta:
    """Business time from ``start`` to ``end`` (zero when end is not after start)."""
    start, end = _utc(start), _utc(end)
    if end <= start:
        return timedelta(0)
    if cal.always_on:
        return end - start
    total = timedelta(0)
    day = start.astimezone(cal.tz).date()
    last = end.astimezone(cal.tz).date()
    while day <= last:
        window = cal.window(day)
        if window:
            lo, hi = max(window[0], start), min(window[1], end)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total


def next_local_time(after: datetime, at: time, cal: BusinessCalendar, *, workdays_only: bool = True) -> datetime:
    """The first local ``at`` (e.g. 17:00 for P2 daily updates) strictly after ``after``."""
    after = _utc(after)
    day = after.astimezone(cal.tz).date()
    for _ in range(_MAX_DAYS):
        if not workdays_only or cal.always_on or cal.is_workday(day):
            candidate = datetime.combine(day, at, tzinfo=cal.tz).astimezone(UTC)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise ValueError("no such day within ten years")


def end_of_working_day(after: datetime, cal: BusinessCalendar) -> datetime:
    """Close of business of the day ``after`` falls in (or the next working day's, if after hours)."""
    after = _utc(after)
    if cal.always_on:
        local = after.astimezone(ZoneInfo(cal.zone))
        return datetime.combine(local.date(), time(23, 59, 59), tzinfo=local.tzinfo).astimezone(UTC)
    day = after.astimezone(cal.tz).date()
    for _ in range(_MAX_DAYS):
        window = cal.window(day)
        if window and window[1] > after:
            return window[1]
        day += timedelta(days=1)
    raise ValueError("no working day within ten years")


def calendar_with(
    base: BusinessCalendar,
    *,
    holidays: Iterable[date] = (),
    workdays: Iterable[date] = (),
    no_longer_holidays: Iterable[date] = (),
    announced_years: Iterable[int] = (),
) -> BusinessCalendar:
    """The base calendar with an organisation's overrides applied (an override always wins)."""
    extra_workdays = frozenset(workdays) | frozenset(no_longer_holidays)
    extra_holidays = frozenset(holidays)
    return BusinessCalendar(
        zone=base.zone,
        work_start=base.work_start,
        work_end=base.work_end,
        holidays=(base.holidays | extra_holidays) - extra_workdays,
        workdays=(base.workdays | extra_workdays) - extra_holidays,
        known_years=base.known_years | frozenset(announced_years),
        always_on=base.always_on,
    )

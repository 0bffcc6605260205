"""The official mainland-China calendar from python-holidays: public holidays and the official
working weekends (调休, its ``weekend_workdays``). A year counts as announced when the library
knows its working weekends; later years get a warning until an admin enters the arrangement."""

from __future__ import annotations

from datetime import time

import holidays

from faultdesk.domain.calendars import BusinessCalendar


def official_calendar(zone: str, work_start: time, work_end: time, this_year: int) -> BusinessCalendar:
    years = range(this_year - 1, this_year + 3)
    china = holidays.country_holidays("CN", years=years)
    workdays = frozenset(d for d in getattr(china, "weekend_workdays", ()) if d.year in years)
    return BusinessCalendar(
        zone=zone,
        work_start=work_start,
        work_end=work_end,
        holidays=frozenset(china.keys()),
        workdays=workdays,
        known_years=frozenset(d.year for d in workdays),
    )

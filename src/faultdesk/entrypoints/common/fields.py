"""Field types of every entry point's input, and how a time without a zone is read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

# Trimmed, non-empty text of bounded length (the bound matches the column).
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Text60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text254 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


# Ids are PostgreSQL integers: a larger one can name nothing, so it is bad input, not a lookup.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]

# The years a fault desk can mean; past them a zone conversion may overflow (year 1, year 9999).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY)]
DayPath = Annotated[date, Path(ge=FIRST_DAY, le=LAST_DAY)]


def _within_years(value: datetime) -> datetime:
    try:
        day = (value.astimezone(UTC) if value.tzinfo else value).date()
    except OverflowError:
        day = date.min
    if not FIRST_DAY <= day <= LAST_DAY:
        raise PydanticCustomError("datetime_out_of_range", "must be between {first} and {last}", _YEARS)
    return value


_YEARS = {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
Moment = Annotated[datetime, AfterValidator(_within_years)]


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A time given without a zone is the organisation's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))

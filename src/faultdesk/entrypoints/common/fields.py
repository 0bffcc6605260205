"""Field types of every entry point's input, and how a time without a zone is read."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints
from pydantic_core import PydanticCustomError

# Trimmed, non-empty text of bounded length (the bound matches the column).
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Text60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text254 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


# A body's numbers and booleans are the JSON types its schema states. Pydantic's lax mode would
# read "5" and true as the integer 5 and 1, and 0 or "yes" as a boolean: a client that sends the
# wrong type has a bug, and a guess that happens to parse hides it. (Path and query values are
# always text, so their ints and bools are parsed from it: IdPath, Query(...), stay lax.)
Flag = Annotated[bool, Strict()]
Whole = Annotated[int, Strict()]

# Ids are PostgreSQL integers: a larger one can name nothing, so it is bad input, not a lookup.
MAX_ID = 2**31 - 1
# A list's page number and size, as every paged list of the API and the console takes them.
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]  # in bodies
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


def _text_or_value(kind: str) -> BeforeValidator:
    """Dates and times come as ISO 8601 text (or, from Python, as the value itself); lax mode would
    also read a number as seconds since 1970, which no schema of ours says."""

    def check(value: object) -> object:
        if isinstance(value, int | float):  # bool too
            raise PydanticCustomError(f"{kind}_type", f"Input should be a valid {kind}")
        return value

    return BeforeValidator(check)


# The years a fault desk can mean; past them a zone conversion may overflow (year 1, year 9999).
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
Day = Annotated[date, _text_or_value("date"), Field(ge=FIRST_DAY, le=LAST_DAY)]
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
Moment = Annotated[datetime, _text_or_value("datetime"), AfterValidator(_within_years)]


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A time given without a zone is the organisation's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))

"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, SmallInteger, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from faultdesk.domain.faults import Severity
from faultdesk.domain.lifecycle import TestCase


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out. SQLite keeps no zone, so it stores naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        zone = value.tzinfo
        if zone is UTC:  # PostgreSQL sessions run in UTC (engine.py): nothing to convert
            return value
        return value.replace(tzinfo=UTC) if zone is None else value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A domain enum stored as its text value: services hand over and get back the enum, and only
    this adapter knows the column's encoding. Binds take the enum or its value, so hand-written
    rows (benchmarks, filters) fit too."""

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum
        self.members = {member.value: member for member in enum}  # a lookup, not an enum call, a row

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        member = self.members.get(value)
        return member if member is not None else self.enum(value)  # an unknown value raises as before


class SeverityColumn(TypeDecorator[Severity]):
    """Severity as its small integer (0 = P0): "most urgent first" is an ascending sort."""

    impl = SmallInteger
    cache_ok = True

    def process_bind_param(self, value: Severity | int | None, dialect: Dialect) -> int | None:
        return None if value is None else int(Severity(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Severity | None:
        return None if value is None else Severity(value)


class TestCasesJson(TypeDecorator[tuple[TestCase, ...]]):
    """A fault's verification cases as a JSON list of objects; the domain sees TestCase tuples.
    Binds take the cases or their plain dicts; no cases is stored as NULL."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> list[dict[str, str]] | None:
        if not value:
            return None
        return [vars(c) if isinstance(c, TestCase) else dict(c) for c in value]

    def process_result_value(self, value: Any, dialect: Dialect) -> tuple[TestCase, ...]:
        return tuple(TestCase(**c) for c in value or ())

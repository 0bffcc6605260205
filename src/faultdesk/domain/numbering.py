"""Fault numbers (故障编号), DESIGN §1.

The template's rule is date (6 digits) - type (2 digits) - serial (3 digits): ``231025-01-001``.
Its example ``20231025001`` is the ``compact`` preset. A template is a Python format string
with three fields: ``{date:<strftime>}``, ``{type}`` and ``{serial:0Nd}``. The serial restarts
per *scope*: the local date, plus the type when the template shows the type (otherwise two
types on one day would collide). Past the padded width the serial widens (``999`` → ``1000``)
instead of failing. The date is the registration's local date in the organisation's zone.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

PRESETS: dict[str, str] = {
    "default": "{date:%y%m%d}-{type}-{serial:03d}",
    "compact": "{date:%Y%m%d}{serial:03d}",
}

TYPE_CODE = re.compile(r"^\d{2}$")


class InvalidNumberFormat(ValueError):
    pass


@dataclass(frozen=True)
class NumberFormat:
    template: str

    @classmethod
    def parse(cls, spec: str) -> NumberFormat:
        """A preset name or a template; rejects templates that could not be unique."""
        template = PRESETS.get(spec, spec)
        fields: set[str] = set()
        try:
            for _, name, _, _ in string.Formatter().parse(template):
                if name is not None:
                    fields.add(name)
        except ValueError as exc:
            raise InvalidNumberFormat(f"malformed fault-number template {spec!r}: {exc}") from exc
        unknown = fields - {"date", "type", "serial"}
        if unknown:
            raise InvalidNumberFormat(f"unknown field(s) {sorted(unknown)} in fault-number template {spec!r}")
        if not {"date", "serial"} <= fields:
            raise InvalidNumberFormat(f"fault-number template {spec!r} needs {{date:…}} and {{serial:…}}")
        fmt = cls(template)
        try:
            fmt.render(date(2023, 10, 25), "01", 1)
        except (ValueError, KeyError, IndexError) as exc:
            raise InvalidNumberFormat(f"fault-number template {spec!r} does not render: {exc}") from exc
        return fmt

    @property
    def per_type(self) -> bool:
        return "{type" in self.template

    def scope(self, local_day: date, type_code: str) -> str:
        """The key the serial counts within: one counter per day (and type, when shown)."""
        return f"{local_day.isoformat()}/{type_code}" if self.per_type else local_day.isoformat()

    def render(self, local_day: date, type_code: str, serial: int) -> str:
        if serial < 1:
            raise ValueError("serials start at 1")
        return self.template.format(date=local_day, type=type_code, serial=serial)

    def read(self, number: str) -> tuple[date, str | None, int] | None:
        """A number this format renders, read back as (day, type, serial); None if it cannot be one.
        An imported number must be read so that later registrations continue after its serial."""
        pattern, date_spec = _pattern(self.template)
        match = pattern.fullmatch(number)
        if match is None:
            return None
        try:
            day = datetime.strptime(match["date"], date_spec).date()  # noqa: DTZ007 - a local date, no instant
        except ValueError:
            return None
        serial = int(match["serial"])
        if serial < 1 or self.render(day, match.groupdict().get("type") or "", serial) != number:
            return None  # e.g. 0001 where the format pads to 3: not a number this format issues
        return day, match.groupdict().get("type"), serial


_DATE_PARTS = {"%Y": r"\d{4}", "%y": r"\d{2}", "%m": r"\d{2}", "%d": r"\d{2}", "%j": r"\d{3}"}


def _pattern(template: str) -> tuple[re.Pattern[str], str]:
    parts: list[str] = []
    date_spec = ""
    for literal, name, spec, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name == "date":
            date_spec = spec or "%Y-%m-%d"
            parts.append("(?P<date>" + "".join(_date_part(p) for p in re.split(r"(%.)", date_spec) if p) + ")")
        elif name == "type":
            parts.append(r"(?P<type>\d{2})")
        elif name == "serial":
            parts.append(r"(?P<serial>\d+)")
    return re.compile("".join(parts)), date_spec


def _date_part(part: str) -> str:
    return _DATE_PARTS.get(part, ".+?" if part.startswith("%") else re.escape(part))


def registration_day(at: datetime, zone: str) -> date:
    """The organisation's local date of an instant: a number's date is local, not UTC."""
    if at.tzinfo is None:
        raise ValueError("registration time must be aware")
    return at.astimezone(ZoneInfo(zone)).date()

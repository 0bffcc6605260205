"""The API's own request helpers; the desk and the caller come from ``entrypoints.common.context``."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A time given without a zone is the organisation's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))

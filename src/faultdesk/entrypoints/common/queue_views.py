"""A queue view as a URL names it, written once for the console's queue pages (and their
export) and the API's fault list (and its export): the same names, the same bounds, the same
``QueueQuery``. The console reads the query string itself, to show a bad value beside its filter;
the API lets FastAPI read it (a 422 naming the parameter)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.reports import Channel
from faultdesk.entrypoints.common.fields import Day, Moment, in_zone
from faultdesk.services.queues import Queue, QueueQuery

SortName = Literal[
    "registered_at", "-registered_at", "updated_at", "-updated_at", "severity", "-severity",
    "affected_users", "-affected_users", "number", "-number", "due_at", "-due_at",
]  # fmt: skip
# (written out for the type checker; tests/unit/test_queue_views.py holds it to the store's QUEUE_SORTS)
ProductCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
TypeCode = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,2}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]


class QueueView(BaseModel):
    """One view of the faults: a queue (a console tab) narrowed by filters, sorted."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    queue: Queue = Field(
        Queue.ALL, description="a console queue's faults (mine, stage1…6, P0…P2, ungraded, breaching, breached, paused)"
    )
    status: list[FaultStatus] = []
    severity: list[Literal["P0", "P1", "P2", "none"]] = Field([], description="none: not graded yet")
    type: list[TypeCode] = Field([], description="fault type codes")
    product: list[ProductCode] = Field([], description="product codes")
    channel: list[Channel] = []
    owner: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="a username: the faults this person owns"
    )
    registered_from: Moment | None = Field(None, description="registered at or after this time")
    registered_to: Moment | None = Field(None, description="registered before this time")
    from_day: Day | None = Field(None, alias="from", description="registered on or after this day (local)")
    to_day: Day | None = Field(None, alias="to", description="registered on or before this day (local)")
    q: Text | None = Field(None, description="a fault number or its start, or words (the known-issue index)")
    sort: SortName = "-registered_at"

    def query(self, zone: str, *, page: int = 1, page_size: int = 25) -> QueueQuery:
        """The view as the queue service reads it; a day is the whole of that day in ``zone``."""
        to_day = _start_of(self.to_day + timedelta(days=1), zone) if self.to_day else None
        return QueueQuery(
            queue=self.queue,
            status=self.status,
            severity=[Severity[s] for s in self.severity if s != "none"],
            ungraded="none" in self.severity,
            type_code=self.type,
            product=self.product,
            channel=self.channel,
            owner=self.owner or None,
            registered_from=_latest(in_zone(self.registered_from, zone), _start_of(self.from_day, zone)),
            registered_to=_earliest(in_zone(self.registered_to, zone), to_day),
            text=self.q or None,
            sort=self.sort,
            page=page,
            page_size=page_size,
        )


def _start_of(day: date | None, zone: str) -> datetime | None:
    return datetime.combine(day, time(), ZoneInfo(zone)).astimezone(UTC) if day else None


def _latest(*times: datetime | None) -> datetime | None:
    return max((t for t in times if t is not None), default=None)


def _earliest(*times: datetime | None) -> datetime | None:
    return min((t for t in times if t is not None), default=None)

"""Clocks, progress updates, the outbox (dead letters), the business calendar and templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, status
from pydantic import BaseModel, Field

from faultdesk.entrypoints.api.limits import limit_public
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import DayPath, Flag, IdPath, Text200, Text5000
from faultdesk.services import clocks, delivery, settings
from faultdesk.services.records import ClockRow, StoredMessage

router = APIRouter(prefix="/api/v1", tags=["clocks and messages"])


class ClockOut(BaseModel):
    id: int
    fault_number: str | None
    report_id: int | None
    kind: str
    severity: str | None
    mode: str
    state: str
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None
    warned_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None
    paused_at: datetime | None
    escalation_level: int

    @classmethod
    def of(cls, row: ClockRow, number: str | None) -> ClockOut:
        c = row.clock
        return cls(
            id=row.id,
            fault_number=number,
            report_id=row.report_id,
            kind=c.kind.value,
            severity=c.severity.name if c.severity is not None else None,
            mode=c.mode.value,
            state=c.state.value,
            started_at=c.started_at,
            due_at=c.due_at,
            warn_at=c.warn_at,
            warned_at=c.warned_at,
            breached_at=c.breached_at,
            met_at=c.met_at,
            paused_at=c.paused_at,
            escalation_level=c.escalation_level,
        )


ClockFilter = Literal["breached", "due_soon", "running", "paused", "met"]


@router.get("/clocks", response_model=list[ClockOut])
def list_clocks(
    desk: DeskDep,
    actor: ActorDep,
    state: ClockFilter | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[ClockOut]:
    """Clocks by state; ``due_soon`` are running clocks past their warning share."""
    return [ClockOut.of(r, n) for r, n in clocks.list_clocks(desk, actor=actor, state=state, limit=limit)]


@router.get("/faults/{number}/clocks", response_model=list[ClockOut])
def fault_clocks(number: str, desk: DeskDep, actor: ActorDep) -> list[ClockOut]:
    return [ClockOut.of(r, n) for r, n in clocks.fault_clocks(desk, number, actor=actor)]


class UpdateIn(BaseModel):
    text: Text5000 | None = None
    first_reply: Flag = Field(False, description="the first reply (首次反馈); text optional: the template's words")


class UpdateOut(BaseModel):
    recipients: int


@router.post("/faults/{number}/updates", response_model=UpdateOut, status_code=status.HTTP_201_CREATED)
def post_update(number: str, body: UpdateIn, desk: DeskDep, actor: ActorDep) -> UpdateOut:
    """Tell every reporter of the fault how it stands; restarts the update clock."""
    return UpdateOut(recipients=clocks.post_update(desk, number, body.text, actor=actor, first_reply=body.first_reply))


class PauseIn(BaseModel):
    reason: Text200


class PausedOut(BaseModel):
    clocks: int


@router.post("/faults/{number}/clocks/pause", response_model=PausedOut)
def pause(number: str, body: PauseIn, desk: DeskDep, actor: ActorDep) -> PausedOut:
    """Waiting for the reporter: the fault's clocks stop and keep the time they have left."""
    return PausedOut(clocks=clocks.pause_clocks(desk, number, actor=actor, reason=body.reason))


@router.post("/faults/{number}/clocks/resume", response_model=PausedOut)
def resume(number: str, desk: DeskDep, actor: ActorDep) -> PausedOut:
    return PausedOut(clocks=clocks.pause_clocks(desk, number, actor=actor, reason="", resume=True))


class MessageOut(BaseModel):
    id: int
    message_id: str
    channel: str
    recipient: str
    kind: str
    subject: str
    body: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, m: StoredMessage) -> MessageOut:
        return cls(**{k: getattr(m, k) for k in cls.model_fields})


@router.get("/messages", response_model=list[MessageOut])
def list_messages(
    desk: DeskDep,
    actor: ActorDep,
    state: Literal["pending", "sending", "sent", "dead", "shown"] | None = None,
    fault: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[MessageOut]:
    """The outbox; ``state=dead`` lists the dead letters."""
    return [MessageOut.of(m) for m in delivery.list_messages(desk, actor=actor, state=state, fault=fault, limit=limit)]


@router.post("/messages/{message_row}/retry", status_code=status.HTTP_204_NO_CONTENT)
def retry_message(message_row: IdPath, desk: DeskDep, actor: ActorDep) -> None:
    delivery.retry_message(desk, message_row, actor=actor)


class TrackedMessage(BaseModel):
    subject: str
    body: str
    sent_at: datetime | None


@router.get("/track/{token}/messages", response_model=list[TrackedMessage], tags=["public"])
def reporter_messages(token: str, request: Request, desk: DeskDep) -> list[TrackedMessage]:
    """The messages sent to this reporter, and to nobody else."""
    limit_public(request, "track")
    return [
        TrackedMessage(subject=m.subject, body=m.body, sent_at=m.sent_at)
        for m in delivery.messages_for_reporter(desk, token)
    ]


class DayIn(BaseModel):
    kind: Literal["holiday", "workday"]
    note: Text200 | None = None


@router.put("/calendar/days/{day}", status_code=status.HTTP_204_NO_CONTENT)
def set_day(day: DayPath, body: DayIn, desk: DeskDep, actor: ActorDep) -> None:
    """An admin enters the year's arrangement the day it is announced (or a company day off)."""
    settings.set_calendar_day(desk, day, body.kind, body.note, actor=actor)


@router.post("/calendar/years/{year}/announced", status_code=status.HTTP_204_NO_CONTENT)
def announce(year: Annotated[int, Path(ge=2000, le=2100)], desk: DeskDep, actor: ActorDep) -> None:
    settings.announce_year(desk, year, actor=actor)


@router.get("/calendar/warnings", response_model=list[str])
def calendar_warnings(desk: DeskDep, actor: ActorDep) -> list[str]:
    return settings.calendar_warnings(desk, actor=actor)


class TemplateIn(BaseModel):
    subject: Text200
    body: Text5000


@router.put("/templates/{key}/{lang}", status_code=status.HTTP_204_NO_CONTENT)
def set_template(key: str, lang: str, body: TemplateIn, desk: DeskDep, actor: ActorDep) -> None:
    """Edit a message template (Jinja2, sandboxed)."""
    settings.set_template(desk, key, lang, body.subject, body.body, actor=actor)

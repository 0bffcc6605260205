"""FastAPI dependencies: the desk, the acting user, the client's identity."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from faultdesk.domain.errors import NotAuthenticated
from faultdesk.services import access
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor


async def get_desk(request: Request) -> Desk:  # async: no threadpool hop for a dictionary lookup
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


def current_actor(request: Request, desk: DeskDep) -> Actor:
    """Bearer token for API clients, else the web session cookie; nothing else gets in."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", "请使用 Bearer 令牌")
        return access.authenticate_token(desk, token.strip())
    user_id = request.session.get("user_id") if "session" in request.scope else None
    if isinstance(user_id, int):
        return access.session_actor(desk, user_id)
    raise NotAuthenticated("login required", "请先登录")


ActorDep = Annotated[Actor, Depends(current_actor)]


async def optional_actor(request: Request, desk: DeskDep) -> Actor | None:
    """Staff when credentials are sent (a bad token is still refused), else nobody. Async so the
    public form — the hot path — skips the threadpool; only a staff caller pays for the lookup."""
    if request.headers.get("authorization") or ("session" in request.scope and request.session.get("user_id")):
        return await run_in_threadpool(current_actor, request, desk)
    return None


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def in_zone(value: datetime | None, zone: str) -> datetime | None:
    """A time given without a zone is the organisation's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(zone))

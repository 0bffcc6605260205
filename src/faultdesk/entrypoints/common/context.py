"""A request's desk and its caller, the same for the API and the web console.

The API takes them as dependencies (``DeskDep``, ``ActorDep``: a bearer token or the session; no
caller is a 401). A web page takes ``DeskDep`` too and asks ``logged_in`` — the same session
lookup, without the bearer header a browser does not send — and sends a caller it cannot name to
the login form."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.concurrency import run_in_threadpool

from faultdesk.domain.errors import NotAuthenticated
from faultdesk.services import access
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor


def attach_desk(app: FastAPI, desk: Desk) -> None:
    """Make ``desk`` the one every request to ``app`` gets from ``get_desk``."""
    app.state.desk = desk


async def get_desk(request: Request) -> Desk:  # async: no threadpool hop for a dictionary lookup
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


SESSION_USER = "user_id"  # the session cookie's one entry


def start_session(request: Request, actor: Actor) -> None:
    """Log ``actor`` in: a fresh session cookie that names them."""
    request.session.clear()
    request.session[SESSION_USER] = actor.id


def end_session(request: Request) -> None:
    request.session.clear()


def _session_user(request: Request) -> object:
    return request.session.get(SESSION_USER) if "session" in request.scope else None


def logged_in(request: Request, desk: Desk) -> Actor:
    """The user the web session cookie names (the web console's only way in)."""
    user_id = _session_user(request)
    if isinstance(user_id, int):
        return access.session_actor(desk, user_id)
    raise NotAuthenticated("login required", "请先登录")


def current_actor(request: Request, desk: DeskDep) -> Actor:
    """Bearer token for API clients, else the web session cookie; nothing else gets in."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", "请使用 Bearer 令牌")
        return access.authenticate_token(desk, token.strip())
    return logged_in(request, desk)


ActorDep = Annotated[Actor, Depends(current_actor)]


async def optional_actor(request: Request, desk: DeskDep) -> Actor | None:
    """Staff when credentials are sent (a bad token is still refused), else nobody. Async so the
    public form — the hot path — skips the threadpool; only a staff caller pays for the lookup."""
    if request.headers.get("authorization") or _session_user(request):
        return await run_in_threadpool(current_actor, request, desk)
    return None


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]

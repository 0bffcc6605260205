"""A request's desk and its caller, the same for the API and the web console.

The API takes them as dependencies (``DeskDep``, ``ActorDep``: a bearer token or the session; no
caller is a 401). A web page takes ``DeskDep`` too and asks ``logged_in`` — the same session
lookup, without the bearer header a browser does not send — and sends a caller it cannot name to
the login form. The session cookie carries only a random token; the session itself is a row in the
store, so logging out, a password reset or a deactivation ends it for every copy of the cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from faultdesk.domain.errors import NotAuthenticated
from faultdesk.entrypoints.common.csrf import check_csrf_header
from faultdesk.services import access
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor


def attach_desk(app: FastAPI, desk: Desk, *, cookie_secure: bool = False) -> None:
    """Make ``desk`` the one every request to ``app`` gets from ``get_desk``."""
    app.state.desk = desk
    app.state.cookie_secure = cookie_secure


async def get_desk(request: Request) -> Desk:  # async: no threadpool hop for a dictionary lookup
    desk: Desk = request.app.state.desk
    return desk


DeskDep = Annotated[Desk, Depends(get_desk)]


SESSION_COOKIE = "faultdesk_session"  # the session's random token, and nothing else


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def set_session_cookie(request: Request, response: Response, token: str, desk: Desk) -> None:
    """The browser keeps the cookie as long as the session could live; the store decides sooner."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(desk.sessions.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=bool(request.app.state.cookie_secure),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")


def logged_in(request: Request, desk: Desk) -> Actor:
    """The user whose live session the web cookie names (the web console's only way in)."""
    token = session_token(request)
    if token:
        return access.session_actor(desk, token)
    raise NotAuthenticated("login required", "请先登录")


def current_actor(request: Request, desk: DeskDep) -> Actor:
    """Bearer token for API clients, else the web session cookie; nothing else gets in."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", "请使用 Bearer 令牌")
        return access.authenticate_token(desk, token.strip())
    actor = logged_in(request, desk)
    check_csrf_header(request)  # the cookie rides along on any site's request; the token cannot
    return actor


ActorDep = Annotated[Actor, Depends(current_actor)]


async def optional_actor(request: Request, desk: DeskDep) -> Actor | None:
    """Staff when credentials are sent (a bad token is still refused; a session that has ended
    makes a member of the public), else nobody. Async so the public form — the hot path — skips
    the threadpool; only a staff caller pays for the lookup."""
    if request.headers.get("authorization"):
        return await run_in_threadpool(current_actor, request, desk)
    if session_token(request):
        try:
            actor = await run_in_threadpool(logged_in, request, desk)
        except NotAuthenticated:
            return None
        check_csrf_header(request)  # a live session acts as its user: the same guard as ActorDep
        return actor
    return None


OptionalActorDep = Annotated[Actor | None, Depends(optional_actor)]

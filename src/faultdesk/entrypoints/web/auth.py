"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from faultdesk.domain.errors import NotAuthenticated, Throttled
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.entrypoints.common.context import (
    DeskDep,
    OptionalActorDep,
    clear_session_cookie,
    session_token,
    set_session_cookie,
)
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.i18n import wants_json
from faultdesk.entrypoints.web.rendering import LANG_COOKIE, language_of, render, safe_next
from faultdesk.services import access, staff

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, desk: DeskDep, next: str | None = None) -> Response:
    return render(request, "login.html", {"error": None, "next": safe_next(next)}, desk=desk, actor=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    desk: DeskDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    try:
        actor, token = access.log_in(desk, username, password, client=client_of(request))
    except (NotAuthenticated, Throttled) as exc:
        if wants_json(request):
            raise  # the API's error envelope, with Retry-After when throttled
        throttled = isinstance(exc, Throttled)
        return render(
            request,
            "login.html",
            {
                "error": exc.message if language_of(request) == "en" else exc.message_zh,
                "username": username,
                "next": safe_next(next),
            },
            desk=desk,
            actor=None,
            status_code=429 if throttled else 401,
            headers={"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Throttled) else None,
        )
    previous = session_token(request)
    if previous:  # the browser's earlier session ends rather than live on unseen
        access.end_session(desk, previous)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, token, desk)
    if actor.language is None and request.cookies.get(LANG_COOKIE) in ("zh", "en"):
        staff.set_user_language(desk, actor.label, request.cookies[LANG_COOKIE], actor=actor)
    return response


@router.post("/logout")
def logout(request: Request, desk: DeskDep) -> Response:
    token = session_token(request)
    if token:
        access.end_session(desk, token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.post("/language")
def switch_language(
    request: Request,
    desk: DeskDep,
    actor: OptionalActorDep,
    lang: Annotated[str, Form(pattern="^(zh|en)$")],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """中文 / English: kept on the user's account, and in a cookie for the login page."""
    if actor is not None:
        staff.set_user_language(desk, actor.label, lang, actor=actor)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response

"""The web console: session login and a first view of the fault queue (same services as the API)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from faultdesk.domain.errors import NotAuthenticated, Throttled
from faultdesk.domain.faults import DEFAULT_FAULT_TYPES
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.entrypoints.common.context import (
    DeskDep,
    clear_session_cookie,
    logged_in,
    session_token,
    set_session_cookie,
)
from faultdesk.entrypoints.common.i18n import wants_english, wants_json
from faultdesk.entrypoints.common.labels import label
from faultdesk.services import access, faults
from faultdesk.services.records import FaultFilter

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")


def _localtime(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


templates.env.filters["localtime"] = _localtime
templates.env.globals["label"] = label  # every page names codes in words
router = APIRouter(include_in_schema=False)

TYPE_ZH = {t.code: t.label_zh for t in DEFAULT_FAULT_TYPES}


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": None})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, desk: DeskDep, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    try:
        _, token = access.log_in(desk, username, password, client=client_of(request))
    except (NotAuthenticated, Throttled) as exc:
        if wants_json(request):
            raise  # the API's error envelope, with Retry-After when throttled
        english = wants_english(request.headers.get("accept-language"))
        return templates.TemplateResponse(
            request,
            "login.html",
            {"error": exc.message if english else exc.message_zh, "username": username},
            status_code=429 if isinstance(exc, Throttled) else 401,
            headers={"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Throttled) else None,
        )
    previous = session_token(request)
    if previous:  # the browser's earlier session ends rather than live on unseen
        access.end_session(desk, previous)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, token, desk)
    return response


@router.post("/logout")
def logout(request: Request, desk: DeskDep) -> Response:
    token = session_token(request)
    if token:
        access.end_session(desk, token)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, desk: DeskDep, page: int = 1) -> Response:
    try:
        actor = logged_in(request, desk)
    except NotAuthenticated:
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(response)
        return response
    result = faults.list_faults(desk, FaultFilter(page=max(page, 1), page_size=50), actor=actor)
    return templates.TemplateResponse(
        request,
        "home.html",
        {"actor": actor, "page": result, "type_zh": TYPE_ZH, "zone": desk.timezone},
    )

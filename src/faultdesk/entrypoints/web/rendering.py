"""One way to draw a console page: the templates, the words in the page's language, the caller,
the CSRF token and the clock signals, so every page module only names its template and data.

Language: the user's own choice (kept on their account), else the ``faultdesk_lang`` cookie (set
by the switch before login), else ``Accept-Language``; Chinese when nothing says otherwise."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from faultdesk.domain.errors import NotAuthenticated
from faultdesk.entrypoints.common.context import DeskDep, clear_session_cookie, logged_in
from faultdesk.entrypoints.common.csrf import csrf_token, keep_csrf_cookie
from faultdesk.entrypoints.common.i18n import wants_english
from faultdesk.entrypoints.common.labels import label as label_in
from faultdesk.entrypoints.web.signals import time_left
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor

HERE = Path(__file__).parent
LANG_COOKIE = "faultdesk_lang"
templates = Jinja2Templates(directory=HERE / "templates")  # autoescape on: every value is escaped


def language_of(request: Request, actor: Actor | None = None) -> str:
    if actor is not None and actor.language in ("zh", "en"):
        return actor.language
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    return "en" if wants_english(request.headers.get("accept-language")) else "zh"


def _localtime(value: datetime | None, zone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(ZoneInfo(zone)).strftime(fmt) if value else ""


@pass_context
def _tr(ctx: Context, zh: str, en: str) -> str:
    """The page's words written once in both languages, side by side in the template."""
    return zh if ctx.get("lang", "zh") == "zh" else en


@pass_context
def _label(ctx: Context, code: Any) -> str:
    return label_in(code, ctx.get("lang", "zh"))


@pass_context
def _time_left(ctx: Context, due: datetime, *, paused: bool = False, met: bool = False) -> Any:
    return time_left(due, ctx["now"], paused=paused, met=met)


templates.env.filters["localtime"] = _localtime
templates.env.globals.update(tr=_tr, label=_label, time_left=_time_left)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    desk: Desk,
    actor: Actor | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The page ``name`` with what every page has: caller, language, zone, now and CSRF token."""
    lang = language_of(request, actor)
    full = {
        "actor": actor,
        "lang": lang,
        "zone": desk.timezone,
        "now": desk.clock.now(),
        "csrf_token": csrf_token(request),
        "htmx": request.headers.get("hx-request") == "true",
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code, headers=headers)
    response.headers.setdefault("Cache-Control", "no-store")  # pages carry private data
    keep_csrf_cookie(request, response)
    return response


class LoginRequired(Exception):
    """A page asked for by nobody logged in: the answer is the login form, then back here."""

    def __init__(self, path: str) -> None:
        self.path = path


def staff(request: Request, desk: DeskDep) -> Actor:
    """The logged-in caller of a console page, or ``LoginRequired`` (the app turns it into a redirect)."""
    try:
        return logged_in(request, desk)
    except NotAuthenticated:
        raise LoginRequired(request.url.path) from None


StaffDep = Annotated[Actor, Depends(staff)]


def safe_next(target: str | None) -> str:
    """Where to go after login: a path on this site only (never ``//elsewhere`` or a full URL)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def to_login(request: Request, exc: LoginRequired) -> Response:
    target = "/login" if exc.path in ("/", "/login") else f"/login?next={exc.path}"
    if request.headers.get("hx-request") == "true":  # htmx follows HX-Redirect with a full page load
        response: Response = Response(status_code=401, headers={"HX-Redirect": target})
    else:
        response = RedirectResponse(target, status_code=303)
    clear_session_cookie(response)
    return response

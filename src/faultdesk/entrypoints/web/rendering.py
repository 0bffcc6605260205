"""One way to draw a console page: the templates, the words in the page's language, the caller,
the CSRF token and the clock signals, so every page module only names its template and data.

Language: the user's own choice (kept on their account), else the ``faultdesk_lang`` cookie (set
by the switch before login), else ``Accept-Language``; Chinese when nothing says otherwise."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
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


# Functions of the page's language. Each is a global that reads ``lang`` from the template's
# context (``pass_context``) for templates drawn some other way, and ``render`` also hands every
# page the same functions bound to its language once: Jinja gives a ``pass_context`` function
# called inside a loop or a block with variables a context of its own (a copy of every variable),
# and a queue page makes some 300 such calls (its rows' labels, the owner filter's roles).
_IN_LANGUAGE: dict[str, Callable[..., Any]] = {}  # name -> function(lang, *args)
_BOUND: dict[str, dict[str, Any]] = {}  # lang -> name -> function(*args)


def in_language(name: str, function: Callable[..., Any]) -> None:
    """Make ``function(lang, *args)`` the templates' ``name(*args)``, in the page's language."""

    @pass_context
    def from_context(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        return function(ctx.get("lang", "zh"), *args, **kwargs)

    templates.env.globals[name] = from_context
    _IN_LANGUAGE[name] = function
    _BOUND.clear()


def _in(lang: str) -> dict[str, Any]:
    bound = _BOUND.get(lang)
    if bound is None:
        bound = _BOUND[lang] = {name: partial(f, lang) for name, f in _IN_LANGUAGE.items()}
    return bound


def _tr(lang: str, zh: str, en: str) -> str:
    """The page's words written once in both languages, side by side in the template."""
    return zh if lang == "zh" else en


def _label(lang: str, code: Any) -> str:
    return label_in(code, lang)


@pass_context
def _time_left(ctx: Context, due: datetime, *, paused: bool = False, met: bool = False) -> Any:
    return time_left(due, ctx["now"], paused=paused, met=met)


templates.env.filters["localtime"] = _localtime
templates.env.globals.update(time_left=_time_left)
in_language("tr", _tr)
in_language("label", _label)


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
    now = full["now"]

    def time_left_now(due: datetime, *, paused: bool = False, met: bool = False) -> Any:
        return time_left(due, now, paused=paused, met=met)

    full = {**_in(lang), "time_left": time_left_now, **full}  # (see in_language)
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

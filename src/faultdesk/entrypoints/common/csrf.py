"""CSRF protection for the console, shared by the pages and the cookie-authenticated API.

The double-submit pattern: a random token in an HttpOnly, SameSite=Strict cookie, and the same
token in each form (``csrf_token``) or, for htmx and fetch, the ``X-CSRF-Token`` header. A request
from another site can make the browser send the cookie but cannot read it to echo it. Bearer-token
API clients carry no ambient credential and are not asked for it."""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from faultdesk.domain.errors import NotPermitted
from faultdesk.entrypoints.common.forms import request_form

CSRF_COOKIE = "faultdesk_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_refused() -> NotPermitted:
    return NotPermitted(
        "the form's security token is missing or wrong: reload the page and try again",
        "表单安全令牌缺失或已失效，请刷新页面后重试",
    )


def csrf_token(request: Request) -> str:
    """This browser's token: the cookie's, else a new one that ``keep_csrf_cookie`` will set."""
    known = getattr(request.state, "csrf_token", None)
    if known:
        return str(known)
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.csrf_token = token
    return token


def keep_csrf_cookie(request: Request, response: Response) -> None:
    token = csrf_token(request)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=bool(getattr(request.app.state, "cookie_secure", False)),
        )


def _matches(request: Request, sent: str | None) -> bool:
    expected = request.cookies.get(CSRF_COOKIE)
    return bool(expected and sent and hmac.compare_digest(expected, sent))


def check_csrf_header(request: Request) -> None:
    """For a cookie-authenticated API call that changes something (the console's htmx and fetch)."""
    if request.method not in SAFE_METHODS and not _matches(request, request.headers.get(CSRF_HEADER)):
        raise csrf_refused()


async def check_csrf(request: Request) -> None:
    """A page route's dependency: a state-changing request carries the token in the header or form."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request_form(request)  # starlette keeps it: the route's Form() fields read the same one
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not _matches(request, sent):
        raise csrf_refused()

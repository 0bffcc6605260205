"""The one mapping of domain errors and bad input to HTTP responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from fastapi import FastAPI, Request, routing
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from faultdesk.domain.errors import DomainError, NotAuthenticated, RuleViolation, Throttled
from faultdesk.entrypoints.common.i18n import reason_zh, wants_english
from faultdesk.entrypoints.common.refusals import status_of


def error_body(code: str, message: str, fields: list[dict[str, str]] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    body.update(extra)
    return {"error": body}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


# The framework's only 400s are bodies it cannot read. FastAPI's, with this text, when the body is
# not JSON it can read: not UTF-8, nested too deep, an integer of thousands of digits; Starlette's
# when a form is not one (multipart without its boundary, or cut short). They are bad input like
# any other: 422 in the envelope.
UNREADABLE_BODY = "There was an error parsing the body"
UNREADABLE = {
    "type": "body_unreadable",
    "loc": ("body",),
    "msg": "is not JSON that can be read (UTF-8, nested at most a few hundred levels, numbers of sane size)",
}


def _unreadable_form(detail: str) -> dict[str, Any]:
    return {"type": "form_unreadable", "loc": ("body",), "msg": f"is not a form that can be read: {detail}"}


@dataclass(frozen=True)
class Problem:
    """One error as every caller gets it: a status, a code, the message and the fields' reasons in
    the caller's language, and headers (Retry-After, WWW-Authenticate, Allow)."""

    status: int
    code: str
    message: str
    fields: list[dict[str, str]] | None = None
    headers: dict[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def invalid_input(errors: list[dict[str, Any]], english: bool) -> Problem:
    fields = []
    for err in errors:
        msg = str(err.get("msg", "invalid"))
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
            # The decoder's position is a character offset, not a field: say where, name the body.
            err = {**err, "ctx": {**(err.get("ctx") or {}), "position": loc[1]}}
            msg, loc = f"invalid JSON at character {loc[1]}", ("body",)
        reason = msg if english else reason_zh(str(err.get("type", "")), err.get("ctx"), msg)
        fields.append({"field": _field_name(loc), "reason": reason})
    message = "; ".join(f"{f['field']}: {f['reason']}" for f in fields)
    return Problem(422, "validation_error", message, fields)


def answer(request: Request, problem: Problem) -> Response:
    """The error as a page for a browser asking for a console page (the web package draws it:
    ``app.state.error_page``), else the JSON envelope (the API's paths, JSON clients)."""
    page = getattr(request.app.state, "error_page", None)
    wants_page = "text/html" in request.headers.get("accept", "") and not request.url.path.startswith("/api/")
    if page is not None and wants_page:
        shown = cast(Response, page(request, problem.status, problem.message, problem.fields))
        shown.headers.update(problem.headers or {})
        return shown
    body = error_body(problem.code, problem.message, problem.fields, **problem.extra)
    return JSONResponse(status_code=problem.status, content=body, headers=problem.headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes. Starlette's 405 names only the first route whose
    path matched, so a path served by two routes (GET and POST /api/v1/faults) told half the truth."""
    methods: set[str] = set()
    for route in routing.iter_route_contexts(request.app.routes):  # included routers' routes too
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


# Starlette's own refusals, in both languages (its words are English only).
HTTP_WORDS = {
    404: ("没有这个地址", "Not Found"),
    405: ("这个地址不能这样访问", "Method Not Allowed"),
}


def _page_above(request: Request) -> str | None:
    """For a browser opening a form's address (``/faults/N/updates``) as a page: the nearest page
    above it (``/faults/N``), or None (the API's paths, other methods, nothing above)."""
    wants_page = "text/html" in request.headers.get("accept", "")
    if request.method not in ("GET", "HEAD") or not wants_page or request.url.path.startswith("/api/"):
        return None
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        path = "/".join(parts) or "/"
        scope = {**request.scope, "path": path, "method": "GET"}
        for route in routing.iter_route_contexts(request.app.routes):
            if "GET" in (route.methods or ()) and route.matches(scope)[0] is Match.FULL:
                return path
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> Response:
        english = wants_english(request.headers.get("accept-language"))
        return answer(request, invalid_input(list(exc.errors()), english))

    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> Response:
        english = wants_english(request.headers.get("accept-language"))
        message = exc.message if english else exc.message_zh
        fields = None
        if isinstance(exc, RuleViolation):
            fields = [{"field": p.field, "reason": p.reason_en if english else p.reason_zh} for p in exc.problems]
        headers = None
        if isinstance(exc, NotAuthenticated):
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, Throttled):
            headers = {"Retry-After": str(exc.retry_after_s)}
        return answer(request, Problem(status_of(exc), exc.code, message, fields, headers, dict(exc.data)))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400:
            error = UNREADABLE if exc.detail == UNREADABLE_BODY else _unreadable_form(str(exc.detail))
            return answer(request, invalid_input([error], wants_english(request.headers.get("accept-language"))))
        headers = getattr(exc, "headers", None)
        english = wants_english(request.headers.get("accept-language"))
        if exc.status_code == 405:
            page = _page_above(request)
            if page is not None:  # a form's address opened as a page (after a refusal, say): its page
                return RedirectResponse(page, status_code=303)
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        words = HTTP_WORDS.get(exc.status_code)
        message = (words[1] if english else words[0]) if words else str(exc.detail)
        return answer(request, Problem(exc.status_code, f"http_{exc.status_code}", message, headers=headers))

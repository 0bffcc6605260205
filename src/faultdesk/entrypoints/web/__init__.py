"""The web console: server-rendered pages (Jinja2 + htmx) over the same services as the API.

One module a place (../shared/UI.md): ``auth`` (login, logout, language), ``queues`` (``/``), and
the page modules added beside them. ``install`` mounts them, the static files and the page errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from faultdesk.entrypoints.common.log_masking import mask_access_log
from faultdesk.entrypoints.web import (
    admin,
    attachments,
    auth,
    dashboard,
    docs,
    exports,
    fault_page,
    followup,
    queues,
    registration,
    reporter,
)
from faultdesk.entrypoints.web.rendering import HERE, LoginRequired, render, to_login


def error_page(request: Request, status_code: int, message: str, fields: list[dict[str, str]] | None) -> Response:
    """A domain or HTTP error met on a page: the same words as the API's, as a page."""
    desk = request.app.state.desk
    return render(
        request,
        "error.html",
        {"status": status_code, "message": message, "fields": fields or []},
        desk=desk,
        actor=None,
        status_code=status_code,
    )


def install_public(app: FastAPI) -> None:
    """The reporter's pages, mounted before everything else: FastAPI tries routes in order, and
    reaching ``POST /report`` behind every API and console router cost ~0.25 ms a post."""
    app.include_router(reporter.router)


def install(app: FastAPI) -> None:
    """The console (after ``install_public``), the static files and the page errors."""
    for module in (auth, queues, exports, docs, admin, followup, fault_page, registration, attachments, dashboard):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.error_page = error_page
    mask_access_log()  # tracking links (/t/<token>) are keys: never in the access log in clear

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        return to_login(request, exc)

"""create_app(settings): the HTTP API (/api/v1, OpenAPI at /docs) and the web console (/)."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from faultdesk import __version__
from faultdesk.adapters.rate_limits import rate_of
from faultdesk.bootstrap import Wiring, bootstrap
from faultdesk.config import Settings
from faultdesk.domain.attachments import MAX_ATTACHMENTS
from faultdesk.entrypoints import web, worker
from faultdesk.entrypoints.api import errors, exports, openapi
from faultdesk.entrypoints.api.limits import IMPORT_PATH, UPLOAD_PATHS, BodyLimit, PublicLimits
from faultdesk.entrypoints.api.routes import (
    clocks,
    faults,
    known_issues,
    lifecycle,
    metrics,
    products,
    public,
    public_issues,
    users,
)
from faultdesk.entrypoints.common.clients import trust_proxies
from faultdesk.entrypoints.common.context import attach_desk
from faultdesk.entrypoints.common.text_guard import refuse_control_characters
from faultdesk.entrypoints.common.timing import ServerTiming
from faultdesk.entrypoints.web.security import SecurityHeaders


def create_app(settings: Settings | None = None, *, wiring: Wiring | None = None) -> FastAPI:
    settings = settings or (wiring.settings if wiring else Settings())
    wiring = wiring or bootstrap(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.run_worker:  # a serving process: build the index now rather than on first use
            threading.Thread(target=_warm_index, args=(wiring,), name="faultdesk-index", daemon=True).start()
        running = (
            worker.start_in_thread(wiring.desk, wiring.notifiers, settings.worker_interval_s)
            if settings.run_worker
            else None
        )
        try:
            yield
        finally:
            if running:
                thread, stop = running
                stop.set()
                thread.join(timeout=10)
            _keep_index(wiring)
            wiring.engine.dispose()

    app = FastAPI(
        title="FaultDesk 故障快响",
        version=__version__,
        description="Product-fault-feedback management: intake, numbering, grading, clocks, archive.",
        lifespan=lifespan,
        docs_url=None,  # web/docs.py serves Swagger UI from local files
        redoc_url=None,
        dependencies=[Depends(refuse_control_characters)],  # every route, API and web alike
    )
    attach_desk(app, wiring.desk, cookie_secure=settings.cookie_secure)
    trust_proxies(app, settings.trusted_proxies)
    app.state.settings = settings
    app.state.public_limits = PublicLimits(
        wiring.desk.rate_counters, intake=rate_of(settings.intake_rate_limit), track=rate_of(settings.track_rate_limit)
    )
    errors.install(app)
    openapi.document(app)
    app.include_router(public.router)
    web.install_public(app)  # next: the report form is the other hot path, and routes are matched in order
    app.include_router(faults.router)
    app.include_router(exports.router)
    app.include_router(lifecycle.router)
    app.include_router(clocks.router)
    app.include_router(known_issues.router)
    app.include_router(public_issues.router)
    app.include_router(users.router)
    app.include_router(products.router)
    app.include_router(metrics.router)
    web.install(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> JSONResponse:
        """200 when the database answers, 503 when it does not."""
        try:
            with wiring.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "database": wiring.engine.dialect.name, "version": __version__})

    # The form posts with attachments: every file at its limit, the text fields, multipart's framing.
    uploads = MAX_ATTACHMENTS * (settings.attachment_max_bytes + 4096) + settings.max_body_bytes
    # The import page's table: the file at its limit and the form around it (the page refuses a
    # file past its limit beside the field; only a body past this one gets the bare 422).
    imports = settings.import_max_bytes + settings.max_body_bytes
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, larger={UPLOAD_PATHS: uploads, IMPORT_PATH: imports})
    app.add_middleware(SecurityHeaders)
    app.add_middleware(ServerTiming)  # outermost: its time covers the other middleware too
    return app


def _settle_heap() -> None:
    """Move what the process holds for good (modules, wiring, the built index) out of the garbage
    collector's sight. A full collection walks every tracked object: at start it paused a
    request by about 130 ms on the bench corpus, and the index only adds to what it walks."""
    gc.collect()
    gc.freeze()


def _warm_index(wiring: Wiring) -> None:
    """Build the known-issue index from the database now, not on the first agent's search."""
    try:
        with wiring.desk.uow() as uow:
            wiring.desk.known_issues.catch_up(uow)
    except Exception:  # the first search builds it instead
        logging.getLogger("faultdesk").exception("could not build the known-issue index at start")
        return
    _keep_index(wiring)
    _settle_heap()


def _keep_index(wiring: Wiring) -> None:
    """Keep the known-issue index for the next start (when it read something since it was kept)."""
    try:
        wiring.desk.known_issues.save()
    except Exception:
        logging.getLogger("faultdesk").exception("could not keep the known-issue index")


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used by `faultdesk serve`): settings from the environment."""
    app = create_app(Settings())
    _settle_heap()  # a serving process: what it built to serve stays for its life
    return app

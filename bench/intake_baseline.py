"""The intake benchmark's ceiling: the bare stack FaultDesk is built on, doing one INSERT per report.

Same server (uvicorn), same validation model (ReportIn), same engine (bootstrap's engine_for
with the Settings FaultDesk reads, so the same pool, waits and SQLite pragmas), same sync ``def``
endpoint in FastAPI's threadpool, same ``reports`` table. What it leaves out is FaultDesk's own
work: the middleware, the rate limiter, the intake rules, contact encryption, the audit row and
the read-back.

Launched by bench/intake.py as ``uvicorn bench.intake_baseline:create_app --factory``.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, status
from fastapi.responses import JSONResponse
from sqlalchemy import insert, text

from faultdesk.adapters.db.tables import reports
from faultdesk.bootstrap import engine_for
from faultdesk.config import Settings
from faultdesk.entrypoints.api.schemas import ReportIn
from faultdesk.entrypoints.common.fields import in_zone


def create_app() -> FastAPI:
    # Settings from the environment, like FaultDesk's app_from_env, so both read the same URL and pool.
    settings = Settings()
    engine = engine_for(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            engine.dispose()

    app = FastAPI(title="intake baseline", lifespan=lifespan)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "database": engine.dialect.name}

    @app.post("/api/v1/reports", status_code=status.HTTP_201_CREATED)
    def submit_report(body: ReportIn) -> JSONResponse:
        now = datetime.now(UTC)
        row = {
            # Unique like a real token digest, without FaultDesk's token/hash work.
            "tracking_token_hash": secrets.token_hex(32),
            "channel": body.channel.value,
            "received_at": in_zone(body.received_at, settings.timezone) or now,
            "occurred_at": in_zone(body.occurred_at, settings.timezone),
            "scenario": body.scenario,
            "symptom": body.symptom,
            "device_model": body.device_model,
            "os_version": body.os_version,
            "app_version": body.app_version,
            "network": body.network.value if body.network else None,
            "reporter_id": body.reporter_id,
            # The contact columns stay empty: encrypting and masking it is FaultDesk's work, not the stack's,
            # and a clear contact must not land in a column meant for ciphertext.
            "description": body.description,
            "created_at": now,
        }
        with engine.begin() as conn:
            report_id = conn.execute(insert(reports).values(**row)).inserted_primary_key[0]  # type: ignore[index]
        return JSONResponse({"id": int(report_id)}, status_code=status.HTTP_201_CREATED)

    return app

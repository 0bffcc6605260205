"""The metrics (issue 13): figures for a period and the list filters, aggregated by the store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_json, metrics_query
from faultdesk.services import metrics

router = APIRouter(prefix="/api/v1", tags=["staff"])

Texts = Annotated[list[str] | None, Query()]


@router.get("/metrics")
def get_metrics(
    desk: DeskDep,
    actor: ActorDep,
    start: Annotated[str | None, Query(alias="from", description="a local date or an ISO time; included")] = None,
    end: Annotated[str | None, Query(alias="to", description="a local date or an ISO time; excluded")] = None,
    period: Annotated[
        str | None, Query(description="week / month / quarter / year around now, without from/to")
    ] = None,
    back: Annotated[int, Query(ge=0, le=1200, description="with period: that many periods earlier")] = 0,
    bucket: Annotated[str | None, Query(description="the trend's day / week / month")] = None,
    severity: Texts = None,
    type_code: Annotated[list[str] | None, Query(alias="type")] = None,
    product: Texts = None,
    channel: Texts = None,
    owner: Annotated[str | None, Query(description="a username")] = None,
) -> dict[str, Any]:
    """Reports and faults in; times to register, grade, first reply (MTTA) and resolve (MTTR) as
    mean, median and 90th percentile; clock compliance per kind × severity and the breaches; reopen
    and recurrence rates; top faults by affected users; improvement actions; the trend by local
    day, week or month. The definitions are in the README ("Metrics")."""
    params = MetricsParams(
        start=start,
        end=end,
        period=period,
        back=back,
        bucket=bucket,
        severity=severity or [],
        type_code=type_code or [],
        product=product or [],
        channel=channel or [],
        owner=owner,
    )
    query = metrics_query(params, desk.timezone, desk.clock.now())
    return metrics_json(metrics.compute(desk, query, actor=actor))

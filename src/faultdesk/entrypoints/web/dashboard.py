"""The dashboard (issue 13 item 2, ``/dashboard``): open faults by severity and stage, clock
compliance, the MTTR trend, top faults by affected users and the breaches, for a period and the
list filters. Each chart has its table beside it: the table is the truth, and the chart reads
the same numbers from a JSON data block (``type="application/json"``, no executable inline
script under the CSP). ``/dashboard/report`` downloads the review report of the same view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.faults import Severity
from faultdesk.domain.lifecycle import Stage
from faultdesk.domain.reports import Channel
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.labels import label
from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_json, metrics_query
from faultdesk.entrypoints.common.refusals import reasons
from faultdesk.entrypoints.common.review_report import CONTENT_TYPES, FORMATS, NoCjkFont, render_review
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import catalogue, metrics, staff
from faultdesk.services.metric_records import DurationKind
from faultdesk.services.metrics import MetricsResult, compliance_rate
from faultdesk.services.queues import OWNER_STAGE

router = APIRouter(include_in_schema=False)

Word = Annotated[str | None, Query(max_length=100)]
Words = Annotated[list[str] | None, Query(max_length=100)]
SEVERITIES: list[Severity | None] = [Severity.P0, Severity.P1, Severity.P2, None]


def _params(
    period: str | None,
    back: int,
    start: str | None,
    end: str | None,
    severity: list[str] | None,
    type_code: list[str] | None,
    product: str | None,
    channel: list[str] | None,
    owner: str | None,
) -> MetricsParams:
    return MetricsParams(
        start=start or None,
        end=end or None,
        period=period or ("week" if not (start or end) else None),
        back=back,
        severity=severity or [],  # a form's empty "all" choice is dropped by metrics_query's _clean
        type_code=type_code or [],
        product=[product] if product else [],
        channel=channel or [],
        owner=owner or None,
    )


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.1f}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def view(result: MetricsResult, lang: str) -> dict[str, Any]:
    """The tables (rows of words and numbers) and the charts' data, from the same figures."""
    open_rows: list[dict[str, Any]] = []
    for stage in Stage:
        counts = [
            sum(n for (status, sev), n in result.open_now.items() if OWNER_STAGE.get(status) is stage and sev == s)
            for s in SEVERITIES
        ]
        if any(counts):
            open_rows.append({"stage": label(stage, lang), "counts": counts, "total": sum(counts)})
    compliance = [
        {
            "kind": label(r.kind, lang),
            "severity": "—" if r.severity is None else label(r.severity, lang),
            "met": r.met,
            "breached": r.breached,
            "pending": r.pending,
            "rate": _share(compliance_rate(r)),
        }
        for r in result.compliance
    ]
    by_kind: dict[str, list[int]] = {}
    for r in result.compliance:
        tally = by_kind.setdefault(label(r.kind, lang), [0, 0])
        tally[0] += r.met
        tally[1] += r.breached
    trend = [
        {
            "from": p.start,
            "resolved": p.resolve.count,
            "median": _hours(p.resolve.median_s),
            "p90": _hours(p.resolve.p90_s),
            "mean": _hours(p.resolve.mean_s),
            "faults_in": p.faults_in,
            "reports_in": p.reports_in,
        }
        for p in result.trend
    ]
    words = {"met": "达成" if lang == "zh" else "met", "breached": "超时" if lang == "zh" else "breached"}
    charts = {
        "open": {
            "categories": [r["stage"] for r in open_rows],
            "series": [
                {"name": label(s, lang), "data": [r["counts"][i] for r in open_rows]} for i, s in enumerate(SEVERITIES)
            ],
        },
        "compliance": {
            "categories": list(by_kind),
            "series": [
                {"name": words["met"], "data": [v[0] for v in by_kind.values()]},
                {"name": words["breached"], "data": [v[1] for v in by_kind.values()]},
            ],
        },
        "mttr": {
            "categories": [p.start.astimezone(_zone(result.zone)).strftime("%m-%d") for p in result.trend],
            "series": [
                {
                    "name": "中位数" if lang == "zh" else "median",
                    "data": [
                        None if p.resolve.median_s is None else round(p.resolve.median_s / 3600, 1)
                        for p in result.trend
                    ],
                },
                {
                    "name": "P90",
                    "data": [
                        None if p.resolve.p90_s is None else round(p.resolve.p90_s / 3600, 1) for p in result.trend
                    ],
                },
            ],
        },
        "top": {
            "categories": [f.number for f in reversed(result.top_faults)],
            "series": [
                {
                    "name": "影响用户数" if lang == "zh" else "affected users",
                    "data": [f.affected_users for f in reversed(result.top_faults)],
                }
            ],
        },
    }
    durations = {
        kind.value: {"median": _hours(s.median_s), "p90": _hours(s.p90_s), "mean": _hours(s.mean_s), "count": s.count}
        for kind, s in result.durations.items()
    }
    return {
        "open_rows": open_rows,
        "compliance_rows": compliance,
        "trend_rows": trend,
        "charts": charts,
        "durations": durations,
        "rates": {
            "compliance": _share(result.compliance_rate),
            "reopen": _share(result.reopen_rate),
            "recurrence": _share(result.recurrence_rate),
        },
    }


def view_params(
    period: Word = None,
    back: Annotated[int, Query(ge=0, le=1200)] = 0,
    start: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    end: Annotated[str | None, Query(alias="to", max_length=40)] = None,
    severity: Words = None,
    type_code: Annotated[list[str] | None, Query(alias="type", max_length=100)] = None,
    product: Word = None,
    channel: Words = None,
    owner: Word = None,
) -> MetricsParams:
    """The view's period and filters from the query string: the page's and its download's."""
    return _params(period, back, start, end, severity, type_code, product, channel, owner)


ParamsDep = Annotated[MetricsParams, Depends(view_params)]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, desk: DeskDep, actor: StaffDep, params: ParamsDep) -> Response:
    lang = language_of(request, actor)
    context: dict[str, Any] = {
        "nav": "dashboard",
        "params": params,
        "fault_types": catalogue.list_fault_types(desk),
        "products": catalogue.list_products(desk, actor=actor),
        "people": [u for u in staff.directory(desk, actor=actor) if u.active],
        "channels": list(Channel),
        "severities": [Severity.P0, Severity.P1, Severity.P2],
        "problems": {},
        "result": None,
        "query_string": request.url.query,
    }
    try:
        query = metrics_query(params, desk.timezone, desk.clock.now())
        result = metrics.compute(desk, query, actor=actor)
    except RuleViolation as exc:
        context["problems"] = reasons(exc, lang)
        return render(request, "dashboard.html", context, desk=desk, actor=actor, status_code=422)
    context.update(result=result, figures=metrics_json(result), view=view(result, lang), kinds=DurationKind)
    return render(request, "dashboard.html", context, desk=desk, actor=actor)


@router.get("/dashboard/report")
def dashboard_report(
    request: Request,
    desk: DeskDep,
    actor: StaffDep,
    params: ParamsDep,
    format: Annotated[str, Query(max_length=10)] = "xlsx",
) -> Response:
    """The review report of the dashboard's view, as a download."""
    lang = language_of(request, actor)
    if format not in FORMATS:
        raise RuleViolation.one("format", f"must be one of {', '.join(FORMATS)}", f"须为以下之一：{'、'.join(FORMATS)}")
    query = metrics_query(params, desk.timezone, desk.clock.now())
    review = metrics.review(desk, query, actor=actor)
    try:
        data = render_review(review, format, lang)
    except NoCjkFont as exc:
        return Response(str(exc), status_code=503, media_type="text/plain; charset=utf-8")
    first = review.metrics.query.period.start.astimezone(_zone(desk.timezone)).date().isoformat()
    return Response(
        data,
        media_type=CONTENT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="faultdesk-review-{first}.{format}"'},
    )


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)

"""The metrics' input and output, the same for the API, the dashboard, the CLI and the review
report: one reading of the period and filters (bad input is a RuleViolation naming the field,
in Chinese and English) and one JSON shape of the figures, times in the organisation's zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from faultdesk.domain.errors import FieldProblem, RuleViolation
from faultdesk.domain.faults import Severity
from faultdesk.domain.periods import BUCKET_OF, Bucket, NamedPeriod, Period, named_period, parse_period
from faultdesk.domain.reports import Channel
from faultdesk.services.metric_records import DurationStats
from faultdesk.services.metrics import MetricsQuery, MetricsResult, ReviewResult, compliance_rate

TEXT_MAX = 100  # a filter value longer than any code, name or date is bad input


@dataclass(frozen=True)
class MetricsParams:
    """The request's words, unparsed (query string, form, or CLI options)."""

    start: str | None = None
    end: str | None = None
    period: str | None = None  # week / month / quarter / year: the one holding now
    back: int = 0  # with period: that many periods before (1: last week)
    bucket: str | None = None  # day / week / month; default: by the period's length
    severity: list[str] = field(default_factory=list)
    type_code: list[str] = field(default_factory=list)
    product: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    owner: str | None = None


def _choice(name: str, value: str, allowed: list[str]) -> FieldProblem:
    shown = ", ".join(allowed)
    return FieldProblem(name, f"must be one of {shown}", f"须为以下之一：{shown}")


def _clean(name: str, values: list[str], problems: list[FieldProblem]) -> list[str]:
    out = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        if len(text) > TEXT_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            problems.append(
                FieldProblem(
                    name,
                    f"at most {TEXT_MAX} characters, no control characters",
                    f"最多 {TEXT_MAX} 个字符，不得含控制字符",
                )
            )
            continue
        out.append(text)
    return out


def metrics_query(params: MetricsParams, zone: str, now: datetime) -> MetricsQuery:
    problems: list[FieldProblem] = []
    period: Period | None = None
    named: NamedPeriod | None = None
    if params.start or params.end:
        if not (params.start and params.end):
            missing = "to" if params.start else "from"
            problems.append(FieldProblem(missing, "give both from and to", "须同时给出开始（from）与结束（to）"))
        else:
            try:
                period = parse_period(params.start, params.end, zone)
            except RuleViolation as exc:
                problems.extend(exc.problems)
    else:
        name = (params.period or NamedPeriod.MONTH.value).strip()
        if name not in NamedPeriod.__members__.values():
            problems.append(_choice("period", name, [p.value for p in NamedPeriod]))
        elif not 0 <= params.back <= 1200:
            problems.append(FieldProblem("back", "must be between 0 and 1200", "须在 0 与 1200 之间"))
        else:
            named = NamedPeriod(name)
            period = named_period(named, now, zone, back=params.back)
    bucket = Bucket.DAY
    if params.bucket:
        if params.bucket not in Bucket.__members__.values():
            problems.append(_choice("bucket", params.bucket, [b.value for b in Bucket]))
        else:
            bucket = Bucket(params.bucket)
    elif named is not None:
        bucket = BUCKET_OF[named]
    elif period is not None:
        days = (period.end - period.start).days
        bucket = Bucket.DAY if days <= 62 else Bucket.WEEK if days <= 200 else Bucket.MONTH
    severity = []
    for text in _clean("severity", params.severity, problems):
        if text in Severity.__members__:
            severity.append(Severity[text])
        else:
            problems.append(_choice("severity", text, [s.name for s in Severity]))
    channel = []
    for text in _clean("channel", params.channel, problems):
        if text in Channel.__members__.values():
            channel.append(Channel(text))
        else:
            problems.append(_choice("channel", text, [c.value for c in Channel]))
    type_code = _clean("type", params.type_code, problems)
    product = _clean("product", params.product, problems)
    owner = _clean("owner", [params.owner], problems) if params.owner else []
    if problems:
        raise RuleViolation(problems)
    assert period is not None
    query = MetricsQuery(
        period=period,
        bucket=bucket,
        severity=severity,
        type_code=type_code,
        product=product,
        channel=channel,
        owner=owner[0] if owner else None,
    )
    return query


def _at(value: datetime | None, zone: str) -> str | None:
    return None if value is None else value.astimezone(ZoneInfo(zone)).isoformat()


def _sev(value: Severity | None) -> str | None:
    return None if value is None else value.name


def _stats(s: DurationStats) -> dict[str, Any]:
    return {"count": s.count, "mean_s": s.mean_s, "median_s": s.median_s, "p90_s": s.p90_s}


def metrics_json(result: MetricsResult) -> dict[str, Any]:
    """The figures as the API and ``faultdesk report metrics --json`` give them."""
    z, q = result.zone, result.query
    v = result.volume
    met = sum(r.met for r in result.compliance)
    breached = sum(r.breached for r in result.compliance)
    return {
        "period": {"from": _at(q.period.start, z), "to": _at(q.period.end, z), "zone": z, "bucket": q.bucket.value},
        "filters": {
            "severity": [s.name for s in q.severity],
            "type": q.type_code,
            "product": q.product,
            "channel": [c.value for c in q.channel],
            "owner": q.owner,
        },
        "computed_at": _at(result.now, z),
        "reports_in": v.reports_in,
        "faults_in": v.faults_in,
        "reopened": v.reopened,
        "reopen_rate": result.reopen_rate,
        "recurrences": v.recurrences,
        "recurrence_rate": result.recurrence_rate,
        "volume": [
            {"severity": _sev(sev), "type": code, "faults": n}
            for (sev, code), n in sorted(v.by_severity_type.items(), key=lambda kv: (_order(kv[0][0]), kv[0][1]))
        ],
        "durations": {kind.value: _stats(s) for kind, s in result.durations.items()},
        "compliance": {
            "met": met,
            "breached": breached,
            "pending": sum(r.pending for r in result.compliance),
            "rate": result.compliance_rate,
            "rows": [
                {
                    "kind": r.kind.value,
                    "severity": _sev(r.severity),
                    "met": r.met,
                    "breached": r.breached,
                    "pending": r.pending,
                    "rate": compliance_rate(r),
                }
                for r in result.compliance
            ],
        },
        "breaches": [
            {
                "kind": b.kind.value,
                "severity": _sev(b.severity),
                "due_at": _at(b.due_at, z),
                "breached_at": _at(b.breached_at, z),
                "met_at": _at(b.met_at, z),
                "fault": b.fault_number,
                "title": b.fault_title,
                "report_id": b.report_id,
            }
            for b in result.breaches
        ],
        "top_faults": [
            {
                "number": f.number,
                "title": f.title,
                "severity": _sev(f.severity),
                "status": f.status.value,
                "affected_users": f.affected_users,
            }
            for f in result.top_faults
        ],
        "improvements": vars(result.improvements),
        "trend": [
            {
                "from": _at(p.start, z),
                "to": _at(p.end, z),
                "reports_in": p.reports_in,
                "faults_in": p.faults_in,
                "mttr": _stats(p.resolve),
            }
            for p in result.trend
        ],
        "open_now": [
            {"status": status.value, "severity": _sev(sev), "faults": n}
            for (status, sev), n in sorted(result.open_now.items(), key=lambda kv: (kv[0][0].value, _order(kv[0][1])))
        ],
    }


def _order(sev: Severity | None) -> int:
    return 9 if sev is None else int(sev)


def review_json(review: ReviewResult) -> dict[str, Any]:
    out = metrics_json(review.metrics)
    z = review.metrics.zone
    out["top_recurring"] = [
        {"number": f.number, "title": f.title, "severity": _sev(f.severity), "repeats": f.count}
        for f in review.top_recurring
    ]
    out["open_improvements"] = [
        {"fault": i.fault_number, "title": i.title, "owner": i.owner, "due": i.due.isoformat()}
        for i in review.open_improvements
    ]
    out["retrospectives"] = [
        {
            "fault": r.fault_number,
            "title": r.fault_title,
            "at": _at(r.recorded_at, z),
            "analysis": r.data.get("analysis"),
        }
        for r in review.retrospectives
    ]
    return out

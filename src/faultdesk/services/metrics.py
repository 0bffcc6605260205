"""The figures a manager and a retrospective need (issue 13 items 1, 2, 4), for a period
``[from, to)`` and the list filters, computed by the store's SQL aggregates in one transaction.

Definitions (the same on both stores; the README repeats them):

- **reports in**: reports received in the period (the channel filter applies to the report; the
  other filters to the fault it belongs to, so with them an unregistered report does not count);
  **faults in**: faults registered in the period.
- **time to register / grade / first reply (MTTA)**: a register, grade or first-reply clock
  started in the period, from its start to when it was met (register: the report's arrival to
  its registration; grade and first reply: the fault's registration to its grading and to the
  first reply to its reporters). Clocks not met yet are left out.
- **time to resolve (MTTR)**: a fault resolved in the period (its last resolution, the moment
  its archive clock started) and resolved or archived now, from its registration.
- Each as **mean, median and 90th percentile** (continuous percentiles, domain/periods.py).
- **compliance** per clock kind × severity, over the clocks started in the period: *met* when
  met at or before their due time, *breached* when breached, met late, or still running past due
  at ``now``; the rest are *pending*. The rate is met ÷ (met + breached).
- **breaches**: those breached clocks with their faults, earliest due first.
- **reopen rate**: faults of the period reopened at least once ÷ faults in; **recurrence rate**:
  faults of the period marked 复发 ÷ faults in.
- **top faults**: faults of the period by affected users; **top recurring**: earlier faults by
  how many faults of the period repeat them.
- **improvement actions** due in the period: done, overdue (open past the due day, today in the
  organisation's zone), open, dropped.
- **trend**: reports in, faults in and MTTR per day, week (Monday) or month, each starting at
  local midnight in the organisation's zone.
- **open now**: faults still open by state and severity (a snapshot, not the period).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from faultdesk.domain.errors import FieldProblem, RuleViolation
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.periods import Bucket, Period, bucket_edges, local_day
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.metric_records import (
    BreachRow,
    ComplianceRow,
    DurationKind,
    DurationStats,
    ImprovementTally,
    MetricScope,
    OpenImprovement,
    RetrospectiveRow,
    TopFault,
    Volume,
)
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, FaultFilter

TOP = 10
BREACHES_SHOWN = 100
REVIEW_ROWS = 200


@dataclass(frozen=True)
class MetricsQuery:
    period: Period
    bucket: Bucket = Bucket.DAY
    severity: list[Severity] = field(default_factory=list)
    type_code: list[str] = field(default_factory=list)
    product: list[str] = field(default_factory=list)  # product codes
    channel: list[Channel] = field(default_factory=list)
    owner: str | None = None  # a username: owns a stage of the fault or is on its P0 team


@dataclass(frozen=True)
class TrendPoint:
    start: datetime
    end: datetime
    reports_in: int
    faults_in: int
    resolve: DurationStats


@dataclass(frozen=True)
class MetricsResult:
    query: MetricsQuery
    zone: str
    now: datetime
    volume: Volume
    durations: dict[DurationKind, DurationStats]
    compliance: list[ComplianceRow]
    breaches: list[BreachRow]
    top_faults: list[TopFault]
    improvements: ImprovementTally
    trend: list[TrendPoint]
    open_now: dict[tuple[FaultStatus, Severity | None], int]

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self.volume.reopened, self.volume.faults_in)

    @property
    def recurrence_rate(self) -> float | None:
        return ratio(self.volume.recurrences, self.volume.faults_in)

    @property
    def compliance_rate(self) -> float | None:
        met = sum(r.met for r in self.compliance)
        return ratio(met, met + sum(r.breached for r in self.compliance))


@dataclass(frozen=True)
class ReviewResult:
    """The review report's figures: the metrics and what a retrospective meeting reads."""

    metrics: MetricsResult
    top_recurring: list[TopFault]
    open_improvements: list[OpenImprovement]
    retrospectives: list[RetrospectiveRow]
    type_names: dict[str, tuple[str, str]]  # fault type code -> (zh, en)


def ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def compliance_rate(row: ComplianceRow) -> float | None:
    return ratio(row.met, row.met + row.breached)


def _scope(desk: Desk, uow: UnitOfWork, query: MetricsQuery, now: datetime) -> MetricScope:
    """The filter checked against what exists: an unknown type, product or person is bad input,
    not an empty answer."""
    problems: list[FieldProblem] = []
    known_types = {ft.code for ft in uow.catalogue.fault_types()}
    unknown = [code for code in query.type_code if code not in known_types]
    if unknown:
        problems.append(
            FieldProblem("type", f"no such fault type: {', '.join(unknown)}", f"没有这个故障类型：{'、'.join(unknown)}")
        )
    missing = [code for code in query.product if uow.catalogue.product_id(code) is None]
    if missing:
        problems.append(
            FieldProblem("product", f"no such product: {', '.join(missing)}", f"没有这个产品：{'、'.join(missing)}")
        )
    owner_id = None
    if query.owner is not None:
        user = uow.users.by_username(query.owner)
        if user is None:
            problems.append(FieldProblem("owner", "no such person", "没有这个人"))
        else:
            owner_id = user.id
    if problems:
        raise RuleViolation(problems)
    flt = FaultFilter(
        severity=list(query.severity),
        type_code=list(query.type_code),
        product=list(query.product),
        channel=list(query.channel),
        owner_id=owner_id,
    )
    return MetricScope(start=query.period.start, end=query.period.end, now=now, fault_filter=flt)


def _metrics(desk: Desk, uow: UnitOfWork, query: MetricsQuery, now: datetime) -> tuple[MetricScope, MetricsResult]:
    scope = _scope(desk, uow, query, now)
    whole = [scope.start, scope.end]
    edges = bucket_edges(query.period, query.bucket, desk.timezone)
    m = uow.metrics
    durations = {kind: stats[0] for kind, stats in m.durations(scope, list(DurationKind), whole).items()}
    volume, arrivals = m.volume(scope, edges)
    resolve = m.durations(scope, [DurationKind.RESOLVE], edges)[DurationKind.RESOLVE]
    trend = [
        TrendPoint(lo, hi, reports, faults, stats)
        for (lo, hi), (reports, faults), stats in zip(itertools.pairwise(edges), arrivals, resolve, strict=True)
    ]
    today = local_day(now, desk.timezone)
    due_from = local_day(scope.start, desk.timezone)
    due_to = local_day(scope.end - timedelta(microseconds=1), desk.timezone) + timedelta(days=1)
    result = MetricsResult(
        query=query,
        zone=desk.timezone,
        now=now,
        volume=volume,
        durations=durations,
        compliance=m.compliance(scope),
        breaches=m.breaches(scope, BREACHES_SHOWN),
        top_faults=m.top_faults(scope, TOP),
        improvements=m.improvements(scope, due_from, due_to, today),
        trend=trend,
        open_now=m.open_now(scope),
    )
    return scope, result


def compute(desk: Desk, query: MetricsQuery, *, actor: Actor) -> MetricsResult:
    """Every figure of the period, read in one transaction."""
    require(actor, Permission.VIEW)
    now = desk.clock.now()
    with desk.uow() as uow:
        return _metrics(desk, uow, query, now)[1]


def review(desk: Desk, query: MetricsQuery, *, actor: Actor) -> ReviewResult:
    """The review report's figures: the metrics, the top recurring faults, the open improvement
    actions (all of them, oldest due first) and the period's retrospectives."""
    require(actor, Permission.VIEW)
    now = desk.clock.now()
    with desk.uow() as uow:
        scope, result = _metrics(desk, uow, query, now)
        today = local_day(now, desk.timezone)
        return ReviewResult(
            metrics=result,
            top_recurring=uow.metrics.top_recurring(scope, TOP),
            open_improvements=uow.metrics.open_improvements(scope, today, REVIEW_ROWS),
            retrospectives=uow.metrics.retrospectives(scope, REVIEW_ROWS),
            type_names={ft.code: (ft.label_zh, ft.label_en) for ft in uow.catalogue.fault_types()},
        )

"""The metrics (issue 13) as SQL aggregates on both stores: counts, means and percentiles are
computed by the database, only the figures come back.

Percentiles follow one definition on both (domain/periods.py): PostgreSQL's ``percentile_cont``;
SQLite has no ordered-set aggregates, so there each value's rank (``row_number() - 1``) and its
group's count come from window functions and the two values around ``p·(n−1)`` are weighted as
``percentile_cont`` weighs them. Durations are in seconds: ``EXTRACT(EPOCH …)`` on PostgreSQL,
the Julian-day difference on SQLite (which stores naive UTC text).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    DateTime,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    column,
    func,
    literal,
    not_,
    or_,
    select,
    type_coerce,
    values,
)
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.sql.elements import ColumnElement

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.fault_store import fault_conditions
from faultdesk.adapters.db.types import UtcDateTime
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import OPEN_STATES, Action, ActionStatus, Recurrence
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.metric_records import (
    NO_DURATIONS,
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
from faultdesk.services.records import FaultFilter

_f, _r, _c, _ia, _u, _sr = t.faults, t.reports, t.clocks, t.improvement_actions, t.users, t.stage_records
_related = _f.alias("repeated")
_RESOLVED = (FaultStatus.RESOLVED.value, FaultStatus.ARCHIVED.value)
_KINDS = tuple(k.value for k in ClockKind)

# A clock's fault: its own, or (a report's register clock) its report's.
# (An alias: the channel filter's EXISTS over reports must not correlate with this join.)
_clock_report = _r.alias("clock_report")
_clock_fault = func.coalesce(_c.c.fault_id, _clock_report.c.fault_id)
_clocks_with_faults = _c.outerjoin(_clock_report, _clock_report.c.id == _c.c.report_id).outerjoin(
    _f, _f.c.id == _clock_fault
)

_met = and_(_c.c.met_at.is_not(None), _c.c.met_at <= _c.c.due_at, _c.c.breached_at.is_(None))


def _breached(now: datetime) -> ColumnElement[bool]:
    """Not met in time: breached (and perhaps met late since), or still running past its due time."""
    late_running = and_(_c.c.state == ClockState.RUNNING.value, _c.c.due_at <= now)
    return and_(not_(_met), or_(_c.c.breached_at.is_not(None), _c.c.met_at.is_not(None), late_running))


def _ms(seconds: Any) -> float:
    """Seconds to the millisecond: SQLite's Julian-day arithmetic is exact to about 10 µs only."""
    return round(float(seconds), 3)


def _has_fault_filter(scope: MetricScope) -> bool:
    flt = scope.fault_filter
    return bool(flt.severity or flt.ungraded or flt.type_code or flt.product or flt.owner_id is not None)


class SqlMetrics:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"

    # ---- pieces ----------------------------------------------------------------------------

    def _seconds(self, later: Any, earlier: Any) -> ColumnElement[float]:
        if self.postgres:  # date_part is double precision already (EXTRACT is numeric: a conversion a row)
            return type_coerce(func.date_part("epoch", later - earlier), Float)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0

    def _faults_where(self, scope: MetricScope) -> ColumnElement[bool]:
        return fault_conditions(scope.fault_filter)

    @staticmethod
    def _clock_source(scope: MetricScope) -> Any:
        """The clocks joined to their faults when a filter reads the fault; the clocks alone when
        none does (the figures then read only the index on (kind, started_at, met_at) or the clocks)."""
        no_filter = replace(scope.fault_filter, sort=FaultFilter().sort, page=1, page_size=FaultFilter().page_size)
        return _c if no_filter == FaultFilter() else _clocks_with_faults

    def _clock_where(self, scope: MetricScope, kinds: Sequence[str] = _KINDS) -> ColumnElement[bool]:
        """Clocks of ``kinds`` (all of them unless told: named so that the index on (kind,
        started_at) serves the period's range) started in the period whose fault the filter keeps
        (with no filter on the fault itself, a report's register clock counts before its report is
        registered)."""
        conds = [
            _c.c.kind.in_(kinds),
            _c.c.started_at >= scope.start,
            _c.c.started_at < scope.end,
            self._faults_where(scope),
        ]
        if _has_fault_filter(scope) or scope.fault_filter.channel:
            conds.append(_f.c.id.is_not(None))
        return and_(*conds)

    @staticmethod
    def _buckets(edges: list[datetime]) -> Any:
        rows = [(i, lo, hi) for i, (lo, hi) in enumerate(itertools.pairwise(edges))]
        table = values(column("i", Integer), column("lo", UtcDateTime), column("hi", UtcDateTime), name="buckets")
        return table.data(rows).cte("buckets")  # WITH buckets(i, lo, hi) AS (VALUES …): both stores read it

    def _bucketed(self, timed: Select[Any], edges: list[datetime]) -> Any:
        """``timed``'s rows with the index ``g`` of the bucket their ``at`` falls in (rows outside
        the edges are dropped). One bucket is 0 for every row; for more, PostgreSQL looks the
        bucket up with ``width_bucket`` in the sorted lower edges (one binary search a row) and
        SQLite joins the buckets (one index range each)."""
        d = timed.subquery("d")
        others = [c for c in d.c if c.key != "at"]
        in_edges = and_(d.c.at >= edges[0], d.c.at < edges[-1])
        if len(edges) == 2:
            return select(literal(0, Integer).label("g"), *others).where(in_edges).subquery("g")
        if self.postgres:
            lows = bindparam("lows", edges[:-1], type_=ARRAY(DateTime(timezone=True)))
            g = (func.width_bucket(d.c.at, lows) - 1).label("g")
            return select(g, *others).where(in_edges).subquery("g")
        b = self._buckets(edges)
        joined = d.join(b, and_(d.c.at >= b.c.lo, d.c.at < b.c.hi))
        return select(b.c.i.label("g"), *others).select_from(joined).subquery("g")

    def _stats(self, timed: Select[Any], keys: list[str], edges: list[datetime]) -> dict[str, list[DurationStats]]:
        """Count, mean, median and 90th percentile of ``timed``'s (k, at, v) rows per ``k`` (one
        of ``keys``) and bucket of ``at``, in one pass over the rows (for the clocks, in the order
        of the index on (kind, started_at, met_at), which holds all they read)."""
        grouped = self._bucketed(timed, edges)
        found: dict[tuple[str, int], DurationStats] = {}
        if self.postgres:  # both percentiles from one ordering of each group's values
            stmt = select(
                grouped.c.k,
                grouped.c.g,
                func.count(),
                func.avg(grouped.c.v),
                func.percentile_cont(pg_array([literal(0.5, Float), literal(0.9, Float)])).within_group(grouped.c.v),
            ).group_by(grouped.c.k, grouped.c.g)
            for k, g, n, mean, (med, p90) in self.conn.execute(stmt):
                found[(k, int(g))] = DurationStats(int(n), _ms(mean), _ms(med), _ms(p90))
        else:
            part = (grouped.c.k, grouped.c.g)
            ranked = select(
                grouped.c.k,
                grouped.c.g,
                grouped.c.v,
                (func.row_number().over(partition_by=part, order_by=grouped.c.v) - 1).label("r"),
                func.count().over(partition_by=part).label("n"),
            ).subquery("r")

            def cont(p: float) -> ColumnElement[float]:
                position = literal(p, Float) * (ranked.c.n - 1)
                low = cast(position, Integer)  # truncation: the floor of a non-negative position
                share = position - low
                weight = case(
                    (ranked.c.r == low, 1.0 - share),
                    (ranked.c.r == low + 1, share),
                    else_=0.0,
                )
                return func.sum(ranked.c.v * weight)

            stmt = select(ranked.c.k, ranked.c.g, func.count(), func.avg(ranked.c.v), cont(0.5), cont(0.9)).group_by(
                ranked.c.k, ranked.c.g
            )
            for k, g, n, mean, med, p90 in self.conn.execute(stmt):
                found[(k, int(g))] = DurationStats(int(n), _ms(mean), _ms(med), _ms(p90))
        return {k: [found.get((k, i), NO_DURATIONS) for i in range(len(edges) - 1)] for k in keys}

    # ---- the port ----------------------------------------------------------------------------

    def volume(self, scope: MetricScope, edges: list[datetime]) -> tuple[Volume, list[tuple[int, int]]]:
        """One pass over the period's faults (by bucket, severity and type) and one over its
        reports (by bucket): the volume is their sums."""
        timed = select(
            _f.c.registered_at.label("at"),
            _f.c.severity.label("severity"),
            _f.c.type_code.label("type_code"),
            case((_f.c.reopen_count > 0, 1), else_=0).label("reopened"),
            case((_f.c.recurrence == Recurrence.RECURRENCE.value, 1), else_=0).label("recurrence"),
        ).where(self._faults_where(scope))
        d = self._bucketed(timed, edges)
        rows = self.conn.execute(
            select(
                d.c.g, d.c.severity, d.c.type_code, func.count(), func.sum(d.c.reopened), func.sum(d.c.recurrence)
            ).group_by(d.c.g, d.c.severity, d.c.type_code)
        ).all()
        by: dict[tuple[Severity | None, str], int] = {}
        faults = [0] * (len(edges) - 1)
        for g, sev, code, n, _, _ in rows:
            by[(sev, code)] = by.get((sev, code), 0) + int(n)
            faults[int(g)] += int(n)
        reports = self._reports_in(scope, edges)
        volume = Volume(
            reports_in=sum(reports),
            faults_in=sum(faults),
            reopened=sum(int(r[4] or 0) for r in rows),
            recurrences=sum(int(r[5] or 0) for r in rows),
            by_severity_type=by,
        )
        return volume, list(zip(reports, faults, strict=True))

    def _reports_in(self, scope: MetricScope, edges: list[datetime]) -> list[int]:
        source: Any = _r
        conds: list[ColumnElement[bool]] = []
        flt = scope.fault_filter
        if flt.channel:
            conds.append(_r.c.channel.in_([c.value for c in flt.channel]))
        if _has_fault_filter(scope):  # a report counts with the fault it belongs to
            source = _r.join(_f, _f.c.id == _r.c.fault_id)
            conds.append(fault_conditions(replace(flt, channel=[])))  # the report's own channel above
        d = self._bucketed(
            select(_r.c.received_at.label("at"), _r.c.id.label("id")).select_from(source).where(and_(True, *conds)),
            edges,
        )
        found = {int(g): int(n) for g, n in self.conn.execute(select(d.c.g, func.count()).group_by(d.c.g))}
        return [found.get(i, 0) for i in range(len(edges) - 1)]

    def durations(
        self, scope: MetricScope, kinds: list[DurationKind], edges: list[datetime]
    ) -> dict[DurationKind, list[DurationStats]]:
        found: dict[str, list[DurationStats]] = {}
        if DurationKind.RESOLVE in kinds:
            # A fault's resolution is when its archive clock started (the Resolved reaction starts
            # it); after a reopen, the last one counts, as the archive record's durations do.
            # Only the archive clocks started since the period's start (the index's range): a
            # fault's last one is in the period exactly when its last since then is before the end.
            last = func.max(_c.c.started_at)
            resolved = (
                select(_c.c.fault_id, last.label("at"))
                .where(_c.c.kind == ClockKind.ARCHIVE.value, _c.c.started_at >= scope.start)
                .group_by(_c.c.fault_id)
                .having(last < scope.end)
                .subquery("resolved")
            )
            timed = (
                select(
                    literal(DurationKind.RESOLVE.value).label("k"),
                    resolved.c.at.label("at"),
                    self._seconds(resolved.c.at, _f.c.registered_at).label("v"),
                )
                .select_from(_f.join(resolved, resolved.c.fault_id == _f.c.id))
                .where(_f.c.status.in_(_RESOLVED), self._faults_where(scope))
            )
            found |= self._stats(timed, [DurationKind.RESOLVE.value], edges)
        clock_kinds = [ClockKind(k.value).value for k in kinds if k is not DurationKind.RESOLVE]
        if clock_kinds:  # the clock kinds in one pass over the period's clocks
            timed = (
                select(
                    _c.c.kind.label("k"),
                    _c.c.started_at.label("at"),
                    self._seconds(_c.c.met_at, _c.c.started_at).label("v"),
                )
                .select_from(self._clock_source(scope))
                .where(_c.c.met_at.is_not(None), self._clock_where(scope, clock_kinds))
            )
            found |= self._stats(timed, clock_kinds, edges)
        return {k: found.get(k.value, [NO_DURATIONS] * (len(edges) - 1)) for k in kinds}

    def compliance(self, scope: MetricScope) -> list[ComplianceRow]:
        met = func.sum(case((_met, 1), else_=0))
        breached = func.sum(case((_breached(scope.now), 1), else_=0))
        rows = self.conn.execute(
            select(_c.c.kind, _c.c.severity, met, breached, func.count())
            .select_from(self._clock_source(scope))
            .where(self._clock_where(scope))
            .group_by(_c.c.kind, _c.c.severity)
        )
        out = [
            ComplianceRow(
                ClockKind(kind),
                None if sev is None else Severity(sev),
                int(m or 0),
                int(b or 0),
                int(n) - int(m or 0) - int(b or 0),
            )
            for kind, sev, m, b, n in rows
        ]
        order = list(ClockKind)
        return sorted(out, key=lambda r: (order.index(r.kind), -1 if r.severity is None else int(r.severity)))

    def breaches(self, scope: MetricScope, limit: int) -> list[BreachRow]:
        # The first ``limit`` clocks first, then their faults: a LIMIT right above the clocks lets
        # each parallel worker keep only its top rows instead of sorting all the period's breaches.
        first = (
            select(
                _c.c.id,
                _c.c.kind,
                _c.c.severity,
                _c.c.due_at,
                _c.c.breached_at,
                _c.c.met_at,
                _c.c.fault_id,
                _c.c.report_id,
            )
            .select_from(self._clock_source(scope))
            .where(self._clock_where(scope), _breached(scope.now))
            .order_by(_c.c.due_at, _c.c.id)
            .limit(limit)
            .subquery("first")
        )
        of_report = _r.alias("breach_report")
        fault = _f.alias("breach_fault")
        rows = self.conn.execute(
            select(
                first.c.id,
                first.c.kind,
                first.c.severity,
                first.c.due_at,
                first.c.breached_at,
                first.c.met_at,
                fault.c.number,
                fault.c.title,
                first.c.report_id,
            )
            .select_from(
                first.outerjoin(of_report, of_report.c.id == first.c.report_id).outerjoin(
                    fault, fault.c.id == func.coalesce(first.c.fault_id, of_report.c.fault_id)
                )
            )
            .order_by(first.c.due_at, first.c.id)
        )
        return [
            BreachRow(
                int(cid),
                ClockKind(kind),
                None if sev is None else Severity(sev),
                due,
                breached_at,
                met_at,
                number,
                title,
                report_id,
            )
            for cid, kind, sev, due, breached_at, met_at, number, title, report_id in rows
        ]

    def top_faults(self, scope: MetricScope, limit: int) -> list[TopFault]:
        rows = self.conn.execute(
            select(_f.c.number, _f.c.title, _f.c.severity, _f.c.status, _f.c.affected_users)
            .where(_f.c.registered_at >= scope.start, _f.c.registered_at < scope.end, self._faults_where(scope))
            .order_by(_f.c.affected_users.desc(), _f.c.id)
            .limit(limit)
        )
        return [TopFault(n, title, sev, status, int(users)) for n, title, sev, status, users in rows]

    def top_recurring(self, scope: MetricScope, limit: int) -> list[TopFault]:
        repeats = func.count().label("repeats")
        rows = self.conn.execute(
            select(
                _related.c.number,
                _related.c.title,
                _related.c.severity,
                _related.c.status,
                _related.c.affected_users,
                repeats,
            )
            .select_from(_f.join(_related, _related.c.id == _f.c.related_fault_id))
            .where(
                _f.c.recurrence == Recurrence.RECURRENCE.value,
                _f.c.registered_at >= scope.start,
                _f.c.registered_at < scope.end,
                self._faults_where(scope),
            )
            .group_by(
                _related.c.id,
                _related.c.number,
                _related.c.title,
                _related.c.severity,
                _related.c.status,
                _related.c.affected_users,
            )
            .order_by(repeats.desc(), _related.c.id)
            .limit(limit)
        )
        return [TopFault(n, title, sev, status, int(users), int(k)) for n, title, sev, status, users, k in rows]

    def improvements(self, scope: MetricScope, due_from: date, due_to: date, today: date) -> ImprovementTally:
        is_open = _ia.c.status == ActionStatus.OPEN.value
        rows = self.conn.execute(
            select(
                func.sum(case((_ia.c.status == ActionStatus.DONE.value, 1), else_=0)),
                func.sum(case((and_(is_open, _ia.c.due < today), 1), else_=0)),
                func.sum(case((and_(is_open, _ia.c.due >= today), 1), else_=0)),
                func.sum(case((_ia.c.status == ActionStatus.DROPPED.value, 1), else_=0)),
            )
            .select_from(_ia.join(_f, _f.c.id == _ia.c.fault_id))
            .where(_ia.c.due >= due_from, _ia.c.due < due_to, self._faults_where(scope))
        ).one()
        done, overdue, waiting, dropped = (int(v or 0) for v in rows)
        return ImprovementTally(done, overdue, waiting, dropped)

    def open_improvements(self, scope: MetricScope, today: date, limit: int) -> list[OpenImprovement]:
        rows = self.conn.execute(
            select(_f.c.number, _ia.c.title, _u.c.display_name, _ia.c.due, _ia.c.status)
            .select_from(_ia.join(_f, _f.c.id == _ia.c.fault_id).join(_u, _u.c.id == _ia.c.owner_id))
            .where(_ia.c.status == ActionStatus.OPEN.value, self._faults_where(scope))
            .order_by(_ia.c.due, _ia.c.id)
            .limit(limit)
        )
        return [OpenImprovement(n, title, owner, due, ActionStatus(st)) for n, title, owner, due, st in rows]

    def open_now(self, scope: MetricScope) -> dict[tuple[FaultStatus, Severity | None], int]:
        rows = self.conn.execute(
            select(_f.c.status, _f.c.severity, func.count())
            .where(_f.c.status.in_([s.value for s in OPEN_STATES]), self._faults_where(scope))
            .group_by(_f.c.status, _f.c.severity)
        )
        return {(status, sev): int(n) for status, sev, n in rows}

    def retrospectives(self, scope: MetricScope, limit: int) -> list[RetrospectiveRow]:
        rows = self.conn.execute(
            select(_f.c.number, _f.c.title, _sr.c.recorded_at, _sr.c.data)
            .select_from(_sr.join(_f, _f.c.id == _sr.c.fault_id))
            .where(
                _sr.c.action == Action.RETROSPECT.value,
                _sr.c.recorded_at >= scope.start,
                _sr.c.recorded_at < scope.end,
                self._faults_where(scope),
            )
            .order_by(_sr.c.recorded_at, _sr.c.id)
            .limit(limit)
        )
        return [RetrospectiveRow(n, title, at, dict(data or {})) for n, title, at, data in rows]

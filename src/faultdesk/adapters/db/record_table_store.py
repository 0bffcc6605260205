"""The record table read in batches (issue 13), and the export jobs the worker writes.

The faults come from one server-side cursor (PostgreSQL: a named cursor; SQLite: the cursor
itself steps through the table), in the list's order; every ``batch`` faults, their reports,
stage records, clocks, improvement actions, ratings and imported words are read with one query
each (``WHERE fault_id IN batch``) and the rows assembled. Memory stays one batch deep, however
many faults the filter finds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, func, insert, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.fault_store import _order, _where
from faultdesk.adapters.db.ids import among
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import ActionStatus, Recurrence
from faultdesk.domain.reports import Channel, Network
from faultdesk.services.ports import ExportJob, RecordTable
from faultdesk.services.record_table import (
    IMPORTED,
    TABLE_ACTIONS,
    ClockFact,
    FaultHead,
    FaultRecord,
    ImprovementLine,
    ReportHead,
    StepFact,
    assemble,
)
from faultdesk.services.records import FaultFilter

_f, _r, _s, _c, _ia, _a, _rt = (
    t.faults,
    t.reports,
    t.stage_records,
    t.clocks,
    t.improvement_actions,
    t.audit_events,
    t.report_ratings,
)

_HEAD = select(
    _f.c.id,
    _f.c.number,
    _f.c.type_code,
    _f.c.title,
    _f.c.status,
    _f.c.severity,
    _f.c.recurrence,
    _f.c.affected_users,
    _f.c.estimated_users,
    _f.c.owners,
    _f.c.fix_version,
    _f.c.gray_steps,
    _f.c.registered_at,
)


def _head(row: Any) -> FaultHead:
    return FaultHead(
        id=row.id,
        number=row.number,
        type_code=row.type_code,
        title=row.title,
        status=FaultStatus(row.status),
        severity=row.severity,
        recurrence=Recurrence(row.recurrence) if row.recurrence else None,
        affected_users=row.affected_users,
        estimated_users=row.estimated_users,
        owners=dict(row.owners or {}),
        fix_version=row.fix_version,
        gray_steps=row.gray_steps,
        registered_at=row.registered_at,
    )


class SqlRecordTable:
    """A read-only snapshot of the record table on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> RecordTable:
        conn = self._engine.connect()
        self._conn = conn
        self._tx = conn.begin()
        if conn.dialect.name == "postgresql":  # one snapshot for the count and every batch
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()  # it only ever read
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    @property
    def conn(self) -> Connection:
        assert self._conn is not None, "the record table is read inside its with block"
        return self._conn

    def count(self, flt: FaultFilter) -> int:
        return int(self.conn.execute(select(func.count()).select_from(_f).where(_where(flt))).scalar_one())

    def stream(self, flt: FaultFilter, batch: int = 1000) -> Iterator[FaultRecord]:
        usernames = {uid: name for uid, name in self.conn.execute(select(t.users.c.id, t.users.c.username))}
        stmt = _HEAD.where(_where(flt)).order_by(*_order(flt.sort))
        result = self.conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        try:
            for part in result.partitions(batch):
                yield from self._records([_head(r) for r in part], usernames)
        finally:
            result.close()

    def _records(self, heads: list[FaultHead], usernames: dict[int, str]) -> Iterator[FaultRecord]:
        conn = self.conn
        ids = [h.id for h in heads]
        reports: dict[int, list[ReportHead]] = defaultdict(list)
        counts: dict[int, int] = defaultdict(int)
        # A batch's reports in arrival order: the first of each fault is summarised, the rest counted.
        for row in conn.execute(
            select(
                _r.c.fault_id,
                _r.c.id,
                _r.c.received_at,
                _r.c.channel,
                _r.c.contact_masked,
                _r.c.reporter_id,
                _r.c.occurred_at,
                _r.c.scenario,
                _r.c.symptom,
                _r.c.device_model,
                _r.c.os_version,
                _r.c.app_version,
                _r.c.network,
            )
            .where(among(conn, _r.c.fault_id, ids))
            .order_by(_r.c.fault_id, _r.c.received_at, _r.c.id)
        ):
            counts[row.fault_id] += 1
            if row.fault_id not in reports:
                reports[row.fault_id].append(
                    ReportHead(
                        received_at=row.received_at,
                        channel=Channel(row.channel),
                        contact_masked=row.contact_masked,
                        reporter_id=row.reporter_id,
                        occurred_at=row.occurred_at,
                        scenario=row.scenario,
                        symptom=row.symptom,
                        device_model=row.device_model,
                        os_version=row.os_version,
                        app_version=row.app_version,
                        network=Network(row.network) if row.network else None,
                    )
                )
        steps: dict[int, list[StepFact]] = defaultdict(list)
        for x in conn.execute(
            select(_s.c.fault_id, _s.c.action, _s.c.data, _s.c.recorded_at)
            .where(among(conn, _s.c.fault_id, ids), _s.c.action.in_(TABLE_ACTIONS))
            .order_by(_s.c.fault_id, _s.c.id)
        ):
            steps[x.fault_id].append(StepFact(x.action, dict(x.data or {}), x.recorded_at))
        clocks: dict[int, list[ClockFact]] = defaultdict(list)
        for c in conn.execute(
            select(_c.c.fault_id, _c.c.kind, _c.c.state, _c.c.met_at, _c.c.breached_at).where(
                among(conn, _c.c.fault_id, ids)
            )
        ):
            clocks[c.fault_id].append(ClockFact(c.kind, c.state, c.met_at, c.breached_at))
        improvements: dict[int, list[ImprovementLine]] = defaultdict(list)
        for i in conn.execute(
            select(_ia.c.fault_id, _ia.c.title, _ia.c.owner_id, _ia.c.due, _ia.c.status)
            .where(among(conn, _ia.c.fault_id, ids))
            .order_by(_ia.c.fault_id, _ia.c.due, _ia.c.id)
        ):
            improvements[i.fault_id].append(
                ImprovementLine(i.title, usernames.get(i.owner_id, ""), i.due, ActionStatus(i.status))
            )
        ratings: dict[int, list[int]] = defaultdict(list)
        for fault_id, satisfaction in conn.execute(
            select(_r.c.fault_id, _rt.c.satisfaction)
            .join(_rt, _rt.c.report_id == _r.c.id)
            .where(among(conn, _r.c.fault_id, ids))
        ):
            ratings[fault_id].append(int(satisfaction))
        imported: dict[int, dict[str, Any]] = {}
        for fault_id, after in conn.execute(
            select(_a.c.fault_id, _a.c.after).where(
                among(conn, _a.c.fault_id, ids), _a.c.entity == "fault", _a.c.action == IMPORTED
            )
        ):
            imported[fault_id] = dict(after or {})
        for h in heads:
            yield assemble(
                h,
                reports.get(h.id, []),
                counts.get(h.id, 0),
                steps.get(h.id, []),
                clocks.get(h.id, []),
                improvements.get(h.id, []),
                ratings.get(h.id, []),
                usernames,
                imported.get(h.id),
            )


_j = t.export_jobs
_requester = t.users.alias("requester")
_JOB = select(_j, _requester.c.username).join(_requester, _requester.c.id == _j.c.requested_by)


def _job(row: Any) -> ExportJob:
    return ExportJob(
        id=row.id,
        requested_by_id=row.requested_by,
        requested_by=row.username,
        requested_at=row.requested_at,
        format=row.format,
        language=row.language,
        filters=dict(row.filters or {}),
        state=row.state,
        rows_total=row.rows_total,
        rows_done=row.rows_done,
        file_name=row.file_name,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


class SqlExportJobs:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, *, requested_by: int, at: datetime, format: str, language: str, filters: dict[str, Any]) -> int:
        stmt = insert(_j).values(
            requested_by=requested_by,
            requested_at=at,
            format=format,
            language=language,
            filters=filters,
            state="queued",
            rows_total=0,
            rows_done=0,
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def get(self, job_id: int) -> ExportJob | None:
        row = self.conn.execute(_JOB.where(_j.c.id == job_id)).first()
        return _job(row) if row else None

    def of_user(self, user_id: int | None, limit: int) -> list[ExportJob]:
        stmt = _JOB if user_id is None else _JOB.where(_j.c.requested_by == user_id)
        return [_job(r) for r in self.conn.execute(stmt.order_by(_j.c.id.desc()).limit(limit))]

    def claim_next(self, now: datetime) -> ExportJob | None:
        job_id = self.conn.execute(
            select(_j.c.id).where(_j.c.state == "queued").order_by(_j.c.id).limit(1).with_for_update(skip_locked=True)
        ).scalar()
        if job_id is None:
            return None
        self.conn.execute(update(_j).where(_j.c.id == job_id).values(state="running", started_at=now))
        return self.get(int(job_id))

    def progress(self, job_id: int, rows_done: int, rows_total: int) -> None:
        self.conn.execute(update(_j).where(_j.c.id == job_id).values(rows_done=rows_done, rows_total=rows_total))

    def finish(self, job_id: int, *, state: str, file_name: str | None, error: str | None, at: datetime) -> None:
        self.conn.execute(
            update(_j)
            .where(_j.c.id == job_id)
            .values(state=state, file_name=file_name, error=error[:500] if error else None, finished_at=at)
        )

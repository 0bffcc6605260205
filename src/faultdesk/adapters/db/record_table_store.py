"""The record table read in batches (issue 13), and the export jobs the worker writes.

The faults come from one server-side cursor (PostgreSQL: a named cursor; SQLite: the cursor
itself steps through the table), in the list's order, each row already carrying its first report,
its report count, its ratings' count and sum, its clocks counted (``ClockSummary``) and whether it
has stage records, improvement actions or an imported record at all: an export of a million faults
is one query, not a million objects built from six. PostgreSQL reads the first report and the
counts through ``LATERAL`` subqueries (one index probe each a fault); SQLite, which has no
``LATERAL``, through correlated scalar subqueries. Only the faults that have them have their stage
records, improvement actions and imported words read, with one query each a batch (``WHERE
fault_id IN batch``). Memory stays one batch deep, however many faults the filter finds.

The table is also kept: each fault's row as a CSV line (``record_lines``), rendered by the worker
(``SqlRecordLines``) after a change that migration 0026's triggers log in ``record_changes``. An
export reads a fault's line while no change is logged for it, and reads the others as above.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    RootTransaction,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    null,
    select,
    true,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.fault_store import _order, _where
from faultdesk.adapters.db.ids import among
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import ActionStatus, Recurrence
from faultdesk.services.ports import ExportJob, LineRenderer, RecordTable
from faultdesk.services.record_table import (
    FINISHED_CLOCKS,
    FIRST_REPLY,
    IMPORTED,
    TABLE_ACTIONS,
    ClockSummary,
    FaultHead,
    FaultRecord,
    ImprovementLine,
    RatingSummary,
    ReportHead,
    StepFact,
    assemble,
)
from faultdesk.services.records import FaultFilter

_lines, _changes, _words = t.record_lines, t.record_changes, t.record_line_words
_f, _r, _s, _c, _ia, _a, _rt = (
    t.faults,
    t.reports,
    t.stage_records,
    t.clocks,
    t.improvement_actions,
    t.audit_events,
    t.report_ratings,
)

_HEAD = (
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
_FIRST = ("received_at", "channel", "contact_masked", "reporter_id", "occurred_at", "scenario", "symptom",
          "device_model", "os_version", "app_version", "network")  # fmt: skip
_STATUS = {s.value: s for s in FaultStatus}  # a dict lookup, not an enum call, a row
_RECURRENCE = {r.value: r for r in Recurrence}


def _of_fault(column: Any) -> ColumnElement[bool]:
    return column == _f.c.id  # type: ignore[no-any-return]


def _clock_counts() -> list[Any]:
    finished = _c.c.state.in_(FINISHED_CLOCKS)
    return [
        func.count().filter(finished).label("finished"),
        func.count().filter(and_(finished, _c.c.breached_at.is_(None))).label("on_time"),
        func.min(_c.c.met_at).filter(_c.c.kind == FIRST_REPLY).label("first_reply_at"),
    ]


def _has() -> list[Any]:
    return [
        exists().where(_of_fault(_s.c.fault_id), _s.c.action.in_(TABLE_ACTIONS)).label("has_steps"),
        exists().where(_of_fault(_ia.c.fault_id)).label("has_improvements"),
        exists().where(_of_fault(_a.c.fault_id), _a.c.entity == "fault", _a.c.action == IMPORTED).label("has_imported"),
    ]


def _fault_rows(dialect: str, flt: FaultFilter) -> Select[Any]:
    """One row a fault: its head, its first report's columns, and the counts ``assemble`` needs."""
    by_arrival = (_r.c.received_at, _r.c.id)
    if dialect == "postgresql":
        first = (
            select(
                *(_r.c[name] for name in _FIRST),
                func.count().over().label("report_count"),
                func.count(_rt.c.satisfaction).over().label("rated"),
                func.sum(_rt.c.satisfaction).over().label("rating_total"),  # NULL: coalesced outside,
            )
            .select_from(_r.outerjoin(_rt, _rt.c.report_id == _r.c.id))
            .where(_of_fault(_r.c.fault_id))
            .order_by(*by_arrival)
            .limit(1)
            .lateral("first_report")
        )
        clock = select(*_clock_counts()).where(_of_fault(_c.c.fault_id)).lateral("clock")
        return select(
            *_HEAD,
            *(first.c[name] for name in _FIRST),
            func.coalesce(first.c.report_count, 0).label("report_count"),
            func.coalesce(first.c.rated, 0).label("rated"),
            func.coalesce(first.c.rating_total, 0).label("rating_total"),
            *clock.c,
            *_has(),
        ).select_from(_f.outerjoin(first, true()).join(clock, true()))
    head = _r.alias("first_report")
    first_id = select(_r.c.id).where(_of_fault(_r.c.fault_id)).order_by(*by_arrival).limit(1).scalar_subquery()
    rated = _rt.join(_r, _r.c.id == _rt.c.report_id)
    return select(
        *_HEAD,
        *(head.c[name] for name in _FIRST),
        select(func.count()).where(_of_fault(_r.c.fault_id)).scalar_subquery().label("report_count"),
        select(func.count()).select_from(rated).where(_of_fault(_r.c.fault_id)).scalar_subquery().label("rated"),
        select(func.coalesce(func.sum(_rt.c.satisfaction), 0))
        .select_from(rated)
        .where(_of_fault(_r.c.fault_id))
        .scalar_subquery()
        .label("rating_total"),
        *(
            select(count).where(_of_fault(_c.c.fault_id)).scalar_subquery().label(count.name)
            for count in _clock_counts()
        ),
        *_has(),
    ).select_from(_f.outerjoin(head, head.c.id == first_id))


def _head(row: Any) -> FaultHead:
    return FaultHead(
        row.id,
        row.number,
        row.type_code,
        row.title,
        _STATUS[row.status],
        row.severity,
        _RECURRENCE[row.recurrence] if row.recurrence else None,
        row.affected_users,
        row.estimated_users,
        row.owners or {},
        row.fix_version,
        row.gray_steps,
        row.registered_at,
    )


def _first(row: Any) -> ReportHead | None:
    if row.received_at is None:  # a fault with no report (imported without one)
        return None
    return ReportHead(
        row.received_at,
        row.channel,
        row.contact_masked,
        row.reporter_id,
        row.occurred_at,
        row.scenario,
        row.symptom,
        row.device_model,
        row.os_version,
        row.app_version,
        row.network,
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
        if conn.dialect.name == "postgresql":
            # One snapshot for the count and every batch. No JIT: compiling the query's
            # expressions costs ~0.7 s and saves nothing on a per-fault index probe.
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            conn.exec_driver_sql("SET LOCAL jit = off")
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

    def _record_batches(self, flt: FaultFilter, batch: int) -> Iterator[list[FaultRecord | str]]:
        conn = self.conn
        usernames = _usernames(conn)
        stmt = _fault_rows(conn.dialect.name, flt).where(_where(flt)).order_by(*_order(flt.sort))
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        try:
            for part in result.partitions(batch):
                yield list(_records(conn, part, usernames))
        finally:
            result.close()

    def batches(self, flt: FaultFilter, words_key: str, batch: int = 1000) -> Iterator[list[FaultRecord | str]]:
        conn = self.conn
        if not _in_words(conn, words_key):
            yield from self._record_batches(flt, batch)  # the lines speak other words: none is current
            return
        usernames: dict[int, str] | None = None  # read once, if a fault needs rendering
        # NULL: no line, or a change logged since it was rendered.
        current = case((exists().where(_changes.c.fault_id == _f.c.id), null()), else_=_lines.c.line)
        stmt = (
            select(_f.c.id, current.label("line"))
            .select_from(_f.outerjoin(_lines, _lines.c.fault_id == _f.c.id))
            .where(_where(flt))
            .order_by(*_order(flt.sort))
        )
        result = conn.execution_options(stream_results=True, yield_per=batch).execute(stmt)
        dialect = conn.dialect.name
        try:
            for part in result.partitions(batch):
                found: list[FaultRecord | str] = [line for _, line in part]
                if None in found:  # a few faults changed since: their rows rendered from the records
                    stale = [fault_id for fault_id, line in part if line is None]
                    usernames = _usernames(conn) if usernames is None else usernames
                    rows = conn.execute(_fault_rows(dialect, flt).where(among(conn, _f.c.id, stale))).all()
                    live = dict(zip([r.id for r in rows], _records(conn, rows, usernames), strict=True))
                    found = [live[fault_id] if line is None else line for fault_id, line in part]
                yield found
        finally:
            result.close()


def _usernames(conn: Connection) -> dict[int, str]:
    return {uid: name for uid, name in conn.execute(select(t.users.c.id, t.users.c.username))}


def _records(conn: Connection, rows: Sequence[Any], usernames: dict[int, str]) -> Iterator[FaultRecord]:
    steps = _steps(conn, [r.id for r in rows if r.has_steps])
    improvements = _improvements(conn, [r.id for r in rows if r.has_improvements], usernames)
    imported = _imported(conn, [r.id for r in rows if r.has_imported])
    none: list[Any] = []
    for row in rows:
        fault_id = row.id
        yield assemble(
            _head(row),
            _first(row),
            row.report_count,
            steps.get(fault_id, none),
            ClockSummary(row.finished, row.on_time, row.first_reply_at),
            improvements.get(fault_id, none),
            RatingSummary(row.rated, row.rating_total),
            usernames,
            imported.get(fault_id),
        )


def _steps(conn: Connection, ids: list[int]) -> dict[int, list[StepFact]]:
    steps: dict[int, list[StepFact]] = defaultdict(list)
    if ids:
        for x in conn.execute(
            select(_s.c.fault_id, _s.c.action, _s.c.data, _s.c.recorded_at)
            .where(among(conn, _s.c.fault_id, ids), _s.c.action.in_(TABLE_ACTIONS))
            .order_by(_s.c.fault_id, _s.c.id)
        ):
            steps[x.fault_id].append(StepFact(x.action, dict(x.data or {}), x.recorded_at))
    return steps


def _improvements(conn: Connection, ids: list[int], usernames: dict[int, str]) -> dict[int, list[ImprovementLine]]:
    improvements: dict[int, list[ImprovementLine]] = defaultdict(list)
    if ids:
        for i in conn.execute(
            select(_ia.c.fault_id, _ia.c.title, _ia.c.owner_id, _ia.c.due, _ia.c.status)
            .where(among(conn, _ia.c.fault_id, ids))
            .order_by(_ia.c.fault_id, _ia.c.due, _ia.c.id)
        ):
            improvements[i.fault_id].append(
                ImprovementLine(i.title, usernames.get(i.owner_id, ""), i.due, ActionStatus(i.status))
            )
    return improvements


def _imported(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    imported: dict[int, dict[str, Any]] = {}
    if ids:
        for fault_id, after in conn.execute(
            select(_a.c.fault_id, _a.c.after)
            .where(among(conn, _a.c.fault_id, ids), _a.c.entity == "fault", _a.c.action == IMPORTED)
            .order_by(_a.c.id)
        ):
            imported[fault_id] = dict(after or {})
    return imported


# The lines' words also depend on how this module reads the rows: a release that changes it renders them anew.
_READING = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _kept_key(words_key: str) -> str:
    return hashlib.sha256(f"{words_key}:{_READING}".encode()).hexdigest()


def _in_words(conn: Connection, words_key: str) -> bool:
    return bool(conn.execute(select(_words.c.words_key)).scalar() == _kept_key(words_key))


_RENDERING = 0x7265636C  # the advisory lock of the one worker rendering lines ("recl")


class SqlRecordLines:
    """The record table's kept lines brought up to date (the worker's job): the faults with a
    change logged are rendered again from one snapshot, and only the changes that snapshot saw are
    deleted. A change committed meanwhile stays logged, and its fault's line is not current until
    the next pass renders it again."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def in_words(self, words_key: str) -> bool:
        """Whether the kept lines are written in these words (else an export renders every row)."""
        with self._engine.connect() as conn:
            return _in_words(conn, words_key)

    def refresh(self, words_key: str, renderer: LineRenderer, limit: int = 500) -> int:
        """Render up to ``limit`` changed faults' lines; answers how many faults were rendered
        (0: every line is current, or another worker is rendering). Lines in other words than
        ``words_key`` are all rendered anew.
        The fault types' and staff's names are read in the same snapshot as the faults: a renaming
        committed meanwhile is a change logged after it."""
        with self._engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot for what is rendered and for the changes deleted (see the class).
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                conn.exec_driver_sql("SET LOCAL jit = off")
                # One worker renders at a time; another would render the same faults and collide.
                if not conn.exec_driver_sql(f"SELECT pg_try_advisory_xact_lock({_RENDERING})").scalar():
                    return 0
            if not _in_words(conn, words_key):
                conn.execute(delete(_words))
                conn.execute(insert(_words).values(id=1, words_key=_kept_key(words_key)))
                conn.execute(delete(_lines))
                conn.execute(delete(_changes))
                conn.execute(insert(_changes).from_select(["fault_id"], select(_f.c.id)))
            ids = list(
                dict.fromkeys(conn.execute(select(_changes.c.fault_id).order_by(_changes.c.id).limit(limit)).scalars())
            )
            if not ids:
                return 0
            found = conn.execute(_fault_rows(conn.dialect.name, FaultFilter()).where(among(conn, _f.c.id, ids))).all()
            usernames = _usernames(conn)
            ft = t.fault_types
            render = renderer(
                {c: (zh, en) for c, zh, en in conn.execute(select(ft.c.code, ft.c.label_zh, ft.c.label_en))}
            )
            lines = [
                {"fault_id": fault_id, "line": render(record)}
                for fault_id, record in zip([r.id for r in found], _records(conn, found, usernames), strict=True)
            ]
            conn.execute(delete(_lines).where(among(conn, _lines.c.fault_id, ids)))
            if lines:
                conn.execute(insert(_lines), lines)
            conn.execute(delete(_changes).where(among(conn, _changes.c.fault_id, ids)))
            return len(ids)


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

"""Reports (反馈) and the idempotency keys of public submissions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    RowMapping,
    Select,
    String,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.audit_store import SqlAudit, audit_values
from faultdesk.adapters.db.clock_store import SqlClocks, clock_values
from faultdesk.adapters.db.ids import among
from faultdesk.adapters.db.queries import WRITES, order_by_sort
from faultdesk.domain.errors import Conflict
from faultdesk.domain.reports import Report, details_of
from faultdesk.domain.sla import SlaClock
from faultdesk.services.intake import DuplicateSubmission
from faultdesk.services.records import (
    REPORT_SORTS,
    AttachmentRecord,
    AuditEvent,
    NewAttachment,
    Page,
    ReporterRating,
    ReportFilter,
    ReportView,
    page_bounds,
)

_r, _f, _p, _pf = t.reports, t.faults, t.products, t.product_functions
_rr = t.report_ratings
_ra = t.report_attachments
_report_fault = _f.alias("report_fault")
_report_product = _p.alias("report_product")
_report_function = _pf.alias("report_function")


def _report_select() -> Select[Any]:
    return (
        select(
            _r,
            _report_product.c.code.label("product_code"),
            _report_function.c.code.label("function_code"),
            _report_fault.c.number.label("fault_number"),
        )
        .outerjoin(_report_product, _report_product.c.id == _r.c.product_id)
        .outerjoin(_report_function, _report_function.c.id == _r.c.function_id)
        .outerjoin(_report_fault, _report_fault.c.id == _r.c.fault_id)
    )


_INSERT_REPORT = insert(_r)
_TEXT_COLUMNS = (_r.c.symptom, _r.c.scenario, _r.c.description)  # what a text search of reports reads
_REPORT_BY_ID = _report_select().where(_r.c.id == bindparam("report_id"))


_VIEW_FIELDS = tuple(f.name for f in fields(ReportView))


@cache
def _report_with_trail(report_columns: tuple[str, ...]) -> Select[Any]:
    """INSERT the report; with it, its audit event (entity_id: the new id) and its clock (report_id:
    the new id); answer the id. Built once for the columns a report is written with."""
    audit_events = t.audit_events

    def given(table: Table, prefix: str, names: Iterable[str]) -> dict[str, Any]:
        return {name: bindparam(prefix + name, type_=table.c[name].type) for name in names}

    report = insert(_r).values(given(_r, "", report_columns)).returning(_r.c.id).cte("new_report")
    new_id = select(report.c.id).scalar_subquery()
    audit_columns = [c.name for c in audit_events.c if c.name not in ("id", "entity_id")]
    clock_columns = [c.name for c in t.clocks.c if c.name not in ("id", "report_id")]
    audit = (
        insert(audit_events)
        .values(given(audit_events, "audit_", audit_columns) | {"entity_id": cast(new_id, String)})
        .cte("new_audit")
    )
    clock = insert(t.clocks).values(given(t.clocks, "clock_", clock_columns) | {"report_id": new_id}).cte("new_clock")
    written = tuple(table.name for table in (_r, audit_events, t.clocks))  # for uow's watch of counted tables
    return select(report.c.id).add_cte(audit, clock).execution_options(**{WRITES: written})


def _view(values: Mapping[str, Any] | RowMapping) -> ReportView:
    """A stored report's view from its columns by name (the enum columns decode themselves): the
    one mapping behind intake's answer and every read."""
    return ReportView(**{name: values[name] for name in _VIEW_FIELDS})


def _report(row: Row[Any]) -> ReportView:
    return _view(row._mapping)


@dataclass(frozen=True)
class _Submission:
    report_id: int
    request_hash: str
    token_cipher: bytes


class SqlReports:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        report: Report,
        *,
        token_hash: str,
        contact_cipher: bytes | None,
        contact_masked: str | None,
        product_id: int | None,
        function_id: int | None,
        at: datetime,
        reporter_key: str | None = None,
        audit: AuditEvent | None = None,
        clock: SlaClock | None = None,
    ) -> ReportView:
        params: dict[str, Any] = {
            **details_of(report),
            "reporter_key": reporter_key,
            "tracking_token_hash": token_hash,
            "channel": report.channel,
            "received_at": report.received_at,
            "contact_kind": report.contact.kind if report.contact else None,
            "contact_masked": contact_masked,
            "contact_cipher": contact_cipher,
            "product_id": product_id,
            "function_id": function_id,
            "fault_id": report.fault_id,
            "created_by": report.created_by,
            "created_at": at,
        }
        if audit is not None and clock is not None and self.conn.dialect.name == "postgresql":
            # The report, its audit row and its register clock in one statement (a data-modifying
            # WITH): each statement is a round trip and ~0.25 ms of the server's CPU, and intake is
            # measured against a bare endpoint doing one INSERT (bench/intake.py).
            trail = {f"audit_{k}": v for k, v in audit_values(audit).items() if k != "entity_id"}
            trail |= {f"clock_{k}": v for k, v in clock_values(clock).items()} | {
                "clock_fault_id": None,
                "clock_improvement_id": None,
            }
            new_id = int(self.conn.execute(_report_with_trail(tuple(params)), params | trail).scalar_one())
        else:
            # A statement built once and given parameters skips SQLAlchemy's per-call compile work
            # (measured: 131 µs of the intake path's CPU went to building this INSERT).
            new_id = int(self.conn.execute(_INSERT_REPORT, params).inserted_primary_key[0])  # type: ignore[index]
            if audit is not None:
                SqlAudit(self.conn).record(replace(audit, entity_id=str(new_id)))
            if clock is not None:
                SqlClocks(self.conn).add(clock, report_id=new_id)
        return _view(
            params
            | {
                "id": new_id,
                "product_code": report.product_code,
                "function_code": report.function_code,
                "fault_number": None,
            }
        )

    def get(self, report_id: int) -> ReportView | None:
        row = self.conn.execute(_REPORT_BY_ID, {"report_id": report_id}).first()
        return _report(row) if row else None

    def by_token_hash(self, token_hash: str) -> ReportView | None:
        row = self.conn.execute(_report_select().where(_r.c.tracking_token_hash == token_hash)).first()
        return _report(row) if row else None

    def contact_ciphers(self, report_ids: list[int]) -> dict[int, bytes]:
        """Report id -> its encrypted contact, for those of the reports that left one."""
        if not report_ids:
            return {}
        rows = self.conn.execute(
            select(_r.c.id, _r.c.contact_cipher).where(
                among(self.conn, _r.c.id, report_ids), _r.c.contact_cipher.is_not(None)
            )
        )
        return {row_id: bytes(cipher) for row_id, cipher in rows}

    def search(self, flt: ReportFilter) -> Page[ReportView]:
        conds: list[ColumnElement[bool]] = []
        if flt.channel:
            conds.append(_r.c.channel.in_([c.value for c in flt.channel]))
        if flt.linked is not None:
            conds.append(_r.c.fault_id.is_not(None) if flt.linked else _r.c.fault_id.is_(None))
        if flt.fault_status:
            conds.append(_report_fault.c.status.in_([s.value for s in flt.fault_status]))
        if flt.severity:
            conds.append(_report_fault.c.severity.in_([s.value for s in flt.severity]))
        if flt.type_code:
            conds.append(_report_fault.c.type_code.in_(flt.type_code))
        if flt.received_from:
            conds.append(_r.c.received_at >= flt.received_from)
        if flt.received_to:
            conds.append(_r.c.received_at < flt.received_to)
        for word in (flt.text or "").lower().split():
            conds.append(or_(*(func.lower(column).contains(word, autoescape=True) for column in _TEXT_COLUMNS)))
        where = and_(True, *conds)
        # The count joins the report's fault only when a condition reads it: the outer join on its
        # primary key adds no row, and counting 300,000 reports through it cost most of a request.
        by_fault = bool(flt.fault_status or flt.severity or flt.type_code)
        counted = _r.outerjoin(_report_fault, _report_fault.c.id == _r.c.fault_id) if by_fault else _r
        total = self.conn.execute(select(func.count()).select_from(counted).where(where)).scalar_one()
        offset, limit = page_bounds(flt.page, flt.page_size)
        cols = {name: _r.c[name] for name in REPORT_SORTS}
        rows = self.conn.execute(
            _report_select().where(where).order_by(*order_by_sort(flt.sort, cols, _r.c.id)).offset(offset).limit(limit)
        )
        return Page([_report(r) for r in rows], int(total), flt.page, flt.page_size)

    def for_fault(self, fault_id: int) -> list[ReportView]:
        rows = self.conn.execute(_report_select().where(_r.c.fault_id == fault_id).order_by(_r.c.received_at, _r.c.id))
        return [_report(r) for r in rows]

    def link(self, report_ids: list[int], fault_id: int) -> int:
        """Links only reports that are still free; returns how many were."""
        result = self.conn.execute(
            update(_r).where(among(self.conn, _r.c.id, report_ids), _r.c.fault_id.is_(None)).values(fault_id=fault_id)
        )
        return int(result.rowcount)

    def since(self, last_id: int, limit: int) -> list[ReportView]:
        rows = self.conn.execute(_report_select().where(_r.c.id > last_id).order_by(_r.c.id).limit(limit))
        return [_report(r) for r in rows]

    def unmatched(self, limit: int) -> list[ReportView]:
        """Reports not yet linked that the matcher has not looked at."""
        stmt = _report_select().where(_r.c.fault_id.is_(None), _r.c.matched_at.is_(None)).order_by(_r.c.id).limit(limit)
        return [_report(r) for r in self.conn.execute(stmt)]

    def mark_matched(self, report_ids: list[int], at: datetime) -> None:
        if report_ids:
            self.conn.execute(update(_r).where(among(self.conn, _r.c.id, report_ids)).values(matched_at=at))

    def set_description(self, report_id: int, description: str) -> None:
        self.conn.execute(update(_r).where(_r.c.id == report_id).values(description=description))

    def ids_of_fault(self, fault_id: int) -> list[int]:
        return list(self.conn.execute(select(_r.c.id).where(_r.c.fault_id == fault_id)).scalars())

    def by_ids(self, report_ids: list[int]) -> list[ReportView]:
        if not report_ids:
            return []
        return [_report(r) for r in self.conn.execute(_report_select().where(among(self.conn, _r.c.id, report_ids)))]

    def faults_of(self, report_ids: list[int]) -> dict[int, int]:
        if not report_ids:
            return {}
        rows = self.conn.execute(
            select(_r.c.id, _r.c.fault_id).where(among(self.conn, _r.c.id, report_ids), _r.c.fault_id.is_not(None))
        )
        return {r.id: r.fault_id for r in rows}

    def unlink(self, report_id: int, fault_id: int) -> bool:
        result = self.conn.execute(
            update(_r).where(_r.c.id == report_id, _r.c.fault_id == fault_id).values(fault_id=None)
        )
        return int(result.rowcount) == 1

    def move(self, from_fault_id: int, to_fault_id: int) -> int:
        result = self.conn.execute(update(_r).where(_r.c.fault_id == from_fault_id).values(fault_id=to_fault_id))
        return int(result.rowcount)

    def reporter_keys(self, fault_id: int) -> list[str | None]:
        rows = self.conn.execute(select(_r.c.reporter_key).where(_r.c.fault_id == fault_id))
        return [r.reporter_key for r in rows]

    def submission(self, client: str, key: str) -> _Submission | None:
        k = t.idempotency_keys
        row = self.conn.execute(select(k).where(k.c.client == client, k.c.key == key)).first()
        return _Submission(row.report_id, row.request_hash, bytes(row.token_cipher)) if row else None

    def remember_submission(
        self, client: str, key: str, request_hash: str, report_id: int, token_cipher: bytes, at: datetime
    ) -> None:
        stmt = insert(t.idempotency_keys).values(
            client=client,
            key=key,
            request_hash=request_hash,
            report_id=report_id,
            token_cipher=token_cipher,
            created_at=at,
        )
        try:
            self.conn.execute(stmt)
        except IntegrityError as exc:  # a concurrent retry with the same key committed first
            raise DuplicateSubmission("duplicate Idempotency-Key", "重复的 Idempotency-Key") from exc

    def forget_submissions_before(self, cutoff: datetime) -> int:
        k = t.idempotency_keys
        return int(self.conn.execute(delete(k).where(k.c.created_at < cutoff)).rowcount)

    def rating(self, report_id: int) -> ReporterRating | None:
        row = self.conn.execute(select(_rr).where(_rr.c.report_id == report_id)).first()
        return _rating(row._mapping) if row else None

    def ratings_of_fault(self, fault_id: int) -> list[ReporterRating]:
        stmt = select(_rr).join(_r, _r.c.id == _rr.c.report_id).where(_r.c.fault_id == fault_id)
        return [_rating(row._mapping) for row in self.conn.execute(stmt.order_by(_rr.c.report_id))]

    def add_attachments(
        self, report_id: int, files: list[NewAttachment], at: datetime, *, later: bool
    ) -> list[AttachmentRecord]:
        added = []
        for f in files:
            values = {
                "report_id": report_id,
                "storage_key": f.storage_key,
                "content_type": f.file_type,
                "filename": f.filename,
                "size_bytes": f.size,
                "added_at": at,
                "later": later,
                "thumb_key": f.thumb_key,
            }
            new_id = self.conn.execute(insert(_ra).values(**values).returning(_ra.c.id)).scalar_one()
            added.append(_attachment({**values, "id": new_id}))
        return added

    def attachments_of(self, report_ids: list[int]) -> dict[int, list[AttachmentRecord]]:
        if not report_ids:
            return {}
        found: dict[int, list[AttachmentRecord]] = {}
        stmt = select(_ra).where(among(self.conn, _ra.c.report_id, report_ids)).order_by(_ra.c.id)
        for row in self.conn.execute(stmt):
            record = _attachment(row._mapping)
            found.setdefault(record.report_id, []).append(record)
        return found

    def attachment(self, attachment_id: int) -> AttachmentRecord | None:
        row = self.conn.execute(select(_ra).where(_ra.c.id == attachment_id)).first()
        return _attachment(row._mapping) if row else None

    def rate(self, rating: ReporterRating) -> None:
        try:
            with self.conn.begin_nested():  # a refused insert must not spoil PostgreSQL's transaction
                self.conn.execute(insert(_rr).values(**vars(rating)))
        except IntegrityError as exc:  # two answers at once: the first one counts
            raise Conflict("this report was rated already", "该反馈已评价过") from exc


def _attachment(row: Mapping[str, Any] | RowMapping) -> AttachmentRecord:
    return AttachmentRecord(
        id=row["id"],
        report_id=row["report_id"],
        storage_key=row["storage_key"],
        file_type=row["content_type"],
        filename=row["filename"],
        size=row["size_bytes"],
        added_at=row["added_at"],
        later=bool(row["later"]),
        thumb_key=row["thumb_key"],
    )


def _rating(row: RowMapping) -> ReporterRating:
    return ReporterRating(row["report_id"], row["satisfaction"], row["comment"], row["rated_at"])

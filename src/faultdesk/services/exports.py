"""Exports of the record table (issue 13): read in one snapshot and streamed, or, for a large
.xlsx, a job the worker writes to FAULTDESK_HOME/exports/ while the console shows its progress."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faultdesk.domain.errors import NotFound, NotPermitted, RuleViolation
from faultdesk.domain.roles import Permission, Role
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import ExportJob, LineRenderer, RecordTable
from faultdesk.services.record_table import FaultRecord
from faultdesk.services.records import Actor, AuditEvent, FaultFilter

FORMATS = ("csv", "xlsx")
LANGUAGES = ("zh", "en")


def _table(desk: Desk) -> RecordTable:
    if desk.record_table is None:
        raise RuntimeError("this desk has no record-table reader wired")
    return desk.record_table()


def count_records(desk: Desk, flt: FaultFilter, *, actor: Actor) -> int:
    require(actor, Permission.VIEW)
    with _table(desk) as table:
        return table.count(flt)


def record_batches(
    desk: Desk, flt: FaultFilter, words_key: str, *, actor: Actor, batch: int = 1000
) -> Iterator[list[FaultRecord | str]]:
    """Every fault the filter finds, in its order, one snapshot, a batch in memory at a time: its
    kept line (``RecordLines``) where that is current in ``words_key``'s words, else its record.
    The permission is checked before the first row, when the generator is created."""
    require(actor, Permission.VIEW)
    return _batches(desk, flt, words_key, batch)


def _batches(desk: Desk, flt: FaultFilter, words_key: str, batch: int) -> Iterator[list[FaultRecord | str]]:
    with _table(desk) as table:
        yield from table.batches(flt, words_key, batch)


def refresh_lines(desk: Desk, words_key: str, renderer: LineRenderer, *, limit: int = 500) -> int:
    """The worker's: render up to ``limit`` changed faults' kept lines (0: all are current)."""
    if desk.record_lines is None:
        return 0
    return desk.record_lines.refresh(words_key, renderer, limit)


def _check(fmt: str, language: str) -> None:
    if fmt not in FORMATS:
        raise RuleViolation.one("format", "must be csv or xlsx", "须为 csv 或 xlsx")
    if language not in LANGUAGES:
        raise RuleViolation.one("lang", "must be zh or en", "须为 zh 或 en")


def request_export(desk: Desk, filters: dict[str, Any], fmt: str, language: str, *, actor: Actor) -> ExportJob:
    """Queue an export for the worker; audited (an export takes a copy of the desk's records)."""
    require(actor, Permission.VIEW)
    _check(fmt, language)
    assert actor.id is not None
    now = desk.clock.now()
    with desk.uow() as uow:
        job_id = uow.export_jobs.add(requested_by=actor.id, at=now, format=fmt, language=language, filters=filters)
        uow.audit.record(
            AuditEvent(
                at=now,
                actor=actor,
                entity="export",
                entity_id=str(job_id),
                action="export_requested",
                after={"format": fmt, "language": language, "filters": filters},
            )
        )
        job = uow.export_jobs.get(job_id)
        uow.commit()
    assert job is not None
    return job


def note_direct_export(desk: Desk, filters: dict[str, Any], fmt: str, rows: int, *, actor: Actor) -> None:
    """An export answered at once is audited as a queued one is."""
    now = desk.clock.now()
    with desk.uow() as uow:
        uow.audit.record(
            AuditEvent(
                at=now,
                actor=actor,
                entity="export",
                entity_id="direct",
                action="exported",
                after={"format": fmt, "rows": rows, "filters": filters},
            )
        )
        uow.commit()


def _visible(job: ExportJob | None, actor: Actor, job_id: int) -> ExportJob:
    if job is None:
        raise NotFound(f"no export {job_id}", f"导出任务 {job_id} 不存在")
    if job.requested_by_id != actor.id and actor.role is not Role.ADMIN:
        raise NotPermitted("this export is someone else's", "这是他人的导出任务", permission=Permission.VIEW.value)
    return job


def export_job(desk: Desk, job_id: int, *, actor: Actor) -> ExportJob:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return _visible(uow.export_jobs.get(job_id), actor, job_id)


def export_jobs(desk: Desk, *, actor: Actor, limit: int = 50) -> list[ExportJob]:
    """The caller's exports, newest first (an administrator sees everyone's)."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.export_jobs.of_user(None if actor.role is Role.ADMIN else actor.id, limit)


def export_file(desk: Desk, job_id: int, *, actor: Actor) -> tuple[ExportJob, Path]:
    job = export_job(desk, job_id, actor=actor)
    if job.state != "done" or job.file_name is None or desk.exports_dir is None:
        raise NotFound("this export is not ready", "该导出尚未完成")
    path = desk.exports_dir / job.file_name
    if not path.is_file():
        raise NotFound("this export's file is gone", "该导出文件已不存在")
    return job, path


def claim_export_job(desk: Desk) -> ExportJob | None:
    with desk.uow() as uow:
        job = uow.export_jobs.claim_next(desk.clock.now())
        uow.commit()
    return job


def record_export_progress(desk: Desk, job_id: int, rows_done: int, rows_total: int) -> None:
    with desk.uow() as uow:
        uow.export_jobs.progress(job_id, rows_done, rows_total)
        uow.commit()


def finish_export_job(desk: Desk, job_id: int, *, file_name: str | None, error: str | None) -> None:
    with desk.uow() as uow:
        uow.export_jobs.finish(
            job_id, state="failed" if error else "done", file_name=file_name, error=error, at=desk.clock.now()
        )
        uow.commit()

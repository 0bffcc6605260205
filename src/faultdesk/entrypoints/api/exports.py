"""The record table's downloads (issue 13): the export answer, and the export jobs' endpoints."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, BackgroundTasks, Response, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel

from faultdesk.entrypoints.common import record_table as rt
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.exports import csv_stream, write_export
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.services import exports
from faultdesk.services.desk import Desk
from faultdesk.services.ports import ExportJob
from faultdesk.services.records import Actor, FaultFilter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}

router = APIRouter(prefix="/api/v1", tags=["staff"])


class ExportJobOut(BaseModel):
    id: int
    requested_by: str
    requested_at: datetime
    format: str
    language: str
    filters: dict[str, object]
    state: str  # queued / running / done / failed
    rows_total: int
    rows_done: int
    error: str | None
    finished_at: datetime | None
    download: str | None  # the file's URL once done

    @classmethod
    def of(cls, job: ExportJob) -> ExportJobOut:
        return cls(
            id=job.id,
            requested_by=job.requested_by,
            requested_at=job.requested_at,
            format=job.format,
            language=job.language,
            filters=job.filters,
            state=job.state,
            rows_total=job.rows_total,
            rows_done=job.rows_done,
            error=job.error,
            finished_at=job.finished_at,
            download=f"/api/v1/exports/{job.id}/file" if job.state == "done" else None,
        )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def export_response(
    desk: Desk, actor: Actor, flt: FaultFilter, fmt: str, lang: str, *, background: bool = False
) -> Response:
    """CSV streamed; a small .xlsx written and sent; a large one queued (202 + Location)."""
    name = rt.file_name(fmt, desk.clock.now(), desk.timezone)
    filters = rt.filters_json(flt)
    if fmt == "csv":
        chunks = csv_stream(desk, flt, lang, actor=actor)  # the permission is checked here, before the 200
        exports.note_direct_export(desk, filters, fmt, -1, actor=actor)
        return StreamingResponse(chunks, media_type=MEDIA["csv"], headers=_attachment(name))
    rows = exports.count_records(desk, flt, actor=actor)
    if background or rows > rt.DIRECT_XLSX_ROWS:
        job = exports.request_export(desk, filters, fmt, lang, actor=actor)
        body = ExportJobOut.of(job).model_dump_json()
        return Response(
            body,
            status_code=status.HTTP_202_ACCEPTED,
            media_type="application/json",
            headers={"Location": f"/api/v1/exports/{job.id}"},
        )
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - removed after sending
    tmp.close()
    path = Path(tmp.name)
    try:
        write_export(desk, flt, fmt, lang, path, actor=actor)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    exports.note_direct_export(desk, filters, fmt, rows, actor=actor)
    tasks = BackgroundTasks()
    tasks.add_task(path.unlink, missing_ok=True)
    return FileResponse(path, media_type=XLSX, headers=_attachment(name), background=tasks)


@router.get("/exports", response_model=list[ExportJobOut])
def list_exports(desk: DeskDep, actor: ActorDep) -> list[ExportJobOut]:
    """Your exports, newest first (an administrator's: everyone's)."""
    return [ExportJobOut.of(j) for j in exports.export_jobs(desk, actor=actor)]


@router.get("/exports/{job_id}", response_model=ExportJobOut)
def get_export(job_id: IdPath, desk: DeskDep, actor: ActorDep) -> ExportJobOut:
    return ExportJobOut.of(exports.export_job(desk, job_id, actor=actor))


@router.get("/exports/{job_id}/file", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def export_download(job_id: IdPath, desk: DeskDep, actor: ActorDep) -> Response:
    job, path = exports.export_file(desk, job_id, actor=actor)
    return FileResponse(path, media_type=MEDIA[job.format], headers=_attachment(path.name))

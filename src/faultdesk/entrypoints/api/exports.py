"""The record table's downloads (issue 13): the export answer, and the export jobs' endpoints."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.exports import XLSX as XLSX
from faultdesk.entrypoints.common.exports import direct_answer, job_file
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.services import exports
from faultdesk.services.desk import Desk
from faultdesk.services.ports import ExportJob
from faultdesk.services.records import Actor, FaultFilter

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


def export_response(
    desk: Desk, actor: Actor, flt: FaultFilter, fmt: str, lang: str, *, background: bool = False
) -> Response:
    """CSV streamed; a small .xlsx written and sent; a large one queued (202 + Location)."""
    answer = direct_answer(desk, actor, flt, fmt, lang, background=background)
    if isinstance(answer, Response):
        return answer
    return Response(
        ExportJobOut.of(answer).model_dump_json(),
        status_code=status.HTTP_202_ACCEPTED,
        media_type="application/json",
        headers={"Location": f"/api/v1/exports/{answer.id}"},
    )


@router.get("/exports", response_model=list[ExportJobOut])
def list_exports(desk: DeskDep, actor: ActorDep) -> list[ExportJobOut]:
    """Your exports, newest first (an administrator's: everyone's)."""
    return [ExportJobOut.of(j) for j in exports.export_jobs(desk, actor=actor)]


@router.get("/exports/{job_id}", response_model=ExportJobOut)
def get_export(job_id: IdPath, desk: DeskDep, actor: ActorDep) -> ExportJobOut:
    return ExportJobOut.of(exports.export_job(desk, job_id, actor=actor))


@router.get("/exports/{job_id}/file", responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
def export_download(job_id: IdPath, desk: DeskDep, actor: ActorDep) -> Response:
    return job_file(desk, job_id, actor=actor)

"""Exports in the console (issue 13): "导出此视图 / Export this view" on every queue, carrying the
queue's filters, and ``/exports``, where a large export's progress shows (htmx polls its rows
while one is queued or running) and its download link appears when the worker is done."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.exports import direct_answer, job_file
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.entrypoints.common.labels import EXPORT_FORMAT, EXPORT_STATE, words
from faultdesk.entrypoints.common.record_table import DIRECT_XLSX_ROWS
from faultdesk.entrypoints.web.queues import queue_view
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import exports, queues

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/queue/export")
def export_view(request: Request, desk: DeskDep, actor: StaffDep, format: Literal["csv", "xlsx"] = "csv") -> Response:
    """The queue view of this query string, every page of it, as the record table."""
    lang = language_of(request, actor)
    query = queue_view(request, lang, desk.timezone)
    if query is None:  # a bad view: the queue page shows its problems
        return RedirectResponse("/" + ("?" + request.url.query if request.url.query else ""), status_code=303)
    flt = queues.view_filter(desk, query, actor=actor)
    answer = direct_answer(desk, actor, flt, format, lang)
    if isinstance(answer, Response):
        return answer
    return RedirectResponse(f"/exports#export-{answer.id}", status_code=303)


def _jobs(request: Request, desk: DeskDep, actor: StaffDep, template: str) -> Response:
    jobs = exports.export_jobs(desk, actor=actor)
    busy = any(j.state in ("queued", "running") for j in jobs)
    lang = language_of(request, actor)
    context = {
        "jobs": jobs,
        "busy": busy,
        "direct_rows": DIRECT_XLSX_ROWS,
        "state_words": {code: words(EXPORT_STATE, code, lang) for code in EXPORT_STATE},
        "format_words": {code: words(EXPORT_FORMAT, code, lang) for code in EXPORT_FORMAT},
    }
    return render(request, template, context, desk=desk, actor=actor)


@router.get("/exports", response_class=HTMLResponse)
def export_page(request: Request, desk: DeskDep, actor: StaffDep) -> Response:
    return _jobs(request, desk, actor, "exports.html")


@router.get("/exports/rows", response_class=HTMLResponse)
def export_rows(request: Request, desk: DeskDep, actor: StaffDep) -> Response:
    """The jobs' rows alone: what the page's polling swaps in while a job runs."""
    return _jobs(request, desk, actor, "_export_rows.html")


@router.get("/exports/{job_id}/file")
def export_download(job_id: IdPath, desk: DeskDep, actor: StaffDep) -> Response:
    return job_file(desk, job_id, actor=actor)

"""The queues: the staff's home page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from faultdesk.domain.faults import DEFAULT_FAULT_TYPES
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.web.rendering import StaffDep, render
from faultdesk.services import faults
from faultdesk.services.records import FaultFilter

router = APIRouter(include_in_schema=False)

TYPE_ZH = {t.code: t.label_zh for t in DEFAULT_FAULT_TYPES}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, desk: DeskDep, actor: StaffDep, page: int = 1) -> Response:
    result = faults.list_faults(desk, FaultFilter(page=max(page, 1), page_size=50), actor=actor)
    return render(request, "home.html", {"page": result, "type_zh": TYPE_ZH}, desk=desk, actor=actor)

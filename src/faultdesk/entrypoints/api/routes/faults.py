"""Staff endpoints for faults and reports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.reports import Channel
from faultdesk.entrypoints.api.exports import XLSX, ExportJobOut, export_response
from faultdesk.entrypoints.api.schemas import (
    AuditEventOut,
    ContactOut,
    FaultDetailOut,
    FaultIn,
    FaultOut,
    FaultPage,
    FaultTypeOut,
    MeOut,
    RegisteredFaultOut,
    ReportOut,
    ReportPage,
    TimezoneIn,
    TimezoneOut,
)
from faultdesk.entrypoints.common.commands import SeverityName
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import IdPath, Moment, PageNo, PageSize, in_zone
from faultdesk.entrypoints.common.queue_views import QueueView
from faultdesk.services import catalogue, faults, queues, staff
from faultdesk.services.records import ReportFilter

router = APIRouter(prefix="/api/v1", tags=["staff"])

FaultSort = Literal[
    "registered_at", "-registered_at", "updated_at", "-updated_at", "severity", "-severity",
    "affected_users", "-affected_users", "number", "-number",
]  # fmt: skip
ReportSort = Literal["received_at", "-received_at", "occurred_at", "-occurred_at", "id", "-id"]


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    return MeOut(id=actor.id, username=actor.label, role=actor.role.value if actor.role else None)


@router.put("/me/timezone", response_model=TimezoneOut)
def set_my_timezone(body: TimezoneIn, desk: DeskDep, actor: ActorDep) -> TimezoneOut:
    """Where you work: your P1/P2 notices wait for working hours in this zone."""
    user = staff.set_user_timezone(desk, actor.label, body.timezone, actor=actor)
    return TimezoneOut(username=user.username, timezone=user.timezone)


@router.post("/faults", status_code=status.HTTP_201_CREATED, response_model=RegisteredFaultOut)
def register_fault(body: FaultIn, desk: DeskDep, actor: ActorDep) -> RegisteredFaultOut:
    """Stage 1: number a fault from existing reports and/or reports taken by phone or in person."""
    result = faults.register_fault(
        desk,
        faults.FaultRegistration(
            type_code=body.type_code,
            report_ids=body.report_ids,
            new_reports=[r.draft(desk.timezone) for r in body.new_reports],
            title=body.title,
            product=body.product,
            function=body.function,
            estimated_users=body.estimated_users,
            estimate_source=body.estimate_source,
        ),
        actor=actor,
    )
    detail = FaultDetailOut.of(result.fault, result.reports)
    return RegisteredFaultOut(fault=detail, new_report_tokens=result.new_report_tokens)


# The list's filters, the same for the list and its export, and the same as a console queue view's
# (common/queue_views.py): the list of ``queue=breached&q=支付`` is that view's rows.
ViewDep = Annotated[QueueView, Query()]


@router.get("/faults", response_model=FaultPage)
def list_faults(desk: DeskDep, actor: ActorDep, view: ViewDep, page: PageNo = 1, page_size: PageSize = 20) -> FaultPage:
    result = queues.list_view(desk, view.query(desk.timezone, page=page, page_size=page_size), actor=actor)
    return FaultPage(
        items=[FaultOut.model_validate(f) for f in result.items], total=result.total, page=page, page_size=page_size
    )


@router.get(
    "/faults/export",
    responses={
        200: {"content": {"text/csv": {}, XLSX: {}}, "description": "the record table"},
        202: {"model": ExportJobOut, "description": "a large .xlsx: queued for the worker"},
    },
)
def export_faults(
    desk: DeskDep,
    actor: ActorDep,
    view: ViewDep,
    format: Literal["csv", "xlsx"] = "csv",
    lang: Literal["zh", "en"] = "zh",
    background: Annotated[bool, Query(description="queue even a small .xlsx for the worker")] = False,
) -> Response:
    """The record table 故障反馈处理记录表 of the faults the list's filters find, in the list's
    order, every row (no cap). CSV streams at once. An .xlsx of up to 20,000 rows is answered at
    once; a larger one (or ``background=true``) is queued for the worker: 202 with the job, whose
    ``Location`` shows its progress and, when done, its file."""
    return export_response(
        desk,
        actor,
        queues.view_filter(desk, view.query(desk.timezone), actor=actor),
        format,
        lang,
        background=background,
    )


@router.get("/faults/{number}", response_model=FaultDetailOut)
def get_fault(number: str, desk: DeskDep, actor: ActorDep, response: Response) -> FaultDetailOut:
    """The fault with its reports; its ``ETag`` is what ``If-Match`` wants on a transition."""
    fault, reports = faults.get_fault(desk, number, actor=actor)
    response.headers["ETag"] = f'"{fault.version}"'
    return FaultDetailOut.of(fault, reports)


@router.get("/faults/{number}/timeline", response_model=list[AuditEventOut])
def fault_timeline(number: str, desk: DeskDep, actor: ActorDep) -> list[AuditEventOut]:
    return [AuditEventOut.of(e) for e in faults.fault_timeline(desk, number, actor=actor)]


@router.get("/reports", response_model=ReportPage)
def list_reports(
    desk: DeskDep,
    actor: ActorDep,
    channel: Annotated[list[Channel] | None, Query()] = None,
    status: Annotated[list[FaultStatus] | None, Query(description="status of the report's fault")] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    type_code: Annotated[list[str] | None, Query(alias="type")] = None,
    linked: bool | None = None,
    received_from: Moment | None = None,
    received_to: Moment | None = None,
    sort: ReportSort = "-received_at",
    page: PageNo = 1,
    page_size: PageSize = 20,
) -> ReportPage:
    result = faults.list_reports(
        desk,
        ReportFilter(
            channel=channel or [],
            fault_status=status or [],
            severity=[Severity[s] for s in severity or []],
            type_code=type_code or [],
            linked=linked,
            received_from=in_zone(received_from, desk.timezone),
            received_to=in_zone(received_to, desk.timezone),
            sort=sort,
            page=page,
            page_size=page_size,
        ),
        actor=actor,
    )
    return ReportPage(
        items=[ReportOut.model_validate(r) for r in result.items], total=result.total, page=page, page_size=page_size
    )


@router.get("/reports/{report_id}", response_model=ReportOut)
def get_report(report_id: IdPath, desk: DeskDep, actor: ActorDep) -> ReportOut:
    return ReportOut.model_validate(faults.get_report(desk, report_id, actor=actor))


@router.post("/reports/{report_id}/contact/reveal", response_model=ContactOut)
def reveal_contact(report_id: IdPath, desk: DeskDep, actor: ActorDep) -> ContactOut:
    """The reporter's contact in full, for agents and PMs who must reply. Audited."""
    return ContactOut(report_id=report_id, contact=faults.reveal_contact(desk, report_id, actor=actor))


@router.get("/fault-types", response_model=list[FaultTypeOut])
def fault_types(desk: DeskDep, actor: ActorDep) -> list[FaultTypeOut]:
    return [FaultTypeOut(**vars(t)) for t in catalogue.list_fault_types(desk)]

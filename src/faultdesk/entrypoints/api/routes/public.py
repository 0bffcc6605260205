"""Public endpoints (no login): report a fault, follow it with the tracking token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from faultdesk.entrypoints.api.limits import limit_public
from faultdesk.entrypoints.api.schemas import CandidateOut, ReportIn, ReportOut, SubmittedReportOut, TrackOut
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.entrypoints.common.context import DeskDep, OptionalActorDep
from faultdesk.services import faults, intake, known_issues
from faultdesk.services.records import Actor

router = APIRouter(prefix="/api/v1", tags=["public"])


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=SubmittedReportOut,
    responses={200: {"description": "a retry with the same Idempotency-Key: the first answer"}},
)
def submit_report(
    body: ReportIn,
    request: Request,
    desk: DeskDep,
    staff: OptionalActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Report a fault. Send an ``Idempotency-Key`` header so a retry never files it twice.
    A staff caller (an agent entering a report) also gets the known-issue candidates, and counts
    against a limit of their own rather than their office's address."""
    limit_public(request, "intake", f"staff:{staff.id}" if staff else None)
    result = intake.submit_report(
        desk,
        body.draft(desk.timezone),
        actor=staff or Actor.public(),
        client=client_of(request),
        idempotency_key=idempotency_key,
    )
    candidates = None
    if staff is not None:
        candidates = [CandidateOut.of(c) for c in known_issues.report_candidates(desk, result.report.id, actor=staff)]
    out = SubmittedReportOut(
        report=ReportOut.model_validate(result.report), tracking_token=result.tracking_token, candidates=candidates
    )
    # Serialised here once: FastAPI would validate the model a second time against response_model.
    return Response(
        out.model_dump_json(),
        status_code=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
        media_type="application/json",
    )


@router.get("/track/{token}", response_model=TrackOut)
def track(token: str, request: Request, desk: DeskDep) -> TrackOut:
    limit_public(request, "track")
    tracking = faults.track_report(desk, token)
    report, fault = tracking.report, tracking.fault
    return TrackOut(
        report_id=report.id,
        received_at=report.received_at,
        symptom=report.symptom,
        fault_number=fault.number if fault else None,
        status=fault.status.value if fault else "received",
    )

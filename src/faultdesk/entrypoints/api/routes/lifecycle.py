"""Lifecycle endpoints: transitions with ETag/If-Match, what the caller may do, records, KB."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import BaseModel, Field

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.entrypoints.api.limits import limit_public
from faultdesk.entrypoints.api.schemas import FaultDetailOut
from faultdesk.entrypoints.common.commands import ImprovementStatusIn, TransitionIn, command_of, fields_of
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import Id, IdPath, PageNo, PageSize, Text200, Text5000, Whole
from faultdesk.services import faults, impact, lifecycle
from faultdesk.services.records import FaultView

router = APIRouter(prefix="/api/v1", tags=["lifecycle"])

_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def etag(view: FaultView) -> str:
    return f'"{view.version}"'


def version_of(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    m = _ETAG.match(if_match.strip())
    if not m:
        raise RuleViolation.one("If-Match", 'expected an ETag such as "3"', 'If-Match 须为 ETag，如 "3"')
    return int(m.group(1))


def fault_detail(desk: Any, view: FaultView, actor: Any, response: Response) -> FaultDetailOut:
    _, reports = faults.get_fault(desk, view.number, actor=actor)
    response.headers["ETag"] = etag(view)
    return FaultDetailOut.of(view, reports)


@router.post("/faults/{number}/transitions", response_model=FaultDetailOut)
def transition(
    number: str,
    body: Annotated[TransitionIn, Body()],
    desk: DeskDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> FaultDetailOut:
    """Take one lifecycle action. Send the fault's ETag as ``If-Match``: a stale one gets 412."""
    command = command_of(body, desk.timezone, desk.clock.now())
    view = lifecycle.act(desk, number, command, actor=actor, if_match=version_of(if_match))
    return fault_detail(desk, view, actor, response)


class ActionOut(BaseModel):
    action: str
    fields: dict[str, Any] = Field(description="JSON Schema of the body's fields")
    required: list[str]


class ActionsOut(BaseModel):
    number: str
    status: str
    version: int
    actions: list[ActionOut]


@router.get("/faults/{number}/actions", response_model=ActionsOut)
def actions(number: str, desk: DeskDep, actor: ActorDep, response: Response) -> ActionsOut:
    """What the caller may do to this fault now, with the fields each action needs."""
    view, allowed = lifecycle.available_actions(desk, number, actor=actor)
    out = []
    for action in allowed:
        fields = fields_of(action)
        out.append(ActionOut(action=action.value, fields=fields.properties, required=fields.required))
    response.headers["ETag"] = etag(view)
    return ActionsOut(number=view.number, status=view.status.value, version=view.version, actions=out)


class ReasonOut(BaseModel):
    en: str
    zh: str


class SuggestionOut(BaseModel):
    severity: str
    reasons: list[ReasonOut]


@router.get("/faults/{number}/severity-suggestion", response_model=SuggestionOut)
def severity_suggestion(number: str, desk: DeskDep, actor: ActorDep) -> SuggestionOut:
    s = lifecycle.severity_suggestion(desk, number, actor=actor)
    return SuggestionOut(severity=s.severity.name, reasons=[ReasonOut(en=r.en, zh=r.zh) for r in s.reasons])


class StageRecordOut(BaseModel):
    id: int
    action: str
    data: dict[str, Any]
    actor: str
    recorded_at: datetime


@router.get("/faults/{number}/records", response_model=list[StageRecordOut])
def records(number: str, desk: DeskDep, actor: ActorDep) -> list[StageRecordOut]:
    return [StageRecordOut(**vars(r)) for r in lifecycle.stage_records(desk, number, actor=actor)]


class SeverityChangeOut(BaseModel):
    from_severity: str | None
    to_severity: str
    reason: str
    changed_by: str | None
    changed_at: datetime


@router.get("/faults/{number}/severity-history", response_model=list[SeverityChangeOut])
def severity_history(number: str, desk: DeskDep, actor: ActorDep) -> list[SeverityChangeOut]:
    return [
        SeverityChangeOut(
            from_severity=c.from_severity.name if c.from_severity is not None else None,
            to_severity=c.to_severity.name,
            reason=c.reason,
            changed_by=c.changed_by,
            changed_at=c.changed_at,
        )
        for c in lifecycle.severity_history(desk, number, actor=actor)
    ]


class LinkIn(BaseModel):
    report_ids: list[Id] = Field(min_length=1, max_length=500)


@router.post("/faults/{number}/reports", response_model=FaultDetailOut)
def link_reports(number: str, body: LinkIn, desk: DeskDep, actor: ActorDep, response: Response) -> FaultDetailOut:
    view = lifecycle.link_reports(desk, number, body.report_ids, actor=actor)
    return fault_detail(desk, view, actor, response)


@router.delete("/faults/{number}/reports/{report_id}", response_model=FaultDetailOut)
def unlink_report(number: str, report_id: IdPath, desk: DeskDep, actor: ActorDep, response: Response) -> FaultDetailOut:
    view = lifecycle.unlink_report(desk, number, report_id, actor=actor)
    return fault_detail(desk, view, actor, response)


class EstimateIn(BaseModel):
    estimated_users: Whole | None = Field(ge=0, le=1_000_000_000)
    source: Text200 | None = None


@router.put("/faults/{number}/estimate", response_model=FaultDetailOut)
def set_estimate(number: str, body: EstimateIn, desk: DeskDep, actor: ActorDep, response: Response) -> FaultDetailOut:
    view = lifecycle.set_estimate(desk, number, body.estimated_users, body.source, actor=actor)
    return fault_detail(desk, view, actor, response)


class ImpactOut(BaseModel):
    affected_users: int = Field(description="distinct reporters (by reporter id, else by contact)")
    estimated_users: int | None
    estimate_source: str | None
    by_channel: dict[str, int]
    by_device: dict[str, int]
    by_os: dict[str, int]
    by_app_version: dict[str, int]


@router.get("/faults/{number}/impact", response_model=ImpactOut)
def fault_impact(number: str, desk: DeskDep, actor: ActorDep) -> ImpactOut:
    """Distinct affected users, broken down by channel, device, OS and app version."""
    return ImpactOut(**vars(impact.breakdown(desk, number, actor=actor)))


class ReporterConfirmIn(BaseModel):
    outcome: Literal["recovered", "still_broken"] = Field(description="恢复了 / 仍有问题")
    comment: Text5000 | None = None


class ReporterConfirmOut(BaseModel):
    fault_number: str
    status: str


@router.post("/track/{token}/confirm", response_model=ReporterConfirmOut, tags=["public"])
def reporter_confirms(token: str, body: ReporterConfirmIn, request: Request, desk: DeskDep) -> ReporterConfirmOut:
    """The reporter says whether the fix worked for them; "still broken" reopens the fault."""
    limit_public(request, "track")
    view = lifecycle.confirm_by_reporter(desk, token, recovered=body.outcome == "recovered", comment=body.comment)
    return ReporterConfirmOut(fault_number=view.number, status=view.status.value)


class ImprovementOut(BaseModel):
    id: int
    fault_number: str
    title: str
    owner: str
    due: date
    status: ActionStatus
    created_at: datetime
    updated_at: datetime


@router.get("/improvement-actions", response_model=list[ImprovementOut])
def improvement_actions(
    desk: DeskDep,
    actor: ActorDep,
    fault: Annotated[str | None, Query(description="fault number")] = None,
    status: ActionStatus | None = None,
    owner: Annotated[str | None, Query(max_length=64, description="a username: the actions this person owns")] = None,
    page: PageNo = 1,
    page_size: PageSize = 50,
) -> list[ImprovementOut]:
    """Improvement actions by due date, a page at a time (``page``, ``page_size``: at most 200)."""
    found = lifecycle.improvements(
        desk, actor=actor, number=fault, status=status, owner=owner, offset=(page - 1) * page_size, limit=page_size
    )
    return [ImprovementOut(**vars(i)) for i in found]


@router.patch("/improvement-actions/{improvement_id}", response_model=ImprovementOut)
def update_improvement(
    improvement_id: IdPath, body: ImprovementStatusIn, desk: DeskDep, actor: ActorDep
) -> ImprovementOut:
    return ImprovementOut(**vars(lifecycle.set_improvement_status(desk, improvement_id, body.status, actor=actor)))


class KbArticleOut(BaseModel):
    id: int
    fault_number: str | None
    title: str
    symptoms: str
    cause: str
    fix: str
    workaround: str | None
    tags: list[str]
    created_at: datetime


@router.get("/kb", response_model=list[KbArticleOut])
def knowledge_base(
    desk: DeskDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[KbArticleOut]:
    """Knowledge-base articles from retrospectives; every word of ``q`` must match."""
    return [KbArticleOut(**vars(a)) for a in lifecycle.search_kb(desk, q, actor=actor, limit=limit)]

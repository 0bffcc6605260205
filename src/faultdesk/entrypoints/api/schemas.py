"""Request and response bodies of the HTTP API (Pydantic only lives at the edges)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.reports import Channel, ContactKind, Network
from faultdesk.entrypoints.common.fields import Text40, Text60, Text100, Text200, Text254, Text500, Text5000
from faultdesk.services.records import AuditEvent, FaultView, ReportView


class ReportIn(BaseModel):
    """One end user's fault report (故障反馈). Times without a zone are read in the org's zone."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    symptom: Text500 = Field(description="故障现象, e.g. 页面卡顿 / 功能无法使用")
    scenario: Text500 | None = Field(None, description="具体场景")
    received_at: datetime | None = Field(None, description="反馈时间; default: now")
    occurred_at: datetime | None = Field(None, description="故障发生时间")
    device_model: Text100 | None = None
    os_version: Text60 | None = None
    app_version: Text40 | None = None
    network: Network | None = None
    reporter_id: Text100 | None = None
    contact: Text254 | None = Field(None, description="mobile, landline or e-mail; stored encrypted")
    description: Text5000 | None = None
    product: Text40 | None = None
    function: Text40 | None = None


class ReportOut(BaseModel):
    id: int
    channel: Channel
    received_at: datetime
    occurred_at: datetime | None
    scenario: str | None
    symptom: str
    device_model: str | None
    os_version: str | None
    app_version: str | None
    network: Network | None
    reporter_id: str | None
    contact_kind: ContactKind | None
    contact: str | None = Field(description="masked, e.g. 138****1234")
    description: str | None
    product: str | None
    function: str | None
    fault_number: str | None

    @classmethod
    def of(cls, v: ReportView) -> ReportOut:
        return cls(
            id=v.id,
            channel=v.channel,
            received_at=v.received_at,
            occurred_at=v.occurred_at,
            scenario=v.scenario,
            symptom=v.symptom,
            device_model=v.device_model,
            os_version=v.os_version,
            app_version=v.app_version,
            network=v.network,
            reporter_id=v.reporter_id,
            contact_kind=v.contact_kind,
            contact=v.contact_masked,
            description=v.description,
            product=v.product_code,
            function=v.function_code,
            fault_number=v.fault_number,
        )


class CandidateOut(BaseModel):
    """A known issue the report may be: a fault (via its own text, one of its reports or its KB
    article), an article without a fault, or a release's known issues."""

    kind: str
    fault_number: str | None
    title: str
    state: str | None
    score: float = Field(description="confidence 0–1: lexical score over the report's score against itself")
    terms: list[str] = Field(description="the matching terms, strongest first")
    fields: list[str] = Field(description="the fields they matched in")
    why: list[str]
    via: str

    @classmethod
    def of(cls, c: Any) -> CandidateOut:
        return cls(
            kind=c.kind,
            fault_number=c.fault_number,
            title=c.title,
            state=c.state,
            score=c.confidence,
            terms=c.terms,
            fields=c.fields,
            why=c.reasons,
            via=c.via,
        )


class SubmittedReportOut(BaseModel):
    report: ReportOut
    candidates: list[CandidateOut] | None = Field(None, description="known issues, for staff callers only")
    tracking_token: str = Field(description="the reporter's key to GET /api/v1/track/{token}; shown only here")


class FaultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type_code: Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
    title: Text200 | None = None
    report_ids: list[Annotated[int, Field(ge=1)]] = Field(default_factory=list, max_length=500)
    new_reports: list[ReportIn] = Field(default_factory=list, max_length=50)
    product: Text40 | None = None
    function: Text40 | None = None
    estimated_users: int | None = Field(None, ge=0, le=1_000_000_000)
    estimate_source: Text200 | None = None


class FaultOut(BaseModel):
    number: str
    type_code: str
    title: str
    status: FaultStatus
    severity: str | None
    product: str | None
    function: str | None
    affected_users: int
    estimated_users: int | None
    registered_at: datetime
    registered_by: str
    updated_at: datetime
    version: int
    report_count: int
    reopen_count: int = 0
    fix_version: str | None = None
    gray_steps: int = 0
    cases: list[dict[str, str]] = Field(default_factory=list)
    impact: str | None = None
    revenue_impact: bool = False
    recurrence: str | None = None
    related_fault: str | None = None
    known_issue: str | None = None
    owners: dict[str, int] = Field(default_factory=dict)
    team: dict[str, Any] | None = None
    merged_into: str | None = None
    estimate_source: str | None = None

    @classmethod
    def of(cls, v: FaultView) -> FaultOut:
        return cls(
            number=v.number,
            type_code=v.type_code,
            title=v.title,
            status=v.status,
            severity=v.severity.name if v.severity is not None else None,
            product=v.product_code,
            function=v.function_code,
            affected_users=v.affected_users,
            estimated_users=v.estimated_users,
            registered_at=v.registered_at,
            registered_by=v.registered_by,
            updated_at=v.updated_at,
            version=v.version,
            report_count=v.report_count,
            reopen_count=v.reopen_count,
            fix_version=v.fix_version,
            gray_steps=v.gray_steps,
            cases=[vars(c) for c in v.cases],
            impact=v.impact.value if v.impact else None,
            revenue_impact=v.revenue_impact,
            recurrence=v.recurrence.value if v.recurrence else None,
            related_fault=v.related_fault,
            known_issue=v.known_issue,
            owners=v.owners,
            team=v.team,
            merged_into=v.merged_into,
            estimate_source=v.estimate_source,
        )


class FaultDetailOut(FaultOut):
    reports: list[ReportOut]


class RegisteredFaultOut(BaseModel):
    fault: FaultDetailOut
    new_report_tokens: list[str]


class FaultPage(BaseModel):
    items: list[FaultOut]
    total: int
    page: int
    page_size: int


class ReportPage(BaseModel):
    items: list[ReportOut]
    total: int
    page: int
    page_size: int


class AuditEventOut(BaseModel):
    id: int | None
    at: datetime
    actor: str
    actor_role: str | None
    entity: str
    entity_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, e: AuditEvent) -> AuditEventOut:
        return cls(
            id=e.id,
            at=e.at,
            actor=e.actor.label,
            actor_role=e.actor.role.value if e.actor.role else None,
            entity=e.entity,
            entity_id=e.entity_id,
            action=e.action,
            before=e.before,
            after=e.after,
        )


class ContactOut(BaseModel):
    report_id: int
    contact: str


class TrackOut(BaseModel):
    """What a reporter sees: their own report and where its fault stands; nothing of others."""

    report_id: int
    received_at: datetime
    symptom: str
    fault_number: str | None
    status: str = Field(description="'received' until registered, then the fault's status")


class FaultTypeOut(BaseModel):
    code: str
    label_zh: str
    label_en: str
    active: bool


class MeOut(BaseModel):
    id: int | None
    username: str
    role: str | None


class TimezoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timezone: str | None = Field(
        max_length=64, description="IANA zone of your working hours, e.g. Europe/Berlin; null: the organisation's"
    )


class TimezoneOut(BaseModel):
    username: str
    timezone: str | None

"""Request and response bodies of the HTTP API (Pydantic only lives at the edges)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import Recurrence
from faultdesk.domain.reports import Channel, ContactKind
from faultdesk.domain.severity import Impact
from faultdesk.entrypoints.common.fields import (
    Id,
    Text40,
    Text200,
    Whole,
)
from faultdesk.entrypoints.common.reports import ReportFields as ReportFields  # shared with the report form
from faultdesk.entrypoints.common.reports import ReportIn as ReportIn
from faultdesk.services.records import AuditEvent, FaultView, ReportView


class ReportOut(ReportFields):
    """A stored report, read from the service's ``ReportView`` by attribute."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: Channel
    received_at: datetime
    contact_kind: ContactKind | None
    contact: str | None = Field(validation_alias="contact_masked", description="masked, e.g. 138****1234")
    product: str | None = Field(validation_alias="product_code")
    function: str | None = Field(validation_alias="function_code")
    fault_number: str | None


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
    report_ids: list[Id] = Field(default_factory=list, max_length=500)
    new_reports: list[ReportIn] = Field(default_factory=list, max_length=50)
    product: Text40 | None = None
    function: Text40 | None = None
    estimated_users: Whole | None = Field(None, ge=0, le=1_000_000_000)
    estimate_source: Text200 | None = None


# Severity goes out by name ("P0"), as every client and the template write it.
SeverityOut = Annotated[
    Severity,
    PlainSerializer(lambda s: s.name, return_type=str),
    WithJsonSchema({"type": "string", "enum": [s.name for s in Severity]}),
]


class TestCaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    title: str
    expected: str


class FaultOut(BaseModel):
    """A fault, read from the service's ``FaultView`` by attribute."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    type_code: str
    title: str
    status: FaultStatus
    severity: SeverityOut | None
    product: str | None = Field(validation_alias="product_code")
    function: str | None = Field(validation_alias="function_code")
    affected_users: int
    estimated_users: int | None
    registered_at: datetime
    registered_by: str
    updated_at: datetime
    version: int
    report_count: int
    reopen_count: int = 0
    fix_version: str | None = Field(None, description="the build the developer marked ready (修复完成)")
    released_version: str | None = Field(None, description="the version released to everyone (全量发布)")
    gray_steps: int = 0
    cases: list[TestCaseOut] = Field(default_factory=list)
    impact: Impact | None = None
    revenue_impact: bool = False
    recurrence: Recurrence | None = None
    related_fault: str | None = None
    known_issue: str | None = None
    owners: dict[str, int] = Field(default_factory=dict)
    team: dict[str, Any] | None = None
    merged_into: str | None = None
    estimate_source: str | None = None
    public_title: str | None = Field(None, description="set: a public known issue, with these words for end users")
    public_status: str | None = None
    waiting_release: str | None = Field(None, description="a resolved P2 waiting for this version's release")


class FaultDetailOut(FaultOut):
    reports: list[ReportOut] = Field(default_factory=list)

    @classmethod
    def of(cls, fault: FaultView, reports: list[ReportView]) -> FaultDetailOut:
        detail = cls.model_validate(fault)
        detail.reports = [ReportOut.model_validate(r) for r in reports]
        return detail


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

"""The lifecycle commands as every entry point takes them: one body model per action (told apart
by ``action``), its fields as JSON Schema, and the body as the domain's ``lc.Command``.

The API validates ``POST …/transitions`` against ``TransitionIn`` and lists ``fields_of`` in
``GET …/actions``; the web console draws its forms from the same models."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import Severity
from faultdesk.domain.severity import Impact
from faultdesk.entrypoints.common.fields import (
    Day,
    Flag,
    Id,
    Moment,
    Text40,
    Text60,
    Text200,
    Text5000,
    Whole,
    in_zone,
)

SeverityName = Literal["P0", "P1", "P2"]
# A staff user's id: marked in the schema so a form draws a user picker, never a number box.
UserId = Annotated[Id, Field(json_schema_extra={"format": "user-id"})]


class CommandBody(BaseModel):
    """One action's body; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class StartAnalysisIn(CommandBody):
    """PM: is this new, a recurrence of an earlier fault, or a known issue? How bad is it?"""

    action: Literal["start_analysis"]
    recurrence: lc.Recurrence
    impact: Impact
    revenue_impact: Flag = False
    related_fault: Text40 | None = None
    known_issue: Text200 | None = None
    notes: Text5000 | None = None


class GradeIn(CommandBody):
    """Tech lead: confirm the suggested severity or override it with a reason; owners; P0 team."""

    action: Literal["grade"]
    severity: SeverityName
    reason: Text5000 | None = None
    owners: dict[lc.Stage, UserId] = Field(default_factory=dict)
    team_lead: UserId | None = None
    team_members: list[UserId] = Field(default_factory=list, max_length=50)


class RegradeIn(CommandBody):
    action: Literal["regrade"]
    severity: SeverityName
    reason: Text5000


class AssignIn(CommandBody):
    action: Literal["assign"]
    owners: dict[lc.Stage, UserId]


class AcknowledgeIn(CommandBody):
    """Handling team: "we are on it" — meets the response clock (P0: within 15 minutes)."""

    action: Literal["acknowledge"]
    note: Text5000 | None = None


class RecordCauseIn(CommandBody):
    """Developer: the root cause found by logs, reproduction or simulation."""

    action: Literal["record_cause"]
    cause: Text5000
    category: lc.CauseCategory


class ProposePlanIn(CommandBody):
    action: Literal["propose_plan"]
    kind: lc.PlanKind
    description: Text5000
    deadline: Moment


class ReviewPlanIn(CommandBody):
    action: Literal["review_plan"]
    approved: Flag
    comments: Text5000 | None = None
    reviewers: list[Text60] = Field(default_factory=list, max_length=20)


class CaseIn(CommandBody):
    key: Text40
    title: Text200
    expected: Text5000


class AttachCasesIn(CommandBody):
    action: Literal["attach_cases"]
    cases: list[CaseIn] = Field(min_length=1, max_length=200)


class MarkFixReadyIn(CommandBody):
    action: Literal["mark_fix_ready"]
    fix_version: Text60
    notes: Text5000 | None = None


class CaseResultIn(CommandBody):
    key: Text40
    passed: Flag
    notes: Text5000 | None = None


class RecordVerificationIn(CommandBody):
    action: Literal["record_verification"]
    results: list[CaseResultIn] = Field(min_length=1, max_length=200)


class ConfirmIn(CommandBody):
    """Agent, on the reporter's word: recovered (恢复了) or still broken (仍有问题)."""

    action: Literal["confirm"]
    outcome: Literal["recovered", "still_broken"]
    comment: Text5000 | None = None


class RecordGrayStepIn(CommandBody):
    action: Literal["record_gray_step"]
    percentage: Whole = Field(ge=1, le=99)
    at: Moment | None = None
    notes: Text5000 | None = None


class ReleaseFullIn(CommandBody):
    action: Literal["release_full"]
    version: Text60
    announcement: Text5000


class ArchiveIn(CommandBody):
    action: Literal["archive"]
    cause: Text5000
    solution: Text5000
    reporter_feedback: Text5000 | None = None
    satisfaction: Whole | None = Field(None, ge=1, le=5)


class ImprovementIn(CommandBody):
    title: Text200
    owner_id: UserId
    due: Day


class KbArticleIn(CommandBody):
    title: Text200
    symptoms: Text5000
    cause: Text5000
    fix: Text5000
    workaround: Text5000 | None = None
    tags: list[Text40] = Field(default_factory=list, max_length=20)


class RetrospectIn(CommandBody):
    action: Literal["retrospect"]
    analysis: Text5000
    actions: list[ImprovementIn] = Field(default_factory=list, max_length=50)
    article: KbArticleIn | None = None


class MergeIn(CommandBody):
    action: Literal["merge"]
    into: Text40


class CloseNotAFaultIn(CommandBody):
    action: Literal["close_not_a_fault"]
    reason: Text5000


class CloseCannotReproduceIn(CommandBody):
    action: Literal["close_cannot_reproduce"]
    reason: Text5000


TransitionIn = Annotated[
    StartAnalysisIn | GradeIn | RegradeIn | AssignIn | AcknowledgeIn | RecordCauseIn | ProposePlanIn | ReviewPlanIn | AttachCasesIn
    | MarkFixReadyIn | RecordVerificationIn | ConfirmIn | RecordGrayStepIn | ReleaseFullIn | ArchiveIn | RetrospectIn
    | MergeIn | CloseNotAFaultIn | CloseCannotReproduceIn,
    Field(discriminator="action"),
]  # fmt: skip

BODY_OF: dict[lc.Action, type[CommandBody]] = {
    lc.Action.START_ANALYSIS: StartAnalysisIn,
    lc.Action.GRADE: GradeIn,
    lc.Action.REGRADE: RegradeIn,
    lc.Action.ASSIGN: AssignIn,
    lc.Action.ACKNOWLEDGE: AcknowledgeIn,
    lc.Action.RECORD_CAUSE: RecordCauseIn,
    lc.Action.PROPOSE_PLAN: ProposePlanIn,
    lc.Action.REVIEW_PLAN: ReviewPlanIn,
    lc.Action.ATTACH_CASES: AttachCasesIn,
    lc.Action.MARK_FIX_READY: MarkFixReadyIn,
    lc.Action.RECORD_VERIFICATION: RecordVerificationIn,
    lc.Action.CONFIRM: ConfirmIn,
    lc.Action.RECORD_GRAY_STEP: RecordGrayStepIn,
    lc.Action.RELEASE_FULL: ReleaseFullIn,
    lc.Action.ARCHIVE: ArchiveIn,
    lc.Action.RETROSPECT: RetrospectIn,
    lc.Action.MERGE: MergeIn,
    lc.Action.CLOSE_NOT_A_FAULT: CloseNotAFaultIn,
    lc.Action.CLOSE_CANNOT_REPRODUCE: CloseCannotReproduceIn,
}


@dataclass(frozen=True)
class ActionFields:
    """What a caller fills in for one action: the body's fields as JSON Schema (``action`` left out)."""

    properties: dict[str, Any]
    required: list[str]


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with every ``$ref`` replaced by what it names: the answer carries no ``$defs``,
    so a client (or a form) reads the allowed values where the field is."""
    if isinstance(node, dict):
        if "$ref" in node:
            named = defs[node["$ref"].rsplit("/", 1)[1]]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return _inline({**named, **rest}, defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


@functools.cache
def fields_of(action: lc.Action) -> ActionFields:
    """Read-only (one per action, shared: the schema is the same every time and cost the fault
    page 9 ms to build for each of its forms)."""
    schema = BODY_OF[action].model_json_schema()
    defs = schema.get("$defs", {})
    props = {k: _inline(v, defs) for k, v in schema.get("properties", {}).items() if k != "action"}
    required = [r for r in schema.get("required", []) if r != "action"]
    return ActionFields(props, required)


def command_of(body: CommandBody, zone: str, now: datetime) -> lc.Command:
    """The request body as the domain's command (times without a zone are local)."""
    match body:
        case StartAnalysisIn():
            return lc.StartAnalysis(
                body.recurrence, body.impact, body.revenue_impact, body.related_fault, body.known_issue, body.notes
            )
        case GradeIn():
            return lc.Grade(
                severity=Severity[body.severity],
                reason=body.reason,
                owners=dict(body.owners),
                team_lead=body.team_lead,
                team_members=tuple(body.team_members),
            )
        case RegradeIn():
            return lc.Regrade(Severity[body.severity], body.reason)
        case AssignIn():
            return lc.Assign(dict(body.owners))
        case AcknowledgeIn():
            return lc.Acknowledge(body.note)
        case RecordCauseIn():
            return lc.RecordCause(body.cause, body.category)
        case ProposePlanIn():
            deadline = in_zone(body.deadline, zone)
            assert deadline is not None
            return lc.ProposePlan(body.kind, body.description, deadline)
        case ReviewPlanIn():
            return lc.ReviewPlan(body.approved, body.comments or "", tuple(body.reviewers))
        case AttachCasesIn():
            return lc.AttachCases(tuple(lc.TestCase(c.key, c.title, c.expected) for c in body.cases))
        case MarkFixReadyIn():
            return lc.MarkFixReady(body.fix_version, body.notes)
        case RecordVerificationIn():
            return lc.RecordVerification(tuple(lc.CaseResult(r.key, r.passed, r.notes) for r in body.results))
        case ConfirmIn():
            return lc.Confirm(body.outcome == "recovered", body.comment)
        case RecordGrayStepIn():
            return lc.RecordGrayStep(body.percentage, in_zone(body.at, zone) or now, body.notes)
        case ReleaseFullIn():
            return lc.ReleaseFull(body.version, body.announcement)
        case ArchiveIn():
            return lc.Archive(body.cause, body.solution, body.reporter_feedback, body.satisfaction)
        case RetrospectIn():
            article = body.article
            return lc.Retrospect(
                body.analysis,
                tuple(lc.ImprovementAction(a.title, a.owner_id, a.due) for a in body.actions),
                lc.KbArticle(
                    article.title, article.symptoms, article.cause, article.fix, article.workaround, tuple(article.tags)
                )
                if article
                else None,
            )
        case MergeIn():
            return lc.Merge(body.into)
        case CloseNotAFaultIn():
            return lc.CloseNotAFault(body.reason)
        case CloseCannotReproduceIn():
            return lc.CloseCannotReproduce(body.reason)
    raise AssertionError(f"no command for {type(body).__name__}")  # pragma: no cover


# ---- the follow-up's bodies (stage 6 and after), the same for the API and the console ----------


class ImprovementStatusIn(BaseModel):
    """An improvement action closed as done or dropped (or opened again). Unknown fields are
    ignored, as the API always has."""

    status: lc.ActionStatus


class ReleaseIn(BaseModel):
    """A release and its notes (版本更新日志): searched as known issues from then on."""

    product: Text40
    version: Text60
    released_on: Day
    notes: Text5000
    known_issues: Text5000 | None = Field(None, description="已知问题 listed in the release notes")

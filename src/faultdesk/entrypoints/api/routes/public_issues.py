"""Public known issues (issue 12.2): a fault's words for end users, and the report form's
deflection counts. The report form itself asks ``/report/suggestions`` (web/reporter.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from faultdesk.domain.public_issues import PUBLIC_STATUS_MAX, PUBLIC_TITLE_MAX
from faultdesk.entrypoints.api.routes.lifecycle import fault_detail, version_of
from faultdesk.entrypoints.api.schemas import FaultDetailOut
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import Moment, in_zone
from faultdesk.services import public_issues

router = APIRouter(prefix="/api/v1", tags=["known issues"])

PublicTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PUBLIC_TITLE_MAX)]
PublicStatus = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PUBLIC_STATUS_MAX)]


class PublicIssueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    public_title: PublicTitle = Field(description="the title end users read (the fault's own title stays internal)")
    public_status: PublicStatus = Field(description="where it stands, written for end users")


@router.post("/faults/{number}/public", response_model=FaultDetailOut)
def publish(
    number: str,
    body: PublicIssueIn,
    desk: DeskDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> FaultDetailOut:
    """Mark the fault a public known issue (agent, PM, admin), or change its public words: the
    report form suggests it to reporters who describe the same problem."""
    view = public_issues.publish(
        desk, number, body.public_title, body.public_status, actor=actor, if_match=version_of(if_match)
    )
    return fault_detail(desk, view, actor, response)


@router.delete("/faults/{number}/public", response_model=FaultDetailOut)
def withdraw(
    number: str,
    desk: DeskDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> FaultDetailOut:
    """The fault is internal again (its followers stay linked)."""
    view = public_issues.withdraw(desk, number, actor=actor, if_match=version_of(if_match))
    return fault_detail(desk, view, actor, response)


class DeflectionCountsOut(BaseModel):
    shown: int = Field(description="suggestions shown on the report form (each once per form)")
    followed: int = Field(description="reports filed as following a public known issue")
    rate: float | None = Field(description="followed / shown")


@router.get("/deflections", response_model=DeflectionCountsOut)
def deflections(
    desk: DeskDep,
    actor: ActorDep,
    since: Annotated[Moment | None, Query(alias="from")] = None,
    until: Annotated[Moment | None, Query(alias="to")] = None,
) -> DeflectionCountsOut:
    """Deflection on the report form in a period (``from`` ≤ time < ``to``; a time without a
    zone is the organisation's)."""
    counts = public_issues.deflection_counts(
        desk, actor=actor, since=in_zone(since, desk.timezone), until=in_zone(until, desk.timezone)
    )
    return DeflectionCountsOut(shown=counts.shown, followed=counts.followed, rate=counts.rate)

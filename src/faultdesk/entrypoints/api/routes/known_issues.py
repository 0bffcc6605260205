"""Known issues: a report's candidates, release notes, and the synonym list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from faultdesk.entrypoints.api.schemas import CandidateOut
from faultdesk.entrypoints.common.commands import ReleaseIn
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.services import known_issues

router = APIRouter(prefix="/api/v1", tags=["known issues"])


@router.get("/reports/{report_id}/candidates", response_model=list[CandidateOut])
def candidates(
    report_id: IdPath, desk: DeskDep, actor: ActorDep, k: Annotated[int, Query(ge=1, le=20)] = 5
) -> list[CandidateOut]:
    """Is this a known or recurring fault? The best matches with the terms and fields that matched."""
    return [CandidateOut.of(c) for c in known_issues.report_candidates(desk, report_id, actor=actor, k=k)]


class ReleaseOut(BaseModel):
    id: int
    product: str
    version: str
    released_on: date
    notes: str
    known_issues: str | None
    created_at: datetime


@router.post("/releases", response_model=ReleaseOut, status_code=status.HTTP_201_CREATED)
def add_release(body: ReleaseIn, desk: DeskDep, actor: ActorDep) -> ReleaseOut:
    """A release and its notes (版本更新日志): searched as known issues from then on."""
    r = known_issues.add_release(
        desk, body.product, body.version, body.released_on, body.notes, body.known_issues, actor=actor
    )
    return ReleaseOut(
        id=r.id,
        product=r.product_code,
        version=r.version,
        released_on=r.released_on,
        notes=r.notes,
        known_issues=r.known_issues,
        created_at=r.created_at,
    )


class SynonymsIn(BaseModel):
    groups: list[list[Annotated[str, Field(min_length=1, max_length=40)]]] = Field(max_length=500)


@router.get("/synonyms", response_model=SynonymsIn)
def get_synonyms(desk: DeskDep, actor: ActorDep) -> SynonymsIn:
    """The fault-vocabulary synonym groups (empty: the built-in list is in use)."""
    return SynonymsIn(groups=known_issues.synonyms(desk, actor=actor))


@router.put("/synonyms", status_code=status.HTTP_204_NO_CONTENT)
def put_synonyms(body: SynonymsIn, desk: DeskDep, actor: ActorDep) -> None:
    known_issues.set_synonyms(desk, body.groups, actor=actor)

"""Staff accounts an admin manages: a new password, a closed account (each ends every session)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.services import staff

router = APIRouter(prefix="/api/v1/users", tags=["staff accounts"])


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=200, description=f"at least {staff.MIN_PASSWORD} characters")


class AccountOut(BaseModel):
    username: str
    active: bool
    sessions_ended: int = Field(description="web sessions of the user that this change ended")

    @classmethod
    def of(cls, change: staff.AccountChange) -> AccountOut:
        return cls(username=change.user.username, active=change.user.active, sessions_ended=change.sessions_ended)


@router.post("/{username}/password", response_model=AccountOut)
def reset_password(username: str, body: PasswordIn, desk: DeskDep, actor: ActorDep) -> AccountOut:
    """Admin: set a new password; the user's web sessions end (their API tokens stay)."""
    return AccountOut.of(staff.reset_password(desk, username, body.password, actor=actor))


@router.post("/{username}/deactivate", response_model=AccountOut)
def deactivate(username: str, desk: DeskDep, actor: ActorDep) -> AccountOut:
    """Admin: close the account; its sessions end and its API tokens stop working."""
    return AccountOut.of(staff.deactivate_user(desk, username, actor=actor))

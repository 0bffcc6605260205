"""What a lifecycle step made happen: frozen, past-tense facts that ``decide()`` returns (or, for
the registration that numbers a fault before it has a life, the registering service raises) and the
service layer reacts to (``services/reactions.py`` holds the one table of who reacts to what).

Each event's ``name`` is what the fault's audit event lists under ``events``: those names are part
of the stored audit trail and stay as they were. The events added for the reactions only restate
the step the audit event already names as its ``action``, so they are not listed (``listed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from faultdesk.domain.faults import FaultStatus, Severity

if TYPE_CHECKING:  # the lifecycle imports this module for its events
    from faultdesk.domain.lifecycle import CauseCategory, ImprovementAction, KbArticle, Stage


@dataclass(frozen=True)
class DomainEvent:
    name: ClassVar[str]
    listed: ClassVar[bool] = True  # named in the audit event's "events"


@dataclass(frozen=True)
class Registered(DomainEvent):
    """Stage 1 is done: the fault is numbered and these reports are linked to it."""

    name = "registered"
    listed = False  # the audit event's action says it
    report_ids: tuple[int, ...]


@dataclass(frozen=True)
class StateChanged(DomainEvent):
    name = "state_changed"
    from_status: FaultStatus
    to_status: FaultStatus


@dataclass(frozen=True)
class Graded(DomainEvent):
    """The first grading: handling starts."""

    name = "graded"
    listed = False
    severity: Severity


@dataclass(frozen=True)
class SeverityChanged(DomainEvent):
    name = "severity_changed"
    before: Severity | None  # None: the first grading
    after: Severity
    reason: str


@dataclass(frozen=True)
class P0TeamFormed(DomainEvent):
    name = "p0_team_formed"
    lead: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class OwnersChanged(DomainEvent):
    name = "owners_changed"
    owners: dict[Stage, int]


@dataclass(frozen=True)
class Acknowledged(DomainEvent):
    name = "acknowledged"


@dataclass(frozen=True)
class CauseRecorded(DomainEvent):
    name = "cause_recorded"
    listed = False
    category: CauseCategory


@dataclass(frozen=True)
class FixReady(DomainEvent):
    name = "fix_ready"
    fix_version: str


@dataclass(frozen=True)
class Verified(DomainEvent):
    name = "verified"


@dataclass(frozen=True)
class Reopened(DomainEvent):
    name = "reopened"
    why: Literal["verification_failed", "reporter_still_broken"]
    cases: tuple[str, ...] = ()  # the keys of the failed cases


@dataclass(frozen=True)
class Resolved(DomainEvent):
    name = "resolved"
    ships_in: str | None = None  # P2: the fix version the reporter confirmed
    version: str | None = None  # P0/P1: the fully released version


@dataclass(frozen=True)
class Released(DomainEvent):
    """The full release of a P0/P1 fix, with the PM's announcement (产品经理同步发布上线公告)."""

    name = "released"
    listed = False  # the audit event's action (release_full) says it
    version: str
    announcement: str


@dataclass(frozen=True)
class Archived(DomainEvent):
    name = "archived"
    durations: dict[str, int] | None  # minutes from registration to each milestone
    ships_in: str | None


@dataclass(frozen=True)
class Retrospected(DomainEvent):
    name = "retrospected"
    listed = False
    actions: tuple[ImprovementAction, ...]
    article: KbArticle | None


@dataclass(frozen=True)
class Merged(DomainEvent):
    name = "merged"
    into: str  # the surviving fault's number


@dataclass(frozen=True)
class Closed(DomainEvent):
    name = "closed"
    as_status: FaultStatus
    reason: str

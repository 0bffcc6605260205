"""What the metrics port answers (services/metrics.py computes the figures from them; the
definitions are written there once)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.domain.sla import ClockKind
from faultdesk.services.records import FaultFilter


class DurationKind(StrEnum):
    REGISTER = "register"  # a report's arrival → its fault's registration (the register clock)
    GRADE = "grade"  # registration → grading (the grade clock)
    FIRST_REPLY = "first_reply"  # registration → the first reply to reporters (MTTA)
    RESOLVE = "resolve"  # registration → the last resolution (MTTR)


@dataclass(frozen=True)
class MetricScope:
    """The faults the figures count (list filters; ``fault_filter`` carries no period) and the
    period ``[start, end)``; ``now`` decides whether a running clock is already late."""

    start: datetime
    end: datetime
    now: datetime
    fault_filter: FaultFilter = field(default_factory=FaultFilter)


@dataclass(frozen=True)
class DurationStats:
    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None


NO_DURATIONS = DurationStats(0, None, None, None)


@dataclass(frozen=True)
class Volume:
    reports_in: int
    faults_in: int
    reopened: int  # faults of the period reopened at least once
    recurrences: int  # faults of the period marked 复发
    by_severity_type: dict[tuple[Severity | None, str], int]


@dataclass(frozen=True)
class ComplianceRow:
    kind: ClockKind
    severity: Severity | None
    met: int  # met before or at their due time
    breached: int  # breached, met late, or running past due
    pending: int  # running or paused, not yet due


@dataclass(frozen=True)
class BreachRow:
    clock_id: int
    kind: ClockKind
    severity: Severity | None
    due_at: datetime
    breached_at: datetime | None
    met_at: datetime | None
    fault_number: str | None  # None: a report's register clock, the report not registered yet
    fault_title: str | None
    report_id: int | None


@dataclass(frozen=True)
class TopFault:
    number: str
    title: str
    severity: Severity | None
    status: FaultStatus
    affected_users: int
    count: int = 0  # top recurring: how many faults of the period repeat this one


@dataclass(frozen=True)
class ImprovementTally:
    done: int
    overdue: int  # open past their due day
    open: int  # open, not yet due
    dropped: int


@dataclass(frozen=True)
class OpenImprovement:
    fault_number: str
    title: str
    owner: str
    due: date
    status: ActionStatus


@dataclass(frozen=True)
class RetrospectiveRow:
    fault_number: str
    fault_title: str
    recorded_at: datetime
    data: dict[str, Any]  # analysis, actions, article (the stage record as stored)

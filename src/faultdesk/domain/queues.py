"""The staff's queues (UI.md): which stage a fault is in and whose move it is, read from the
lifecycle's own tables so the queues cannot disagree with what the fault page offers.

"My work" is what I own (an owner of any stage, or the P0 special team) or registered (the agent
who took a fault in answers its reporters until it is archived) while the fault is not finished, and every fault whose next move (an action that takes it on to another state) my role
may make. Side exits (merge, close) and bookkeeping actions (assign, regrade, cases, gray steps)
are open to some roles in many states; they are not anyone's turn, so they make no queue.
The administrator may do anything (audited) but owns no stage of the template: their work is
what they own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import FROM, PLAN_AUTHORS, ROLES, TARGETS, Action
from faultdesk.domain.roles import Role

S = FaultStatus


class QueueStage(StrEnum):
    """The template's six stages (UI.md), as the queue tabs name them."""

    INTAKE = "1"  # 故障接收与初步登记
    ANALYSIS = "2"  # 故障分析与分级
    HANDLING = "3"  # 跨部门协同处理
    COMMUNICATION = "4"  # 用户沟通与进度同步
    VERIFICATION = "5"  # 故障解决与验证
    ARCHIVE = "6"  # 闭环归档与复盘


# Stage 4 runs beside stages 2–5 (replies and updates while the fault is handled): no state is
# its own, so its queue is the faults whose reporters are owed a reply (a first-reply or update
# clock not yet met), counted from the clocks.
STAGE_STATUSES: dict[QueueStage, frozenset[FaultStatus]] = {
    QueueStage.INTAKE: frozenset({S.REGISTERED}),
    QueueStage.ANALYSIS: frozenset({S.TRIAGING}),
    QueueStage.HANDLING: frozenset({S.LOCATING, S.PLANNING, S.PLAN_REVIEW, S.FIXING}),
    QueueStage.COMMUNICATION: frozenset(),
    QueueStage.VERIFICATION: frozenset({S.VERIFYING, S.AWAITING_CONFIRMATION, S.RELEASING}),
    QueueStage.ARCHIVE: frozenset({S.RESOLVED, S.ARCHIVED}),
}

# Finished: nothing more is anyone's turn (a retrospective of an archived fault has its own clock).
FINISHED = frozenset({S.ARCHIVED, S.DUPLICATE, S.NOT_A_FAULT, S.CANNOT_REPRODUCE})
UNFINISHED = frozenset(set(S) - FINISHED)

SIDE_EXITS = frozenset({Action.MERGE, Action.CLOSE_NOT_A_FAULT, Action.CLOSE_CANNOT_REPRODUCE})
NEXT_MOVES = tuple(a for a in Action if TARGETS[a] is not None and a not in SIDE_EXITS)


@dataclass(frozen=True)
class Turn:
    """Faults in ``status`` are this role's turn; when ``severities`` is set, only at those
    (a plan is the PM's at P0/P1 and the developer's at P2)."""

    status: FaultStatus
    severities: frozenset[Severity] | None = None


def stage_of(status: FaultStatus) -> QueueStage | None:
    return next((stage for stage, states in STAGE_STATUSES.items() if status in states), None)


def turns_of(role: Role | None) -> tuple[Turn, ...]:
    """Where it is this role's move, by the lifecycle's FROM and ROLES tables."""
    if role is None or role is Role.ADMIN:
        return ()
    turns: dict[FaultStatus, set[Severity] | None] = {}
    for action in NEXT_MOVES:
        if action is Action.PROPOSE_PLAN:
            severities: set[Severity] | None = {sev for sev, who in PLAN_AUTHORS.items() if role in who}
            if not severities:
                continue
        elif role in ROLES[action]:
            severities = None
        else:
            continue
        for status in FROM[action]:
            if status in FINISHED:
                continue
            if status in turns and (turns[status] is None or severities is None):
                turns[status] = None
            elif status in turns:
                turns[status] = {*(turns[status] or set()), *(severities or set())}
            else:
                turns[status] = severities
    return tuple(
        Turn(status, frozenset(sev) if sev is not None else None)
        for status, sev in sorted(turns.items(), key=lambda kv: list(S).index(kv[0]))
    )


def is_turn_of(role: Role | None, status: FaultStatus, severity: Severity | None) -> bool:
    return any(t.status is status and (t.severities is None or severity in t.severities) for t in turns_of(role))

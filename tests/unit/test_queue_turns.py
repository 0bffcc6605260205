"""Whose move a fault is (domain/queues.py), read from the lifecycle's tables."""

from __future__ import annotations

from faultdesk.domain.faults import FaultStatus as S
from faultdesk.domain.faults import Severity
from faultdesk.domain.lifecycle import FaultLife, Party, available
from faultdesk.domain.queues import NEXT_MOVES, STAGE_STATUSES, QueueStage, is_turn_of, stage_of, turns_of
from faultdesk.domain.roles import Role


def test_each_role_has_the_moves_of_the_template():
    def states(role: Role) -> set[S]:
        return {t.status for t in turns_of(role)}

    assert states(Role.PM) == {S.REGISTERED, S.PLANNING, S.RELEASING, S.RESOLVED}
    assert states(Role.TECH_LEAD) == {S.TRIAGING, S.LOCATING, S.PLAN_REVIEW}
    assert states(Role.DEVELOPER) == {S.LOCATING, S.PLANNING, S.FIXING}
    assert states(Role.TESTER) == {S.VERIFYING}
    assert states(Role.AGENT) == {S.AWAITING_CONFIRMATION, S.RESOLVED}
    assert turns_of(Role.ADMIN) == ()


def test_a_plan_is_the_pms_at_p0_and_p1_and_the_developers_at_p2():
    assert is_turn_of(Role.PM, S.PLANNING, Severity.P0) and not is_turn_of(Role.PM, S.PLANNING, Severity.P2)
    assert is_turn_of(Role.DEVELOPER, S.PLANNING, Severity.P2)
    assert not is_turn_of(Role.DEVELOPER, S.PLANNING, Severity.P1)


def test_a_turn_is_a_move_the_fault_page_offers():
    """Every turn is an action ``available`` gives that role in that state (the page's actions)."""
    for role in Role:
        for turn in turns_of(role):
            for severity in turn.severities or [Severity.P1]:
                life = FaultLife(number="x", status=turn.status, severity=severity)
                assert set(available(life, Party(role))) & set(NEXT_MOVES), (role, turn)


def test_every_open_state_is_in_one_stage():
    assert stage_of(S.FIXING) is QueueStage.HANDLING and stage_of(S.DUPLICATE) is None
    seen = [s for states in STAGE_STATUSES.values() for s in states]
    assert len(seen) == len(set(seen))

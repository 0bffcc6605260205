"""The table of reactions to the lifecycle's events, and the event names the audit trail keeps."""

from __future__ import annotations

from datetime import date

from faultdesk.domain import events as ev
from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import FaultLife, Party
from faultdesk.domain.roles import Role
from faultdesk.services.reactions import REACTIONS

S = FaultStatus
ADMIN = Party(Role.ADMIN)


def _kinds(cls: type[ev.DomainEvent]) -> set[type[ev.DomainEvent]]:
    return {cls} | {k for sub in cls.__subclasses__() for k in _kinds(sub)}


def test_every_event_has_a_row_in_the_table_even_when_nothing_reacts():
    assert set(REACTIONS) == _kinds(ev.DomainEvent) - {ev.DomainEvent}


def test_event_names_are_unique_snake_case():
    names = [k.name for k in REACTIONS]
    assert len(names) == len(set(names))
    assert all(n.isidentifier() and n == n.lower() for n in names)


def listed(life: FaultLife, command: lc.Command) -> list[str]:
    return [e.name for e in lc.decide(life, command, ADMIN).events if e.listed]


def test_the_audit_trail_lists_the_names_it_always_listed():
    triaging = FaultLife("261125-01-001", S.TRIAGING)
    p0 = lc.Grade(Severity.P0, reason="支付中断", team_lead=1, team_members=(2,))
    assert listed(triaging, p0) == ["state_changed", "severity_changed", "p0_team_formed"]
    locating = FaultLife("261125-01-001", S.LOCATING, Severity.P1)
    assert listed(locating, lc.RecordCause("校验过严", lc.CauseCategory.CODE_LOGIC)) == ["state_changed"]
    archived = FaultLife("261125-01-001", S.ARCHIVED, Severity.P1)
    action = lc.ImprovementAction("补充用例", 5, date(2026, 12, 10))
    assert listed(archived, lc.Retrospect("评审遗漏", (action,))) == []


def test_a_first_grading_is_graded_and_changes_severity_from_none():
    events = lc.decide(FaultLife("261125-01-001", S.TRIAGING), lc.Grade(Severity.P2), ADMIN).events
    assert ev.Graded(Severity.P2) in events
    assert ev.SeverityChanged(None, Severity.P2, "suggested") in events


def test_the_archive_carries_the_durations_the_service_filled_in():
    resolved = FaultLife("261125-01-001", S.RESOLVED, Severity.P2, fix_version="5.3.0")
    durations = {"to_resolved_min": 30, "to_archived_min": 60}
    decision = lc.decide(resolved, lc.Archive("原因", "方案", durations=durations), ADMIN)
    assert decision.events[-1] == ev.Archived(durations, "5.3.0")
    assert decision.record["durations"] == durations and decision.record["ships_in"] == "5.3.0"


def test_the_full_release_carries_the_version_and_the_announcement_to_its_reactions():
    releasing = FaultLife("261125-01-001", S.RELEASING, Severity.P1, fix_version="5.2.2", gray_steps=1)
    decision = lc.decide(releasing, lc.ReleaseFull("5.2.2", "登录问题已修复，请升级"), ADMIN)
    assert ev.Released("5.2.2", "登录问题已修复，请升级") in decision.events
    assert [e.name for e in decision.events if e.listed] == ["state_changed", "resolved"]  # the trail as before
    p2 = FaultLife("261125-01-001", S.AWAITING_CONFIRMATION, Severity.P2, fix_version="5.2.2")
    assert not [e for e in lc.decide(p2, lc.Confirm(True), ADMIN).events if isinstance(e, ev.Released)]


def test_registration_and_release_are_rows_of_the_table():
    from faultdesk.services import clocks, reactions

    assert REACTIONS[ev.Registered] == (clocks.on_registered, reactions.tell_on_duty_of_registration)
    assert REACTIONS[ev.Released] == (
        reactions.publish_release_announcement,
        reactions.tell_reporters_released,
        reactions.keep_release,
    )

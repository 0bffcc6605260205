"""Driving a fault through its lifecycle: one use case, one transaction, per action."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import Conflict, FieldProblem, NotFound, NotPermitted, RuleViolation, StaleVersion
from faultdesk.domain.events import Merged
from faultdesk.domain.faults import STATUS_WORDS
from faultdesk.domain.lifecycle import Action, Party
from faultdesk.domain.roles import Permission
from faultdesk.domain.severity import Suggestion, suggest_severity
from faultdesk.services import clocks, followup, impact, promises, reactions
from faultdesk.services.access import check_version, require
from faultdesk.services.access import fault_by_number as _fault
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import (
    Actor,
    AuditEvent,
    FaultChanges,
    FaultView,
    ImprovementRecord,
    KbArticleRecord,
    ReporterRating,
    SeverityChange,
    StageRecord,
    Step,
)


def party_of(actor: Actor) -> Party:
    return Party(role=actor.role)


def act(desk: Desk, number: str, command: lc.Command, *, actor: Actor, if_match: int | None = None) -> FaultView:
    """Apply one lifecycle action to a fault, as ``actor``; ``if_match`` guards against stale edits."""
    with desk.uow() as uow:
        view = _fault(uow, number)
        result = _act(desk, uow, view, command, actor, party_of(actor), if_match)
        uow.commit()
    return result


def confirm_by_reporter(desk: Desk, token: str, *, recovered: bool, comment: str | None) -> FaultView:
    """The reporter answers "恢复了 / 仍有问题" with their tracking token."""
    with desk.uow() as uow:
        report = uow.reports.by_token_hash(desk.secrets.digest(token))
        if report is None:
            raise NotFound("unknown tracking token", "查询码无效")
        if report.fault_id is None:
            raise Conflict("this report has not been registered as a fault yet", "该反馈尚未登记为故障单")
        view = uow.faults.by_id(report.fault_id)
        assert view is not None
        reporter = Actor(None, f"reporter:{report.id}", None)
        command = lc.Confirm(recovered=recovered, comment=comment, by_reporter=True)
        result = _act(desk, uow, view, command, reporter, Party(role=None, is_reporter=True), None)
        uow.commit()
    return result


def _act(
    desk: Desk,
    uow: UnitOfWork,
    view: FaultView,
    command: lc.Command,
    actor: Actor,
    party: Party,
    if_match: int | None,
) -> FaultView:
    check_version(view, if_match)
    now = desk.clock.now()
    command, changes = _resolve(desk, uow, view, command, now)
    decision = lc.decide(view.life, command, party)
    before, after = decision.before, decision.after
    changes = replace(
        changes,
        status=after.status,
        severity=after.severity,
        reopen_count=after.reopen_count,
        cases=after.cases,
        gray_steps=after.gray_steps,
        fix_version=after.fix_version,
    )
    if waits := promises.waiting_for(uow, view, promises.ships_in(decision.events)):
        changes = replace(changes, waiting_release=waits)  # a P2's reporters hear when it ships
    if not uow.faults.update(view.id, view.version, changes, now):
        if if_match is not None:
            raise StaleVersion("the fault changed meanwhile: reload and retry", "故障单已被他人修改，请刷新后重试")
        raise Conflict("the fault changed meanwhile: reload and retry", "故障单已被他人修改，请刷新后重试")
    uow.faults.add_stage_record(view.id, decision.action, decision.record, actor, now)
    after_view = uow.faults.by_id(view.id)
    assert after_view is not None
    reactions.react(desk, uow, Step(view, after_view, actor, now), decision.events)
    uow.audit.record(
        AuditEvent(
            at=now,
            actor=actor,
            entity="fault",
            entity_id=view.number,
            action=decision.action.value,
            fault_id=view.id,
            before={
                "status": before.status.value,
                "severity": before.severity.name if before.severity is not None else None,
            },
            after={
                "status": after.status.value,
                "severity": after.severity.name if after.severity is not None else None,
                "record": decision.record,
                "events": [e.name for e in decision.events if e.listed],
            },
        )
    )
    if not any(isinstance(e, Merged) for e in decision.events):
        return after_view  # no reaction writes the fault row itself: no second read per action
    fresh = uow.faults.by_id(view.id)  # a merge moved its reports away and zeroed its count
    assert fresh is not None
    return fresh


def _resolve(
    desk: Desk, uow: UnitOfWork, view: FaultView, command: lc.Command, now: datetime
) -> tuple[lc.Command, FaultChanges]:
    """Check references against the store and fill in what the service knows (the suggestion, the
    archive's durations); the changes are those beyond the lifecycle's own."""
    changes = FaultChanges()
    match command:
        case lc.StartAnalysis():
            related_id = None
            if command.related_fault:
                related = uow.faults.by_number(command.related_fault)
                if related is None or related.id == view.id:
                    raise RuleViolation.one("related_fault", "no such earlier fault", "原故障单不存在")
                related_id = related.id
            changes = FaultChanges(
                impact=command.impact,
                revenue_impact=command.revenue_impact,
                recurrence=command.recurrence,
                related_fault_id=related_id,
                known_issue=command.known_issue,
            )
        case lc.Grade():
            _users_exist(uow, {"owners": list(command.owners.values())})
            _users_exist(uow, {"team_lead": [command.team_lead] if command.team_lead else []})
            _users_exist(uow, {"team_members": list(command.team_members)})
            suggestion = _suggest(desk, view)
            command = replace(command, suggested=suggestion.severity)
            changes = FaultChanges(owners=_owners(view, command.owners))
            if command.team_lead is not None:
                changes = replace(changes, team=lc.SpecialTeam(command.team_lead, command.team_members))
        case lc.Assign():
            _users_exist(uow, {"owners": list(command.owners.values())})
            changes = FaultChanges(owners=_owners(view, command.owners))
        case lc.ProposePlan():
            command = replace(command, proposed_at=now)  # the deadline is checked against the desk's clock
        case lc.Archive():
            steps = [(r.action, r.recorded_at, r.data) for r in uow.faults.stage_records(view.id)]
            command = replace(command, durations=lc.durations(view.registered_at, steps, now))
            command = _with_reporter_ratings(command, uow.reports.ratings_of_fault(view.id))
        case lc.Retrospect():
            _users_exist(uow, {"actions": [a.owner_id for a in command.actions]})
        case lc.Merge():
            target = uow.faults.by_number(command.into)
            if target is None:
                raise RuleViolation.one("into", "no such fault", "目标故障单不存在")
            if target.status in lc.CLOSED_STATES:
                raise RuleViolation.one(
                    "into",
                    f"fault {target.number} is closed ({STATUS_WORDS[target.status][1]})",
                    f"目标故障单已关闭（{STATUS_WORDS[target.status][0]}）",
                )
            changes = FaultChanges(merged_into_id=target.id)
        case _:
            pass
    return command, changes


def _owners(view: FaultView, named: dict[lc.Stage, int]) -> dict[lc.Stage, int]:
    """The fault's owners per stage, with those just named in their stages."""
    return {**{lc.Stage(stage): user_id for stage, user_id in view.owners.items()}, **named}


def _users_exist(uow: UnitOfWork, named: dict[str, list[int]]) -> None:
    problems = [
        FieldProblem(field, f"no user {uid}", f"用户 {uid} 不存在")
        for field, ids in named.items()
        for uid in ids
        if uow.users.by_id(uid) is None
    ]
    if problems:
        raise RuleViolation(problems)


def _suggest(desk: Desk, view: FaultView) -> Suggestion:
    return suggest_severity(
        criticality=view.function_criticality,
        impact=view.impact,
        affected_users=view.impact_users,
        revenue_impact=view.revenue_impact,
        rules=desk.severity_rules,
    )


# ---- read side and the smaller edits around the lifecycle ---------------------------------


def available_actions(desk: Desk, number: str, *, actor: Actor) -> tuple[FaultView, list[Action]]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        view = _fault(uow, number)
    return view, lc.available(view.life, party_of(actor))


def severity_suggestion(desk: Desk, number: str, *, actor: Actor) -> Suggestion:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return _suggest(desk, _fault(uow, number))


def stage_records(desk: Desk, number: str, *, actor: Actor) -> list[StageRecord]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.faults.stage_records(_fault(uow, number).id)


def severity_history(desk: Desk, number: str, *, actor: Actor) -> list[SeverityChange]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.faults.severity_history(_fault(uow, number).id)


def link_reports(desk: Desk, number: str, report_ids: list[int], *, actor: Actor) -> FaultView:
    """More reports of the same fault: link them and recount the affected users."""
    require(actor, Permission.REGISTER_FAULT)
    now = desk.clock.now()
    with desk.uow() as uow:
        view = _fault(uow, number)
        if view.status in lc.CLOSED_STATES:
            raise Conflict(f"fault {number} is closed", f"故障单 {number} 已关闭")
        for report_id in report_ids:
            report = uow.reports.get(report_id)
            if report is None:
                raise RuleViolation.one("report_ids", f"no report {report_id}", f"反馈 {report_id} 不存在")
            if report.fault_id is not None:
                raise Conflict(
                    f"report {report_id} already belongs to fault {report.fault_number}",
                    f"反馈 {report_id} 已属于故障单 {report.fault_number}",
                )
        if uow.reports.link(report_ids, view.id) != len(report_ids):
            raise Conflict("a report was linked to another fault meanwhile", "有反馈已被登记到其他故障单")
        result = _recount(desk, uow, view, actor, now, "reports_linked", {"report_ids": report_ids})
        uow.commit()
    return result


def unlink_report(desk: Desk, number: str, report_id: int, *, actor: Actor) -> FaultView:
    require(actor, Permission.REGISTER_FAULT)
    now = desk.clock.now()
    with desk.uow() as uow:
        view = _fault(uow, number)
        if not uow.reports.unlink(report_id, view.id):
            raise NotFound(f"report {report_id} is not on fault {number}", f"反馈 {report_id} 不属于故障单 {number}")
        if not uow.reports.reporter_keys(view.id) and view.status not in lc.CLOSED_STATES:
            raise Conflict("an open fault keeps at least one report", "未关闭的故障单至少保留一条反馈")
        result = _recount(desk, uow, view, actor, now, "report_unlinked", {"report_id": report_id})
        uow.commit()
    return result


def set_estimate(desk: Desk, number: str, users: int | None, source: str | None, *, actor: Actor) -> FaultView:
    """An estimate of affected users beyond those who reported (e.g. from monitoring), with its source."""
    require(actor, Permission.REGISTER_FAULT)
    if users is not None and not (source and source.strip()):
        raise RuleViolation.one("source", "say where the estimate comes from", "请说明估算来源")
    now = desk.clock.now()
    with desk.uow() as uow:
        view = _fault(uow, number)
        uow.faults.set_estimate(view.id, users, source, now)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "fault",
                number,
                "estimate_set",
                fault_id=view.id,
                before={"estimated_users": view.estimated_users, "source": view.estimate_source},
                after={"estimated_users": users, "source": source},
            )
        )
        fresh = impact.recount(desk, uow, view.id, now)  # an estimate past a threshold raises severity too
        uow.commit()
    return fresh


def _recount(
    desk: Desk, uow: UnitOfWork, view: FaultView, actor: Actor, now: datetime, action: str, data: dict[str, Any]
) -> FaultView:
    count = impact.recount(desk, uow, view.id, now).affected_users
    uow.audit.record(
        AuditEvent(
            now,
            actor,
            "fault",
            view.number,
            action,
            fault_id=view.id,
            before={"affected_users": view.affected_users},
            after={**data, "affected_users": count},
        )
    )
    fresh = uow.faults.by_id(view.id)
    assert fresh is not None
    return fresh


def improvements(
    desk: Desk,
    *,
    actor: Actor,
    number: str | None = None,
    status: lc.ActionStatus | None = None,
    owner: str | None = None,
    offset: int = 0,
    limit: int | None = None,
) -> list[ImprovementRecord]:
    """Improvement actions by due day: of one fault, in one status, of one owner (a username)."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault_id = _fault(uow, number).id if number else None
        owner_id = None
        if owner:
            found = uow.users.by_username(owner)
            if found is None:
                raise RuleViolation.one("owner", "no such person", "没有这个人")
            owner_id = found.id
        return uow.knowledge.improvements(
            fault_id=fault_id, status=status, owner_id=owner_id, offset=offset, limit=limit
        )


def set_improvement_status(
    desk: Desk, improvement_id: int, status: lc.ActionStatus, *, actor: Actor
) -> ImprovementRecord:
    """The owner, a PM or an admin closes an improvement action as done or dropped."""
    now = desk.clock.now()
    with desk.uow() as uow:
        item = uow.knowledge.improvement(improvement_id)
        if item is None:
            raise NotFound(f"no improvement action {improvement_id}", f"改进措施 {improvement_id} 不存在")
        if not followup.may_set_improvement_status(actor, item):
            raise NotPermitted("only its owner or a PM may update it", "仅负责人或产品经理可更新")
        uow.knowledge.set_improvement_status(improvement_id, status, now)
        if status is not lc.ActionStatus.OPEN:
            clocks.on_improvement_closed(uow, improvement_id, now)
        fault = uow.faults.by_number(item.fault_number)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "improvement_action",
                str(improvement_id),
                "status_changed",
                fault_id=fault.id if fault else None,
                before={"status": item.status.value},
                after={"status": status.value},
            )
        )
        fresh = uow.knowledge.improvement(improvement_id)
        uow.commit()
    assert fresh is not None
    return fresh


def search_kb(desk: Desk, query: str | None, *, actor: Actor, limit: int = 20) -> list[KbArticleRecord]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.knowledge.search_articles(query, limit)


def _with_reporter_ratings(command: lc.Archive, ratings: list[ReporterRating]) -> lc.Archive:
    """The archive record's 用户反馈 / 满意度: what the archivist wrote, else what the reporters
    said on their tracking pages (the mean rating, their comments one a line)."""
    if not ratings:
        return command
    satisfaction = command.satisfaction
    if satisfaction is None:
        total, n = sum(r.satisfaction for r in ratings), len(ratings)
        satisfaction = (2 * total + n) // (2 * n)  # the mean, halves rounded up
    feedback = command.reporter_feedback or "\n".join(r.comment for r in ratings if r.comment) or None
    return replace(command, satisfaction=satisfaction, reporter_feedback=feedback)

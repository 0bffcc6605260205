"""What the desk does once a lifecycle step has happened: one table from each domain event to its
reactions (cosmicpython's ``EVENT_HANDLERS``), run in the step's own transaction. Messages go to
the outbox in that same commit, so nothing runs after it and no failure is dropped.

A row's reactions run in the order written, and the events of a step in the order ``decide()``
returned them; the rows where that order matters say why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar, cast

from faultdesk.domain.events import (
    Acknowledged,
    Archived,
    CauseRecorded,
    Closed,
    DomainEvent,
    FixReady,
    Graded,
    Merged,
    OwnersChanged,
    P0TeamFormed,
    Registered,
    Released,
    Reopened,
    Resolved,
    Retrospected,
    SeverityChanged,
    StateChanged,
    Verified,
)
from faultdesk.domain.sla import ClockKind
from faultdesk.services import clocks, followup, impact, messages, promises
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import AuditEvent, Step

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Desk, UnitOfWork, Step, E], None]


def react(desk: Desk, uow: UnitOfWork, step: Step, events: Iterable[DomainEvent]) -> None:
    """Run each event's reactions, event by event."""
    for event in events:
        for handler in REACTIONS[type(event)]:
            handler(desk, uow, step, event)


# ---- records kept with the step ---------------------------------------------------------------


def keep_severity_change(desk: Desk, uow: UnitOfWork, step: Step, event: SeverityChanged) -> None:
    uow.faults.add_severity_change(step.after.id, event.before, event.after, event.reason, step.actor, step.now)


def keep_retrospective(desk: Desk, uow: UnitOfWork, step: Step, event: Retrospected) -> None:
    """The improvement actions and the knowledge-base article the retrospective produced."""
    for item in event.actions:
        uow.knowledge.add_improvement(step.after.id, item.title, item.owner_id, item.due, step.now)
    if event.article:
        uow.knowledge.add_article(step.after.id, event.article, step.actor, step.now)


def absorb_into_survivor(desk: Desk, uow: UnitOfWork, step: Step, event: Merged) -> None:
    """The surviving fault takes the duplicate's reports and counts their users; the duplicate none."""
    target = uow.faults.by_number(event.into)
    assert target is not None  # checked before deciding
    uow.reports.move(step.before.id, target.id)
    impact.recount(desk, uow, target.id, step.now)
    uow.faults.set_affected_users(step.before.id, 0, step.now, bump_version=False)
    uow.audit.record(
        AuditEvent(
            step.now,
            step.actor,
            "fault",
            target.number,
            "absorbed",
            fault_id=target.id,
            after={"from": step.before.number},
        )
    )


# ---- who hears of it --------------------------------------------------------------------------


def tell_on_duty_of_registration(desk: Desk, uow: UnitOfWork, step: Step, event: Registered) -> None:
    """信息同步, the end of stage 1: the PMs and tech leads on duty hear of the new fault, by e-mail
    and the group robots (in working hours: nobody has graded it P0 yet)."""
    fault_type = uow.catalogue.fault_type(step.after.type_code)
    label = (fault_type.label_en if desk.language == "en" else fault_type.label_zh) if fault_type else ""
    ctx = {"type": label or step.after.type_code, "link": messages.staff_link(desk, step.after)}
    on_duty = messages.on_duty(uow, step.after)
    messages.to_staff(desk, uow, step.after, on_duty, "registered", ctx, step.now, robots=True)


def tell_team_of_p0(desk: Desk, uow: UnitOfWork, step: Step, event: P0TeamFormed) -> None:
    lead = uow.users.by_id(event.lead)
    team = messages.staff_for(uow, step.after, "team")
    ctx = {"lead": lead.display_name if lead else "-"}
    messages.to_staff(desk, uow, step.after, team, "p0_opened", ctx, step.now, robots=True)


def tell_owners_if_raised(desk: Desk, uow: UnitOfWork, step: Step, event: SeverityChanged) -> None:
    if event.before is not None and event.after < event.before:  # raised: P0 is the smallest
        messages.severity_raised(desk, uow, step.after, event.before, event.after, event.reason, step.now)


def tell_reporters_closing(desk: Desk, uow: UnitOfWork, step: Step, event: Verified) -> None:
    """Verified: the reporters are asked whether it works for them again."""
    messages.to_reporters(desk, uow, step.after, "closing", {}, step.now)


def publish_release_announcement(desk: Desk, uow: UnitOfWork, step: Step, event: Released) -> None:
    """The PM's announcement goes to the staff who answer for the fault and to the group robots."""
    ctx = {"version": event.version, "announcement": event.announcement, "link": messages.staff_link(desk, step.after)}
    audience = messages.release_audience(uow, step.after)
    messages.to_staff(desk, uow, step.after, audience, "release_announced", ctx, step.now, robots=True)


def keep_release(desk: Desk, uow: UnitOfWork, step: Step, event: Released) -> None:
    """The full release is a release of the fault's product: on the releases page, in the index's
    release notes, and told to the faults waiting on that version (a version already kept, with
    its own notes, stays as it is)."""
    product = step.after.product_code
    if product:
        note = promises.ReleaseNote(product, event.version, followup.local_today(desk), event.announcement)
        promises.record_release(desk, uow, note, step.actor, step.now, quiet=step.after.id)


def tell_reporters_released(desk: Desk, uow: UnitOfWork, step: Step, event: Released) -> None:
    """Every reporter hears, in their own words, that the fix is live and in which version."""
    messages.to_reporters(desk, uow, step.after, "fix_released", {"version": event.version}, step.now)


def tell_reporters_closed(desk: Desk, uow: UnitOfWork, step: Step, event: Closed) -> None:
    messages.to_reporters(desk, uow, step.before, "closed", {"reason": event.reason}, step.now)


def tell_reporters_merged(desk: Desk, uow: UnitOfWork, step: Step, event: Merged) -> None:
    messages.to_reporters(desk, uow, step.before, "closed", {"reason": f"已合并到 {event.into}"}, step.now)


# ---- the table ------------------------------------------------------------------------------------


def _on(kind: type[E], *handlers: Handler[E]) -> tuple[type[DomainEvent], tuple[Handler[DomainEvent], ...]]:
    """One row; mypy checks that each handler takes this kind of event, and react() passes it no other."""
    return kind, cast(tuple[Handler[DomainEvent], ...], handlers)


K = ClockKind
REACTIONS: dict[type[DomainEvent], tuple[Handler[DomainEvent], ...]] = dict(
    [
        _on(Registered, clocks.on_registered, tell_on_duty_of_registration),
        _on(StateChanged),
        _on(SeverityChanged, keep_severity_change, clocks.replan, tell_owners_if_raised),
        _on(Graded, clocks.meet(K.GRADE), clocks.start(K.RESPONSE, K.UPDATE)),
        _on(P0TeamFormed, tell_team_of_p0),
        _on(OwnersChanged),
        _on(Acknowledged, clocks.meet(K.RESPONSE)),
        _on(CauseRecorded, clocks.meet(K.RESPONSE)),
        _on(FixReady, clocks.start(K.VERIFY)),
        _on(Verified, clocks.meet(K.VERIFY), tell_reporters_closing),
        _on(Reopened, clocks.meet(K.VERIFY)),
        _on(
            Resolved,
            clocks.meet(K.UPDATE, K.RESPONSE, K.FIRST_REPLY),
            clocks.start(K.ARCHIVE, K.RETROSPECT),
            promises.tell_planned,
        ),
        _on(Released, publish_release_announcement, tell_reporters_released, keep_release),
        _on(Archived, clocks.meet(K.ARCHIVE)),
        # the improvement actions are kept first: their clocks start from the stored ones
        _on(Retrospected, keep_retrospective, clocks.meet(K.RETROSPECT), clocks.start_improvements),
        # the duplicate's reporters hear of the merge before their reports move to the survivor
        _on(Merged, clocks.meet_all, tell_reporters_merged, absorb_into_survivor),
        _on(Closed, clocks.meet_all, tell_reporters_closed),
    ]
)

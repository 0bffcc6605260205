"""The P2 promise (issue 12.5): a P2 fault closes as "ships in version X" — its reporters are told
"计划在 X 版本修复，上线后将通知您" — and when a release of X is recorded, the reporters of every
fault waiting on X are told it is out. Both go through the outbox in the step's own transaction.

A fault waits on X in ``faults.waiting_release`` from its resolution until X's release; a fault
that names no product waits on X of any product. X already released when the P2 resolves: its
reporters hear at once that it is out, and nothing waits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.events import DomainEvent, Resolved
from faultdesk.services import messages
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, FaultChanges, FaultView, ReportView, Step


def ships_in(events: Iterable[DomainEvent]) -> str | None:
    """The version a resolving step says the fix ships in (a P2's), if any."""
    return next((e.ships_in for e in events if isinstance(e, Resolved) and e.ships_in), None)


def waiting_for(uow: UnitOfWork, fault: FaultView, version: str | None) -> str | None:
    """What the fault will wait on: the version, unless it is already released."""
    if not version or uow.knowledge.has_release(version, fault.product_code):
        return None
    return version


def tell_planned(desk: Desk, uow: UnitOfWork, step: Step, event: Resolved) -> None:
    """A P2 resolved as shipping in X: the promise, or — X already out — the news that it is."""
    if not event.ships_in:
        return
    key = "fix_planned" if step.after.waiting_release == event.ships_in else "fix_shipped"
    messages.to_reporters(desk, uow, step.after, key, {"version": event.ships_in}, step.now)


def tell_new_follower(desk: Desk, uow: UnitOfWork, fault: FaultView, report: ReportView, now: datetime) -> None:
    """A reporter who joins a fault already waiting on X hears the promise the others heard."""
    if fault.waiting_release:
        ctx = {**messages.reporter_context(desk, fault), "version": fault.waiting_release}
        messages.to_reporter(desk, uow, report, "fix_planned", ctx, now)


@dataclass(frozen=True)
class ReleaseNote:
    product: str  # the product's code
    version: str
    released_on: date
    notes: str
    known_issues: str | None = None


def record_release(
    desk: Desk, uow: UnitOfWork, release: ReleaseNote, actor: Actor, now: datetime, *, quiet: int | None = None
) -> int | None:
    """Keep a release of a product (the releases page, the known-issue index's release notes),
    audited, and tell the faults waiting on it (``tell_released``; not the fault ``quiet``, which
    says so itself). None when the product has that version already; an unknown product is a 422."""
    product_id = uow.catalogue.product_id(release.product)
    if product_id is None:
        raise RuleViolation.one("product", "unknown product", "未知产品")
    if uow.knowledge.has_release(release.version, release.product):
        return None
    release_id = uow.knowledge.add_release(
        product_id, release.version, release.released_on, release.notes, release.known_issues, actor, now
    )
    where = f"{release.product}/{release.version}"
    uow.audit.record(AuditEvent(now, actor, "release", where, "created", after={"notes": release.notes}))
    tell_released(desk, uow, release.product, release.version, actor, now, quiet=quiet)
    return release_id


def tell_released(
    desk: Desk,
    uow: UnitOfWork,
    product_code: str,
    version: str,
    actor: Actor,
    now: datetime,
    *,
    quiet: int | None = None,
) -> int:
    """A release of ``version`` was recorded: every fault waiting on it tells its reporters it is
    out and stops waiting (audited). Returns how many faults were waiting."""
    waiting = [f for f in uow.faults.waiting_on_release(product_code, version) if f.id != quiet]
    for fault in waiting:
        messages.to_reporters(desk, uow, fault, "fix_shipped", {"version": version}, now)
        uow.faults.update(fault.id, fault.version, FaultChanges(waiting_release=None), now)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "fault",
                fault.number,
                "fix_shipped",
                fault_id=fault.id,
                before={"waiting_release": version},
                after={"release": f"{product_code}/{version}"},
            )
        )
    return len(waiting)

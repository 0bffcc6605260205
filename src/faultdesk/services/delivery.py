"""Delivering the outbox: lease a batch, resolve each recipient, send, record the outcome.

At least once: a worker that dies mid-batch leaves its lease to run out, and another worker
sends those messages again with the same message id, so receivers can de-duplicate.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from faultdesk.domain.delivery import next_attempt
from faultdesk.domain.errors import Conflict, NotFound
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import ChannelDown, DeliveryFailed, Envelope, Notifier, UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, StoredMessage

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)  # a batch leased to a worker is not taken by another for this long
SEND_WINDOW = LEASE / 2  # sends start only this long after the lease: one slow send cannot outlast it


class Undeliverable(Exception):
    """The recipient cannot be reached on any channel (e.g. a user without an e-mail)."""


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retried: int
    dead: int
    deferred: int = 0  # put back untried: their channel was down, or the batch ran out of time

    @property
    def tried(self) -> int:
        return self.sent + self.retried + self.dead


def deliver(
    desk: Desk, notifiers: Mapping[str, Notifier], *, limit: int = 100, rng: random.Random | None = None
) -> DeliveryResult:
    """Lease a batch, send what can be sent within SEND_WINDOW, record each outcome.

    A batch never outlives its lease (another worker would send it again) nor holds up the
    worker's clocks: past the window, the rest goes back to the outbox untried and due at once.
    """
    rng = rng or random.Random()
    now = desk.clock.now()
    with desk.uow() as uow:
        batch = uow.outbox.claim(now, LEASE, limit)
        addresses = _addresses(desk, uow, batch)
        uow.commit()
    outcomes: list[tuple[StoredMessage, str | None]] = []
    down: dict[str, tuple[datetime, str]] = {}  # channel -> when to try it again, and why
    deferred: dict[tuple[datetime, str], list[int]] = {}
    for message in batch:
        address = addresses[message.id]
        notifier = notifiers.get(message.channel)
        if message.channel in down:
            deferred.setdefault(down[message.channel], []).append(message.id)
            continue
        if desk.clock.now() >= now + SEND_WINDOW:
            deferred.setdefault((now, "deferred: the batch ran out of time"), []).append(message.id)
            continue
        if isinstance(address, Undeliverable) or notifier is None:
            outcomes.append(
                (message, str(address) if isinstance(address, Undeliverable) else f"no {message.channel} channel")
            )
            continue
        try:
            notifier.send(Envelope(message.message_id, message.kind, address, message.subject, message.body))
            outcomes.append((message, None))
        except ChannelDown as exc:
            outcomes.append((message, str(exc)))
            retry_at = next_attempt(0, desk.clock.now(), rng)
            assert retry_at is not None
            down[message.channel] = (retry_at, f"deferred: {message.channel} is down ({exc})")
        except DeliveryFailed as exc:
            outcomes.append((message, str(exc)))
        except Exception as exc:  # a message that cannot even be prepared fails alone, never the batch
            log.exception("message %s could not be sent", message.message_id)
            outcomes.append((message, f"{type(exc).__name__}: {exc}"))
    for notifier in notifiers.values():
        try:
            notifier.close()
        except Exception:  # the batch's outcomes are known: a failing goodbye must not lose them
            log.exception("closing the %s notifier failed", type(notifier).__name__)
    retried = dead = 0
    done_at = desk.clock.now()
    delivered = [message.id for message, error in outcomes if error is None]
    with desk.uow() as uow:
        uow.outbox.mark_sent(delivered, done_at)
        for message, error in outcomes:
            if error is not None:
                retry_at = next_attempt(message.attempts, done_at, rng)
                uow.outbox.mark_failed(message.id, error, retry_at)
                retried, dead = (retried + 1, dead) if retry_at else (retried, dead + 1)
        for (retry_at, why), ids in deferred.items():
            uow.outbox.release(ids, retry_at, why)
        uow.commit()
    return DeliveryResult(len(delivered), retried, dead, sum(map(len, deferred.values())))


def _addresses(desk: Desk, uow: UnitOfWork, batch: list[StoredMessage]) -> dict[int, str | Undeliverable]:
    """Recipients are references until the last moment: contacts stay encrypted in the outbox.
    A batch's users and reporters are looked up together (two queries, not one per message)."""
    refs = {m.id: m.recipient.partition(":")[::2] for m in batch}
    emails = uow.users.emails(sorted({int(ref) for kind, ref in refs.values() if kind == "user"}))
    ciphers = uow.reports.contact_ciphers(sorted({int(ref) for kind, ref in refs.values() if kind == "report"}))
    addresses: dict[int, str | Undeliverable] = {}
    for row_id, (kind, ref) in refs.items():
        if kind == "report":
            cipher = ciphers.get(int(ref))
            addresses[row_id] = _contact(desk, cipher) if cipher else Undeliverable("the reporter left no contact")
        elif kind == "user":
            addresses[row_id] = emails.get(int(ref)) or Undeliverable(f"user {ref} has no e-mail")
        else:
            addresses[row_id] = ""  # robots and webhooks: the channel is the address
    return addresses


def _contact(desk: Desk, cipher: bytes) -> str | Undeliverable:
    try:
        return desk.secrets.decrypt(cipher)
    except Exception as exc:  # e.g. a contact written under another secret key: this message only
        return Undeliverable(f"the reporter's contact cannot be decrypted ({type(exc).__name__})")


def list_messages(
    desk: Desk, *, actor: Actor, state: str | None, fault: str | None, limit: int = 200, newest_first: bool = False
) -> list[StoredMessage]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        fault_id = None
        if fault:
            view = uow.faults.by_number(fault)
            if view is None:
                raise NotFound(f"no fault {fault}", f"故障单 {fault} 不存在")
            fault_id = view.id
        return uow.outbox.listing(
            state=state, report_id=None, fault_id=fault_id, limit=limit, newest_first=newest_first
        )


def dead_letters(desk: Desk, *, actor: Actor, limit: int) -> tuple[list[StoredMessage], int]:
    """The newest dead letters (up to ``limit``) and how many there are in all: what the admin
    fixes first is what failed last."""
    require(actor, Permission.MANAGE_USERS)
    with desk.uow() as uow:
        newest = uow.outbox.listing(state="dead", report_id=None, fault_id=None, limit=limit, newest_first=True)
        return newest, uow.outbox.count("dead")


def dead_letter_count(desk: Desk, *, actor: Actor) -> int:
    require(actor, Permission.MANAGE_USERS)
    with desk.uow() as uow:
        return uow.outbox.count("dead")


def retry_message(desk: Desk, row_id: int, *, actor: Actor) -> None:
    """Send a dead letter again (after fixing the channel's configuration, say)."""
    require(actor, Permission.MANAGE_USERS)
    now = desk.clock.now()
    with desk.uow() as uow:
        if not uow.outbox.retry(row_id, now):
            raise Conflict(f"message {row_id} is not a dead letter", f"消息 {row_id} 不在死信中")
        uow.audit.record(AuditEvent(now, actor, "message", str(row_id), "retried"))
        uow.commit()


def messages_for_reporter(desk: Desk, token: str) -> list[StoredMessage]:
    """What the reporter with this tracking token was sent (their own messages only)."""
    with desk.uow() as uow:
        report = uow.reports.by_token_hash(desk.secrets.digest(token))
        if report is None:
            raise NotFound("unknown tracking token", "查询码无效")
        return [m for m in uow.outbox.listing(state="sent", report_id=report.id, fault_id=None, limit=200)]

"""Delivering the outbox: lease a batch, resolve each recipient, send, record the outcome.

At least once: a worker that dies mid-batch leaves its lease to run out, and another worker
sends those messages again with the same message id, so receivers can de-duplicate.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from faultdesk.domain.delivery import next_attempt
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import StoredMessage

LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class Envelope:
    message_id: str
    kind: str
    address: str  # e-mail address, phone number, or "" for a group robot
    subject: str
    body: str


class DeliveryFailed(Exception):
    pass


class Notifier(Protocol):
    def send(self, envelope: Envelope) -> None: ...


class Undeliverable(Exception):
    """The recipient cannot be reached on any channel (e.g. a user without an e-mail)."""


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retried: int
    dead: int


def deliver(
    desk: Desk, notifiers: Mapping[str, Notifier], *, limit: int = 100, rng: random.Random | None = None
) -> DeliveryResult:
    rng = rng or random.Random()
    now = desk.clock.now()
    with desk.uow() as uow:
        batch = uow.outbox.claim(now, LEASE, limit)
        addresses = {m.id: _address(desk, uow, m) for m in batch}
        uow.commit()
    outcomes: list[tuple[StoredMessage, str | None]] = []
    for message in batch:
        address = addresses[message.id]
        notifier = notifiers.get(message.channel)
        if isinstance(address, Undeliverable) or notifier is None:
            outcomes.append(
                (message, str(address) if isinstance(address, Undeliverable) else f"no {message.channel} channel")
            )
            continue
        try:
            notifier.send(Envelope(message.message_id, message.kind, address, message.subject, message.body))
            outcomes.append((message, None))
        except DeliveryFailed as exc:
            outcomes.append((message, str(exc)))
    sent = retried = dead = 0
    done_at = desk.clock.now()
    with desk.uow() as uow:
        for message, error in outcomes:
            if error is None:
                uow.outbox.mark_sent(message.id, done_at)
                sent += 1
                continue
            retry_at = next_attempt(message.attempts, done_at, rng)
            uow.outbox.mark_failed(message.id, error, retry_at)
            retried, dead = (retried + 1, dead) if retry_at else (retried, dead + 1)
        uow.commit()
    return DeliveryResult(sent, retried, dead)


def _address(desk: Desk, uow: UnitOfWork, message: StoredMessage) -> str | Undeliverable:
    """Recipients are references until the last moment: contacts stay encrypted in the outbox."""
    kind, _, ref = message.recipient.partition(":")
    if kind == "report":
        cipher = uow.reports.contact_cipher(int(ref))
        return desk.secrets.decrypt(cipher) if cipher else Undeliverable("the reporter left no contact")
    if kind == "user":
        user = uow.users.by_id(int(ref))
        if user is None or not user.email:
            return Undeliverable(f"user {ref} has no e-mail")
        return user.email
    return ""  # robots and webhooks: the channel is the address

"""Delivering the outbox (services/delivery.py deliver) to MemoryNotifiers."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from faultdesk.domain.delivery import MAX_ATTEMPTS
from faultdesk.domain.errors import Conflict
from faultdesk.domain.roles import Role
from faultdesk.services.delivery import deliver, retry_message
from faultdesk.services.desk import Desk
from faultdesk.services.memory import MemoryNotifier
from faultdesk.services.messages import new_message_id
from faultdesk.services.ports import ChannelDown
from faultdesk.services.records import Outgoing, StoredMessage
from tests.unit.services.conftest import outbox, submit


@pytest.fixture
def email() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def webhook() -> MemoryNotifier:
    return MemoryNotifier()


@pytest.fixture
def notifiers(email, webhook) -> dict[str, MemoryNotifier]:
    return {"email": email, "webhook": webhook}


def queue(desk, *recipients: str, channel: str = "email") -> list[str]:
    """Due messages straight into the outbox; their message ids in order."""
    ids = [new_message_id() for _ in recipients]
    now = desk.clock.now()
    with desk.uow() as uow:
        for message_id, who in zip(ids, recipients, strict=True):
            uow.outbox.add(Outgoing(message_id, channel, who, "progress", f"to {who}", "正文", now, now))
        uow.commit()
    return ids


def by_id(desk: Desk) -> dict[str, StoredMessage]:
    return {m.message_id: m for m in outbox(desk)}


def test_a_receipt_reaches_the_reporters_address_and_is_marked_sent(desk, clock, notifiers, email):
    submit(desk, contact="li.lei@example.com")
    result = deliver(desk, notifiers)
    assert (result.sent, result.retried, result.dead, result.deferred) == (1, 0, 0, 0)
    [envelope] = email.sent
    assert (envelope.address, envelope.kind) == ("li.lei@example.com", "receipt")  # decrypted only now
    [stored] = outbox(desk)
    assert (stored.state, stored.attempts, stored.sent_at, stored.message_id) == (
        "sent",
        1,
        clock.now(),
        envelope.message_id,
    )
    assert deliver(desk, notifiers).tried == 0  # nothing is sent twice
    assert email.closed == 2  # each batch lets its connections go


def test_a_refused_message_is_retried_with_backoff_and_then_sent(desk, staff, clock, notifiers, email):
    [refused, taken] = queue(desk, "user:1", "user:2")
    email.fail("agent1@corp.example", reason="550 mailbox unavailable")
    result = deliver(desk, notifiers, rng=random.Random(7))
    assert (result.sent, result.retried) == (1, 1) and [e.address for e in email.sent] == ["pm1@corp.example"]
    failed = by_id(desk)[refused]
    assert (failed.state, failed.attempts, failed.last_error) == ("pending", 1, "550 mailbox unavailable")
    assert clock.now() + timedelta(seconds=15) <= failed.next_attempt_at <= clock.now() + timedelta(seconds=30)
    assert deliver(desk, notifiers).tried == 0  # not due yet
    email.recover("agent1@corp.example")
    clock.set(failed.next_attempt_at)
    assert deliver(desk, notifiers).sent == 1
    assert (by_id(desk)[refused].state, by_id(desk)[refused].attempts, by_id(desk)[taken].attempts) == ("sent", 2, 1)


def test_a_channel_that_is_down_is_tried_once_and_the_rest_wait_untried(desk, staff, clock, notifiers, webhook):
    hooks = queue(desk, *["robot:webhook"] * 4, channel="webhook")
    queue(desk, "user:1", "user:2")
    webhook.fail(error=ChannelDown, reason="503 from the far end")
    result = deliver(desk, notifiers)
    assert (result.sent, result.retried, result.dead, result.deferred) == (2, 1, 0, 3)
    assert len(webhook.tried) == 1 and webhook.sent == []
    rows = by_id(desk)
    assert rows[hooks[0]].attempts == 1
    waiting = [rows[i] for i in hooks[1:]]
    assert all(m.state == "pending" and m.attempts == 0 and "webhook is down" in (m.last_error or "") for m in waiting)
    assert all(m.next_attempt_at <= clock.now() + timedelta(seconds=30) for m in waiting)
    webhook.recover()
    clock.advance(timedelta(minutes=2))
    assert deliver(desk, notifiers).sent == 4
    assert sorted(e.message_id for e in webhook.sent) == sorted(hooks)  # each arrived, once


def test_a_message_that_never_gets_through_is_a_dead_letter_an_admin_can_retry(desk, staff, clock, notifiers, email):
    [message_id] = queue(desk, "user:1")
    email.fail()
    for _ in range(MAX_ATTEMPTS):
        deliver(desk, notifiers)
        clock.advance(timedelta(hours=2))
    dead = by_id(desk)[message_id]
    assert (dead.state, dead.attempts) == ("dead", MAX_ATTEMPTS)
    with pytest.raises(Conflict):
        retry_message(desk, dead.id + 1, actor=staff[Role.ADMIN])
    retry_message(desk, dead.id, actor=staff[Role.ADMIN])
    email.recover()
    assert deliver(desk, notifiers).sent == 1 and by_id(desk)[message_id].state == "sent"


def test_a_recipient_that_cannot_be_reached_is_retried_with_the_reason(desk, notifiers):
    submit(desk, contact=None, reporter_id="u-anon")  # no contact: no receipt
    [user] = queue(desk, "user:99")
    result = deliver(desk, notifiers)
    assert result.retried == 1 and "no e-mail" in (by_id(desk)[user].last_error or "")

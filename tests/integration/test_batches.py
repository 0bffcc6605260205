"""The worker's batch paths on both stores: many outbox rows at once (COPY on PostgreSQL), id lists
as one array parameter, UTC instants read back as UTC, and a fired batch's notices."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.ids import among
from faultdesk.domain import sla
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.clocks import fire_due
from faultdesk.services.messages import new_message_id
from faultdesk.services.records import Outgoing
from tests.conftest import NOW


def test_a_batch_of_messages_is_written_whole_and_reads_back_as_given(wiring):
    messages = [
        Outgoing(
            message_id=new_message_id(),
            channel="email" if i % 2 else "webhook",
            recipient=f"user:{i}",
            kind="clock_breach",
            subject=f"【已超时】{i} 分析分级\t“引号” \\ 反斜杠",  # COPY's own escapes must not leak
            body=f"第 {i} 条\n换行\r\n与 NULL 字样 \\N",
            not_before=NOW + timedelta(microseconds=i),
            created_at=NOW,
        )
        for i in range(600)
    ]
    with wiring.desk.uow() as uow:
        for message in messages:
            uow.outbox.add(message)
        uow.commit()
    with wiring.desk.uow() as uow:
        stored = uow.outbox.listing(state="pending", report_id=None, fault_id=None, limit=1000)
    assert [m.message_id for m in stored] == [m.message_id for m in messages]
    for sent, kept in zip(messages, stored, strict=True):
        assert (kept.channel, kept.recipient, kept.subject, kept.body) == (
            sent.channel,
            sent.recipient,
            sent.subject,
            sent.body,
        )
        assert kept.next_attempt_at == sent.not_before and kept.next_attempt_at.tzinfo is UTC
        assert (kept.fault_id, kept.report_id, kept.attempts, kept.sent_at) == (None, None, 0, None)


def test_a_failed_unit_of_work_leaves_no_messages(wiring):
    with wiring.desk.uow() as uow:
        uow.outbox.add(
            Outgoing(new_message_id(), "email", "user:1", "receipt", "s", "b", NOW, NOW)
        )  # not committed: rolled back with the rest
    with wiring.desk.uow() as uow:
        assert uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=10) == []


def test_a_naive_time_is_refused_before_anything_is_written(wiring):
    naive = NOW.replace(tzinfo=None)
    with wiring.desk.uow() as uow, pytest.raises(ValueError, match="naive"):
        uow.outbox.add(Outgoing(new_message_id(), "email", "user:1", "receipt", "s", "b", naive, NOW))


def test_postgresql_sessions_read_utc_and_keep_the_urls_own_options(store):
    if store.name != "postgresql":
        pytest.skip("a PostgreSQL session setting")
    url = make_url(store.url).update_query_dict({"options": "-c search_path=public,pg_catalog"})
    engine = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar() == "public,pg_catalog"
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
            assert conn.execute(text("SELECT now()")).scalar().tzinfo is UTC
    finally:
        engine.dispose()


def test_an_id_list_selects_exactly_those_rows(wiring):
    with wiring.engine.begin() as conn:
        ids = [
            conn.execute(
                insert(t.users).values(
                    username=f"u{i}", display_name=f"u{i}", role="agent", password_hash="!", active=True, created_at=NOW
                )
            ).inserted_primary_key[0]
            for i in range(30)
        ]
        u = t.users.c
        for wanted in ([], ids[:1], ids[3:20], random.Random(4).sample(ids, 12)):
            got = conn.execute(select(u.id).where(among(conn, u.id, wanted)).order_by(u.id)).scalars().all()
            assert got == sorted(wanted)


def test_message_ids_are_unique_and_no_seed_repeats_them():
    random.seed(7)
    first = new_message_id()
    random.seed(7)
    again = new_message_id()
    assert first != again and re.fullmatch(r"[0-9a-f]{32}", first)
    assert len({new_message_id() for _ in range(10_000)}) == 10_000


def test_a_fired_batch_tells_each_faults_own_owner(wiring, staff, clock):
    """Three faults with different owners, 30 due clocks among them, fired on a Saturday night:
    every breach notice names its fault and goes to that fault's owner, each clock fires once, the
    P0's notices go out at once and the P2s' wait for Monday morning."""
    desk = wiring.desk
    clock.advance(timedelta(days=3, hours=12))  # Saturday 2026-11-28, 22:00 in Shanghai
    now = clock.now()
    owners = {1: 2, 2: 3, 3: 4}  # fault id -> user id (from the staff fixture's users)
    with wiring.engine.begin() as conn:
        for fault_id, owner in owners.items():
            conn.execute(
                insert(t.faults).values(
                    id=fault_id,
                    number=f"261125-01-{fault_id:03d}",
                    type_code="01",
                    title=f"故障 {fault_id}",
                    status="locating",
                    severity=0 if fault_id == 1 else 2,
                    affected_users=5,
                    registered_at=NOW - timedelta(hours=3),
                    registered_by=1,
                    updated_at=NOW,
                    version=1,
                    owners={"handling": owner},
                )
            )
    cal = desk.calendar
    with desk.uow() as uow:
        for i in range(30):
            fault_id = 1 + i % 3
            started = now - timedelta(hours=5, minutes=i)
            due = sla.start_clock(ClockKind.GRADE, None, started, desk.policy, cal, due_at=started + timedelta(hours=1))
            due = sla.fire(due, due.warn_at or due.due_at, desk.policy)[0]  # warned already
            uow.clocks.add(due, fault_id=fault_id)
        uow.commit()
    assert fire_due(desk, limit=500) == 30
    assert fire_due(desk, limit=500) == 0  # escalation is 30 min away
    with desk.uow() as uow:
        sent = uow.outbox.listing(state="pending", report_id=None, fault_id=None, limit=100)
        clocks = uow.clocks.listing([ClockState.BREACHED], None, 100)
    assert len(clocks) == 30 and all(c.clock.escalation_level == 1 for c in clocks)
    emails = [m for m in sent if m.kind == "clock_breach" and m.channel == "email"]
    assert len(emails) == 30
    for m in emails:
        assert m.recipient == f"user:{owners[m.fault_id]}"
        assert f"261125-01-{m.fault_id:03d}" in m.subject
        monday_9am = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
        assert m.next_attempt_at == (now if m.fault_id == 1 else monday_9am)

"""Fault numbers stay unique and gap-free when many agents register at once (issue: item 4)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.passwords import Argon2Passwords
from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.reports import Channel, ReportDraft
from faultdesk.domain.roles import Role
from faultdesk.services.access import actor_of
from faultdesk.services.faults import FaultRegistration, register_fault
from faultdesk.services.intake import submit_report
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_user
from tests.conftest import NOW, PATIENT, TEST_SECRET
from tests.integration.waiting import answers

DAY = "261125"


def _reports(desk, n: int) -> list[int]:
    return [
        submit_report(
            desk,
            ReportDraft(channel=Channel.APP, symptom=f"支付失败 {i}", reporter_id=f"u{i}"),
            actor=Actor.public(),
            client="t",
        ).report.id
        for i in range(n)
    ]


def _numbers(wiring) -> list[str]:
    with wiring.engine.connect() as conn:
        return sorted(conn.execute(select(t.faults.c.number)).scalars())


@pytest.mark.slow
def test_200_threads_registering_at_once_get_001_to_200(wiring):
    desk = wiring.desk
    agent = actor_of(create_user(desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system()))
    report_ids = _reports(desk, 200)

    def one(report_id: int) -> str:
        return register_fault(desk, FaultRegistration("01", report_ids=[report_id]), actor=agent).fault.number

    # 32 threads queue for the pool (on SQLite its one connection): the settings fixture lets
    # each wait as long as the others take on however busy a machine, not a fixed 60 s.
    with ThreadPoolExecutor(max_workers=32) as pool:
        numbers = list(pool.map(one, report_ids))
    expected = [f"{DAY}-01-{i:03d}" for i in range(1, 201)]
    assert sorted(numbers) == expected
    assert _numbers(wiring) == expected


def _register_in_process(url: str, agent_id: int, report_ids: list[int], out: multiprocessing.Queue) -> None:
    # Four processes take turns at SQLite's write lock: each waits for it as long as it takes.
    settings = Settings(database_url=url, secret_key=TEST_SECRET, run_worker=False, db_pool_size=2, **PATIENT)
    wired = bootstrap(
        settings, clock=FixedClock(NOW), passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=64))
    )
    agent = Actor(agent_id, "agent1", Role.AGENT)
    numbers = [
        register_fault(wired.desk, FaultRegistration("02", report_ids=[rid]), actor=agent).fault.number
        for rid in report_ids
    ]
    wired.engine.dispose()
    out.put(numbers)


@pytest.mark.slow
def test_several_processes_registering_at_once_get_a_gap_free_sequence(wiring, store):
    desk = wiring.desk
    agent = create_user(desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system())
    report_ids = _reports(desk, 200)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    slices = [report_ids[i::4] for i in range(4)]
    procs = [ctx.Process(target=_register_in_process, args=(store.url, agent.id, s, out)) for s in slices]
    for p in procs:
        p.start()
    numbers = [n for answer in answers(procs, out) for n in answer]
    expected = [f"{DAY}-02-{i:03d}" for i in range(1, 201)]
    assert sorted(numbers) == expected
    assert _numbers(wiring) == expected


def test_the_serial_widens_past_999(wiring):
    desk = wiring.desk
    agent = actor_of(create_user(desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system()))
    with wiring.engine.begin() as conn:
        conn.execute(insert(t.fault_serials).values(scope=desk.numbers.scope(NOW.date(), "01"), last_serial=998))
    numbers = [
        register_fault(desk, FaultRegistration("01", report_ids=[rid]), actor=agent).fault.number
        for rid in _reports(desk, 3)
    ]
    assert numbers == [f"{DAY}-01-999", f"{DAY}-01-1000", f"{DAY}-01-1001"]


def test_compact_numbers_count_per_day_across_types(store, tmp_path, clock):
    settings = Settings(
        home=tmp_path, database_url=store.url, secret_key=TEST_SECRET, run_worker=False, number_format="compact"
    )
    wired = bootstrap(settings, clock=clock, passwords=Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=64)))
    from faultdesk.services.catalogue import ensure_default_fault_types

    ensure_default_fault_types(wired.desk)
    agent = actor_of(create_user(wired.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system()))
    r1, r2 = _reports(wired.desk, 2)
    a = register_fault(wired.desk, FaultRegistration("01", report_ids=[r1]), actor=agent).fault.number
    b = register_fault(wired.desk, FaultRegistration("04", report_ids=[r2]), actor=agent).fault.number
    assert (a, b) == ("20261125001", "20261125002")
    wired.engine.dispose()

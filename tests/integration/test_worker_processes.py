"""Several worker processes against one store: clocks fire exactly once, a killed worker loses
nothing, and `faultdesk serve` alone e-mails a new P0."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.clock_store import _clock_values
from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.domain.calendars import ALWAYS
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, ClockPolicy, start_clock
from faultdesk.services import clocks, delivery
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_user
from tests.conftest import FAST_PASSWORDS, NOW, TEST_SECRET, a_report, create_staff
from tests.integration.receivers import SECRET, HttpReceiver, SmtpServer, free_port

DUE_CLOCKS = 10_000


def _seed_due_clocks(wiring, faults: int, per_fault: int) -> None:
    agent = create_user(wiring.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system())
    base = start_clock(
        ClockKind.RESPONSE, None, NOW - timedelta(hours=3), ClockPolicy(), ALWAYS, due_at=NOW - timedelta(hours=1)
    )
    with wiring.engine.begin() as conn:
        conn.execute(
            insert(t.faults),
            [
                {
                    "number": f"261125-01-{i:04d}",
                    "type_code": "01",
                    "title": "支付失败",
                    "status": "locating",
                    "severity": 1,
                    "affected_users": 1,
                    "registered_at": NOW,
                    "registered_by": agent.id,
                    "updated_at": NOW,
                    "version": 1,
                }
                for i in range(1, faults + 1)
            ],
        )
        conn.execute(
            insert(t.clocks),
            [{"fault_id": f, **_clock_values(base)} for f in range(1, faults + 1) for _ in range(per_fault)],
        )


def _fire_until_empty(url: str, out: multiprocessing.Queue) -> None:
    settings = Settings(database_url=url, secret_key=TEST_SECRET, run_worker=False, db_pool_size=2)
    wired = bootstrap(settings, clock=FixedClock(NOW), passwords=FAST_PASSWORDS)
    fired = 0
    while n := clocks.fire_due(wired.desk, limit=200):
        fired += n
    wired.engine.dispose()
    out.put(fired)


def test_three_workers_fire_10000_due_clocks_exactly_once(wiring, store):
    _seed_due_clocks(wiring, faults=100, per_fault=DUE_CLOCKS // 100)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [ctx.Process(target=_fire_until_empty, args=(store.url, out)) for _ in range(3)]
    for w in workers:
        w.start()
    fired = [out.get(timeout=300) for _ in workers]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    assert sum(fired) == DUE_CLOCKS
    with wiring.engine.connect() as conn:
        levels = Counter(conn.execute(select(t.clocks.c.escalation_level)).scalars())
        notices = conn.execute(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.kind == "clock_breach")
        ).scalar()
    assert levels == {1: DUE_CLOCKS}  # every clock fired, none twice
    assert notices == DUE_CLOCKS  # one notice per firing: the effects were written once


def test_a_worker_killed_mid_batch_loses_nothing(wiring, store, tmp_path):
    real_now = datetime.now(UTC)  # noqa: TID251 - the worker process runs on the system clock
    with HttpReceiver(delay_s=0.01) as receiver:
        with wiring.engine.begin() as conn:
            conn.execute(
                insert(t.outbox),
                [
                    {
                        "message_id": uuid.uuid4().hex,
                        "channel": "webhook",
                        "recipient": "robot:webhook",
                        "kind": "progress",
                        "subject": f"进展 {i}",
                        "body": "正在修复",
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": real_now - timedelta(minutes=1),
                        "created_at": real_now,
                    }
                    for i in range(400)
                ],
            )
        env = {
            **os.environ,
            "FAULTDESK_DATABASE_URL": store.url,
            "FAULTDESK_SECRET_KEY": TEST_SECRET,
            "FAULTDESK_HOME": str(tmp_path),
            "FAULTDESK_WEBHOOK_URL": receiver.url("/webhook"),
            "FAULTDESK_WEBHOOK_SECRET": SECRET,
        }
        exe = Path(sys.executable).with_name("faultdesk")
        log = (tmp_path / "worker.log").open("wb")
        proc = subprocess.Popen([str(exe), "worker", "--interval", "0.1"], env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while sum(1 for h in receiver.hits if h.ok) < 120:
                assert proc.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, "the worker delivered nothing"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        with wiring.engine.connect() as conn:
            in_flight = conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.state == "sending")
            ).scalar()
        assert 0 < sum(1 for h in receiver.hits if h.ok) < 400
        # A new worker, after the dead one's lease has run out (time moved, not waited for).
        later = bootstrap(
            wiring.settings.with_overrides(webhook_url=receiver.url("/webhook"), webhook_secret=SECRET),
            clock=FixedClock(real_now + timedelta(minutes=5)),
            passwords=FAST_PASSWORDS,
        )
        while delivery.deliver(later.desk, later.notifiers, limit=100).sent:
            pass
        later.engine.dispose()
    with wiring.engine.connect() as conn:
        ids = set(conn.execute(select(t.outbox.c.message_id)).scalars())
        unsent = conn.execute(select(func.count()).select_from(t.outbox).where(t.outbox.c.state != "sent")).scalar()
    got = Counter(h.headers["X-FaultDesk-Delivery"] for h in receiver.hits if h.ok)
    assert set(got) == ids and unsent == 0  # none lost
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= in_flight  # only what the killed worker had in hand went twice


def test_serve_alone_on_sqlite_emails_a_new_p0(tmp_path):
    db = tmp_path / "faultdesk.db"
    settings = Settings(home=tmp_path, database_url=f"sqlite:///{db}", secret_key=TEST_SECRET)
    from faultdesk.adapters.db.migrate import upgrade
    from faultdesk.services.catalogue import ensure_default_fault_types

    wired = bootstrap(settings, passwords=FAST_PASSWORDS)
    upgrade(wired.engine)
    ensure_default_fault_types(wired.desk)
    tokens = create_staff(wired.desk, emails=True)
    wired.engine.dispose()
    with SmtpServer() as smtp:
        port = free_port()
        env = {
            **os.environ,
            "FAULTDESK_HOME": str(tmp_path),
            "FAULTDESK_DATABASE_URL": f"sqlite:///{db}",
            "FAULTDESK_SECRET_KEY": TEST_SECRET,
            "FAULTDESK_SMTP_HOST": "127.0.0.1",
            "FAULTDESK_SMTP_PORT": str(smtp.port),
            "FAULTDESK_WORKER_INTERVAL_S": "0.2",
        }
        exe = Path(sys.executable).with_name("faultdesk")
        log = (tmp_path / "serve.log").open("wb")
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(lambda: _up(base), proc, tmp_path / "serve.log")
            rid = httpx.post(f"{base}/api/v1/reports", json=a_report(), timeout=5).json()["report"]["id"]
            fault = httpx.post(
                f"{base}/api/v1/faults",
                json={"type_code": "01", "report_ids": [rid]},
                headers=tokens["agent"],
                timeout=5,
            )
            number = fault.json()["fault"]["number"]
            steps = [
                ("pm", {"action": "start_analysis", "recurrence": "new", "impact": "outage", "revenue_impact": True}),
                ("tech_lead", {"action": "grade", "severity": "P0", "team_lead": 3, "team_members": [4, 5]}),
            ]
            for role, body in steps:
                res = httpx.post(
                    f"{base}/api/v1/faults/{number}/transitions", json=body, headers=tokens[role], timeout=5
                )
                assert res.status_code == 200, res.text
            _wait_for(lambda: any("P0" in m["Subject"] for m in smtp.messages), proc, tmp_path / "serve.log")
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            log.close()
    p0 = [m for m in smtp.messages if "P0" in m["Subject"]]
    assert {m["X-Rcpt-To"] for m in p0} >= {"tech_lead1@corp.example", "developer1@corp.example"}


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _wait_for(condition, proc, log: Path, seconds: float = 30) -> None:
    """Poll for something another process does (a server starting, a worker sending)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)

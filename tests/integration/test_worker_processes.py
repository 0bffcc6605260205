"""Several worker processes against one store: clocks fire exactly once, a killed worker loses
nothing, and `faultdesk serve` alone e-mails a new P0."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import func, insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.clock_store import clock_values
from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.domain.calendars import ALWAYS
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, ClockPolicy, start_clock
from faultdesk.services import clocks, delivery
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_user
from tests.conftest import FAST_PASSWORDS, JOB_S, NOW, PATIENT, PATIENT_ENV, TEST_SECRET, WAIT_S, a_report, create_staff
from tests.integration.receivers import SECRET, HttpReceiver, SmtpServer, free_port
from tests.integration.waiting import answers, serving, stop, wait_for

pytestmark = pytest.mark.slow  # every test here runs worker or server processes

DUE_CLOCKS = 10_000


def _seed_due_clocks(wiring, faults: int, per_fault: int, severity: int = 1, email: str | None = None) -> None:
    """Faults owned by nobody (the registering agent hears), each with due, already warned clocks."""
    agent = create_user(wiring.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system(), email=email)
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
                    "severity": severity,  # a P0's notices go out at once, whatever the hour
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
            [{"fault_id": f, **clock_values(base)} for f in range(1, faults + 1) for _ in range(per_fault)],
        )


def _fire_until_empty(url: str, out: multiprocessing.Queue) -> None:
    # Three processes take turns at SQLite's write lock: each waits for it as long as it takes.
    settings = Settings(database_url=url, secret_key=TEST_SECRET, run_worker=False, db_pool_size=2, **PATIENT)
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
    fired = answers(workers, out)
    assert sum(fired) == DUE_CLOCKS
    with wiring.engine.connect() as conn:
        levels = Counter(conn.execute(select(t.clocks.c.escalation_level)).scalars())
        notices = conn.execute(
            select(func.count()).select_from(t.outbox).where(t.outbox.c.kind == "clock_breach")
        ).scalar()
    assert levels == {1: DUE_CLOCKS}  # every clock fired, none twice
    assert notices == DUE_CLOCKS  # one notice per firing: the effects were written once


def test_a_worker_killed_mid_batch_loses_nothing(wiring, store, tmp_path):
    """300 due clocks; a real worker fires them and is SIGKILLed while delivering their reminders
    (a robot webhook and an e-mail each): the webhook kills it when its 101st request arrives,
    before answering, so the kill lands mid-batch however fast the machine is. A real worker
    started again delivers the rest. Every clock fired once, every reminder arrived, and only
    what the killed one had in hand came twice."""
    _seed_due_clocks(wiring, faults=30, per_fault=10, severity=0, email="agent1@corp.example")
    started: list[subprocess.Popen[bytes]] = []
    killed = threading.Event()

    def kill_with_the_101st_in_hand(_hit) -> None:
        if len(receiver.hits) == 101 and not killed.is_set():
            started[0].send_signal(signal.SIGKILL)
            killed.set()

    with HttpReceiver(on_request=kill_with_the_101st_in_hand) as receiver, SmtpServer() as smtp:
        env = {
            **os.environ,
            **PATIENT_ENV,
            "FAULTDESK_DATABASE_URL": store.url,
            "FAULTDESK_SECRET_KEY": TEST_SECRET,
            "FAULTDESK_HOME": str(tmp_path),
            "FAULTDESK_WEBHOOK_URL": receiver.url("/webhook"),
            "FAULTDESK_WEBHOOK_SECRET": SECRET,
            "FAULTDESK_SMTP_HOST": "127.0.0.1",
            "FAULTDESK_SMTP_PORT": str(smtp.port),
        }
        exe = str(Path(sys.executable).with_name("faultdesk"))
        log = (tmp_path / "worker.log").open("wb")
        proc = subprocess.Popen([exe, "worker", "--interval", "0.1"], env=env, stdout=log, stderr=log)
        started.append(proc)
        try:
            proc.wait(timeout=JOB_S)  # it ends only by the kill, after 300 firings and 100 sends
            assert killed.is_set() and proc.returncode == -signal.SIGKILL, (tmp_path / "worker.log").read_text()
        finally:
            if proc.poll() is None:
                proc.kill()
            log.close()
        with wiring.engine.connect() as conn:
            levels = Counter(conn.execute(select(t.clocks.c.escalation_level)).scalars())
            notices = Counter(conn.execute(select(t.outbox.c.channel)).scalars())
            in_flight = conn.execute(
                select(func.count()).select_from(t.outbox).where(t.outbox.c.state == "sending")
            ).scalar()
        assert levels == {1: 300} and notices == {"webhook": 300, "email": 300}  # each clock fired once
        assert 0 < sum(1 for h in receiver.hits if h.ok) < 300
        restarted = subprocess.run([exe, "worker", "--once"], env=env, capture_output=True, timeout=JOB_S)
        assert restarted.returncode == 0, restarted.stderr.decode()[-3000:]
        # What the killed worker had leased waits out its lease: time is moved, not waited for.
        later = bootstrap(
            wiring.settings.with_overrides(
                webhook_url=receiver.url("/webhook"), webhook_secret=SECRET, smtp_host="127.0.0.1", smtp_port=smtp.port
            ),
            clock=FixedClock(datetime.now(UTC) + timedelta(minutes=5)),  # noqa: TID251 - past the real lease
            passwords=FAST_PASSWORDS,
        )
        while delivery.deliver(later.desk, later.notifiers, limit=100).tried:
            pass
        later.engine.dispose()
        hooks = Counter(h.headers["X-FaultDesk-Delivery"] for h in receiver.hits if h.ok)
        mails = Counter(m["X-FaultDesk-Delivery"] for m in smtp.messages)
    with wiring.engine.connect() as conn:
        sent = dict(conn.execute(select(t.outbox.c.message_id, t.outbox.c.channel)).all())
        unsent = conn.execute(select(func.count()).select_from(t.outbox).where(t.outbox.c.state != "sent")).scalar()
    assert unsent == 0
    assert set(hooks) == {m for m, c in sent.items() if c == "webhook"}  # none lost
    assert set(mails) == {m for m, c in sent.items() if c == "email"}
    duplicates = sum(n - 1 for n in hooks.values()) + sum(n - 1 for n in mails.values())
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
            **PATIENT_ENV,
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
            wait_for(lambda: serving(base), proc, tmp_path / "serve.log")
            rid = httpx.post(f"{base}/api/v1/reports", json=a_report(), timeout=WAIT_S).json()["report"]["id"]
            fault = httpx.post(
                f"{base}/api/v1/faults",
                json={"type_code": "01", "report_ids": [rid]},
                headers=tokens["agent"],
                timeout=WAIT_S,
            )
            number = fault.json()["fault"]["number"]
            steps = [
                ("pm", {"action": "start_analysis", "recurrence": "new", "impact": "outage", "revenue_impact": True}),
                ("tech_lead", {"action": "grade", "severity": "P0", "team_lead": 3, "team_members": [4, 5]}),
            ]
            for role, body in steps:
                res = httpx.post(
                    f"{base}/api/v1/faults/{number}/transitions", json=body, headers=tokens[role], timeout=WAIT_S
                )
                assert res.status_code == 200, res.text
            wait_for(lambda: any("P0" in m["Subject"] for m in smtp.messages), proc, tmp_path / "serve.log")
        finally:
            stop(proc)
            log.close()
    p0 = [m for m in smtp.messages if "P0" in m["Subject"]]
    assert {m["X-Rcpt-To"] for m in p0} >= {"tech_lead1@corp.example", "developer1@corp.example"}

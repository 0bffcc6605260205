"""Benchmark of issue "clocks": the worker's clock tick and outbox delivery at 1,000,000 running clocks.

    .venv/bin/python bench/clocks.py [--json] [--clocks 1000000] [--ticks 50] [--messages 20000]
                                     [--stores postgresql,sqlite] [--workers 2] [--sqlite-workers 2]
                                     [--email-messages 5000]

For each store: a fresh database (PostgreSQL: ``fdbench_clocks_<rand>`` on 127.0.0.1, dropped at the
end; SQLite: a temp file), migrated with ``upgrade(make_engine(url))``, seeded directly through the
tables (COPY on PostgreSQL, ``executemany`` in big transactions on SQLite; seeding is not measured):
three users (admin, tech lead, agent, with e-mails), 1,000 open faults owned by the agent, and N
running clocks whose ``next_fire_at`` / ``due_at`` lie in the future, except 1 % that are already due
(``next_fire_at = due_at <= now``, warned, not yet breached): firing one breaches it at level 1 and
queues one e-mail to the fault's owner (no robot channel is configured for the tick).

Tick: ``faultdesk.services.clocks.fire_due(desk, limit=500)`` on a Desk from ``bootstrap`` with a
FixedClock at NOW. Baseline: the same effects in hand-written SQL in one transaction on the same
engine (claim 500 due rows ``ORDER BY next_fire_at LIMIT 500 FOR UPDATE SKIP LOCKED`` through the
existing index, look up their faults' owners, mark them breached at level 1 with the next
escalation time, insert one outbox row each with the columns and text FaultDesk writes). The two
alternate (FaultDesk first on even rounds, the baseline first on odd ones) after a few untimed
warm-up rounds; after every measured tick the fired rows are re-armed (back to running and due)
and the outbox is emptied, outside the timing, so both always meet the same due rows and the same
table size (and the same 500 rows: the due times are distinct). On PostgreSQL ``clocks`` is
vacuumed after every round, also outside the timing, so dead row versions do not pile up. A check
after the warm-up compares what the two left behind (clock rows and outbox rows, ids aside).

Delivery: M webhook messages (channel "webhook", recipient "robot:webhook", pending, due) in the
outbox, W worker processes each calling ``faultdesk.services.delivery.deliver(desk, notifiers,
limit=100)`` in a loop until a call finds nothing, with the ``WebhookNotifier`` from ``bootstrap``
pointed at a loopback receiver: a separate asyncio HTTP/1.1 process that answers 200, checks the
HMAC signature and counts unique ``X-FaultDesk-Delivery`` ids. Rate = unique deliveries / (last
worker done - go signal). Targets (PostgreSQL): tick median and p95 <= 1.5 x the baseline's; >= 1,000
messages/s with 2 workers. Then the same for E e-mails (``--email-messages``, default 5,000) to the
agent, through the ``SmtpNotifier`` (one SMTP connection per batch) to an aiosmtpd server in the
receiver process; no target, reported beside.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Engine, bindparam, insert, select, text

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.outbox_store import OUTBOX_ADDED
from faultdesk.adapters.db.types import UtcDateTime
from faultdesk.bootstrap import Wiring, bootstrap
from faultdesk.config import Settings
from faultdesk.domain.clock import FixedClock, SystemClock
from faultdesk.domain.sla import ClockKind
from faultdesk.entrypoints.worker import CLOCK_BATCH, MESSAGE_BATCH
from faultdesk.services.clocks import STAGE_OF, fire_due
from faultdesk.services.delivery import deliver
from faultdesk.services.message_texts import CLOCK_ZH
from faultdesk.services.ports import Envelope
from stores import (  # sibling module: run as `python bench/X.py`
    NO_CHANNELS,
    Store,
    fresh_store,
    stop_on_sigterm,
    store_names,
)

HOST = "127.0.0.1"  # the only address any traffic goes to
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai: inside working hours
ZONE = "Asia/Shanghai"
SECRET_KEY = "bench-secret-key-not-for-production"
WEBHOOK_SECRET = "bench-webhook-secret"
DELIVERY_HEADER = re.compile(rb"X-FaultDesk-Delivery: *(\S+)")
TARGET_RATIO = 1.5
TARGET_DELIVERY_PER_S = 1000.0
QUIET_BUSY = 0.25  # machine busy share that counts as quiet enough to start a measurement
QUIET_WAIT_S = 20.0
WORKER_TIMEOUT_S = 900.0

# Fault-bound kinds; the due ones leave out UPDATE (its breach sends the templated progress update to
# the reporters and starts a new clock instead of telling the owner) and REGISTER (a report's clock).
LIVE_KINDS = (
    ClockKind.GRADE,
    ClockKind.FIRST_REPLY,
    ClockKind.RESPONSE,
    ClockKind.UPDATE,
    ClockKind.VERIFY,
    ClockKind.ARCHIVE,
    ClockKind.RETROSPECT,
)
DUE_KINDS = tuple(k for k in LIVE_KINDS if k is not ClockKind.UPDATE)
NO_SEVERITY = (ClockKind.GRADE, ClockKind.FIRST_REPLY)
SPANS = tuple(timedelta(minutes=m) for m in (15, 60, 360, 24 * 60, 48 * 60))
OPEN_STATUSES = ("triaging", "locating", "planning", "fixing", "verifying")
TITLES = (
    "登录页面忘记密码提示错误",
    "支付完成后订单状态未更新",
    "首页加载缓慢，转圈超过十秒",
    "消息推送收不到",
    "视频播放卡顿并自动退出",
)
CLOCK_COLUMNS = (
    "fault_id",
    "kind",
    "severity",
    "mode",
    "state",
    "started_at",
    "due_at",
    "warn_at",
    "next_fire_at",
    "warned_at",
    "escalation_level",
)
OUTBOX_COLUMNS = OUTBOX_ADDED  # the columns FaultDesk's outbox writes, in its order


def say(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the result (the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "p95": round(percentile(values, 95), 3)}


def machine_cpu() -> tuple[float, float]:
    """The machine's (busy, total) CPU seconds since boot."""
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = cpu[3] + cpu[4]
    return float(sum(cpu) - idle), float(sum(cpu))


def busy_between(before: tuple[float, float], after: tuple[float, float]) -> float:
    return (after[0] - before[0]) / max(1e-9, after[1] - before[1])


def process_cpu() -> dict[int, tuple[str, float]]:
    """Pid -> (command name, CPU seconds so far) for every process on the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The command name may hold spaces or parentheses: the fields follow the last ")".
                head, _, rest = (entry / "stat").read_text().rpartition(")")
                fields = rest.split()
                out[int(entry.name)] = (head.partition("(")[2], (int(fields[11]) + int(fields[12])) / tick)
    return out


def cpu_split(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], ours: set[int], seconds: float
) -> dict[str, float]:
    """Cores used over ``seconds`` by this benchmark's processes, by PostgreSQL, and by everything else.

    "others" is other people's work on the same machine: when it is large the figures are not ours
    alone. Processes that ended inside the window are missed (a lower bound); the delivery workers
    add their own CPU time, which they report, to "bench"."""
    use = {"bench": 0.0, "postgres": 0.0, "others": 0.0}
    for pid, (comm, cpu) in after.items():
        spent = cpu - before.get(pid, (comm, 0.0))[1]
        use["bench" if pid in ours else "postgres" if comm == "postgres" else "others"] += spent
    return {k: round(v / max(1e-9, seconds), 2) for k, v in use.items()}


def wait_until_quiet() -> float:
    """Waits a bounded while for the (shared, 2-core) machine to go quiet; returns its busy share then.

    Our own processes are idle while this runs, so what it sees is other people's work."""
    deadline = time.monotonic() + QUIET_WAIT_S
    while True:
        before = machine_cpu()
        time.sleep(1.0)
        share = busy_between(before, machine_cpu())
        if share <= QUIET_BUSY or time.monotonic() > deadline:
            return share


# ---------------------------------------------------------------------------------------------
# The webhook receiver (its own process: `bench/clocks.py --receiver`)
# ---------------------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.writers: set[asyncio.StreamWriter] = set()
        self.requests = 0
        self.ids: set[str] = set()
        self.warmups = 0
        self.bad_signatures = 0
        self.first_at: float | None = None
        self.last_at: float | None = None
        self.emails = 0
        self.email_warmups = 0
        self.email_ids: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd's hook: one e-mail arrived; counted by its X-FaultDesk-Delivery id."""
        self.emails += 1
        found = DELIVERY_HEADER.search(envelope.content)
        delivery = found.group(1).decode() if found else ""
        if delivery.startswith("warmup-"):
            self.email_warmups += 1
        else:
            self.email_ids.add(delivery)
        return "250 OK"

    def as_json(self) -> dict[str, Any]:
        return {
            "emails": self.emails,
            "email_unique": len(self.email_ids),
            "email_duplicates": self.emails - self.email_warmups - len(self.email_ids),
            "requests": self.requests,
            "unique": len(self.ids),
            "duplicates": self.requests - self.warmups - len(self.ids),
            "warmups": self.warmups,
            "bad_signatures": self.bad_signatures,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, tally: Tally) -> None:
    secret = WEBHOOK_SECRET.encode()
    tally.writers.add(writer)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            method, path, _ = lines[0].split(b" ", 2)
            headers: dict[bytes, bytes] = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get(b"content-length", b"0")))
            payload = b"{}"
            if method == b"GET" and path == b"/stats":
                payload = json.dumps(tally.as_json()).encode()
            elif method == b"POST":
                now = time.time()
                tally.requests += 1
                tally.first_at = tally.first_at or now
                tally.last_at = now
                ts = headers.get(b"x-faultdesk-timestamp", b"")
                expected = b"sha256=" + hmac.new(secret, ts + b"." + body, hashlib.sha256).hexdigest().encode()
                if not hmac.compare_digest(headers.get(b"x-faultdesk-signature", b""), expected):
                    tally.bad_signatures += 1
                delivery = headers.get(b"x-faultdesk-delivery", b"").decode()
                if delivery.startswith("warmup-"):
                    tally.warmups += 1
                else:
                    tally.ids.add(delivery)
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(payload), payload)
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        tally.writers.discard(writer)
        writer.close()


async def _receiver() -> None:
    from aiosmtpd.controller import Controller  # a test dependency, installed by `make test`

    tally = Tally()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    server = await asyncio.start_server(lambda r, w: _serve_connection(r, w, tally), HOST, 0, backlog=128)
    with socket.socket() as probe:  # a free port for the SMTP side (aiosmtpd wants one given)
        probe.bind((HOST, 0))
        smtp_port = probe.getsockname()[1]
    smtp = Controller(tally, hostname=HOST, port=smtp_port)
    smtp.start()
    print(server.sockets[0].getsockname()[1], smtp_port, flush=True)
    async with server:
        await stop.wait()
        for writer in list(tally.writers):  # ends the handlers' reads, so none is cancelled mid-read
            writer.close()
        await asyncio.sleep(0.2)
    smtp.stop()


def receiver_main() -> None:
    asyncio.run(_receiver())


# ---------------------------------------------------------------------------------------------
# A delivery worker (its own process: `bench/clocks.py --deliver-worker '<json>'`)
# ---------------------------------------------------------------------------------------------


def deliver_worker_main(raw: str) -> None:
    params = json.loads(raw)
    settings = Settings(
        home=Path(params["home"]),
        database_url=params["url"],
        secret_key=SECRET_KEY,
        run_worker=False,
        db_pool_size=2,
        **{
            **NO_CHANNELS,
            "webhook_url": params["webhook_url"],
            "webhook_secret": WEBHOOK_SECRET,
            "smtp_host": HOST,
            "smtp_port": params["smtp_port"],
            "smtp_sender": "faultdesk@bench.example",
        },
    )
    wired = bootstrap(settings, clock=SystemClock())
    # Warm up the connection and the pool; the receiver does not count "warmup-" ids.
    channel = params["channel"]
    address = "warmup@bench.example" if channel == "email" else ""
    wired.notifiers[channel].send(Envelope(f"warmup-{os.getpid()}", "warmup", address, "warm-up", "warm-up"))
    wired.notifiers[channel].close()
    with wired.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    print("ready", flush=True)
    sys.stdin.readline()  # "go"
    started, cpu_started = time.time(), time.process_time()
    sent = retried = dead = calls = 0
    while True:
        result = deliver(wired.desk, wired.notifiers, limit=int(params["batch"]))
        calls += 1
        sent, retried, dead = sent + result.sent, retried + result.retried, dead + result.dead
        if result.sent + result.retried + result.dead == 0:
            break
    done = time.time()
    report = {
        "sent": sent,
        "retried": retried,
        "dead": dead,
        "calls": calls,
        "start": started,
        "end": done,
        "cpu_s": time.process_time() - cpu_started,
    }
    print(json.dumps(report), flush=True)
    sys.stdin.readline()  # "bye": the parent has taken its CPU figures, which count our database sessions
    wired.engine.dispose()


# ---------------------------------------------------------------------------------------------
# Subprocesses
# ---------------------------------------------------------------------------------------------


class Processes:
    """Every subprocess this run starts; each is ended by its own pid at the end."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[str]] = []

    def start(self, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[str]) -> None:
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self.running)):
            self.stop(proc)


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTDESK_")}
    env["FAULTDESK_HOME"] = str(home)
    return env


def read_line(stream: IO[str] | None, what: str) -> str:
    assert stream is not None
    line = stream.readline()
    if not line:
        raise RuntimeError(f"{what} exited before answering")
    return line.strip()


# ---------------------------------------------------------------------------------------------
# Stores and seeding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    seconds: float
    clocks: int
    due: int
    faults: int
    agent_id: int


def _clock_rows(
    n: int, due: int, faults: list[tuple[int, int | None]], rng: random.Random
) -> Iterator[tuple[Any, ...]]:
    """N running clocks in the column order of CLOCK_COLUMNS; ``due`` of them (scattered) due at NOW."""
    due_slots = set(rng.sample(range(n), due))
    k = 0
    for i in range(n):
        fault_id, fault_severity = faults[rng.randrange(len(faults))]
        span = SPANS[rng.randrange(len(SPANS))]
        kind: ClockKind
        if i in due_slots:
            kind = DUE_KINDS[rng.randrange(len(DUE_KINDS))]
            due_at = NOW - timedelta(seconds=60 + k)  # distinct: every tick claims the same 500 rows
            k += 1
        else:
            kind = LIVE_KINDS[rng.randrange(len(LIVE_KINDS))]
            due_at = NOW + timedelta(seconds=rng.randrange(300, 30 * 86400))
        severity = None if kind in NO_SEVERITY else fault_severity
        started = due_at - span
        warn_at = started + span * 0.8
        warned = warn_at <= NOW
        yield (
            fault_id,
            kind.value,
            severity,
            "24x7" if severity == 0 or span >= SPANS[3] else "business",
            "running",
            started,
            due_at,
            warn_at,
            due_at if warned else warn_at,
            warn_at if warned else None,
            0,
        )


def _sqlite_time(value: Any) -> Any:
    """What UtcDateTime stores on SQLite: naive UTC in SQLAlchemy's text format."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def seed(store: Store, engine: Engine, n_clocks: int, n_due: int, n_faults: int, rng: random.Random) -> Seeded:
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(t.fault_types).values(code="01", label_zh="功能异常", label_en="Functional fault", active=True)
        )
        ids = {}
        for username, role in (("admin1", "admin"), ("tech_lead1", "tech_lead"), ("agent1", "agent")):
            ids[role] = conn.execute(
                insert(t.users).values(
                    username=username,
                    display_name=username,
                    role=role,
                    password_hash="!",  # no login: the benchmark never signs in
                    email=f"{username}@corp.example",
                    active=True,
                    created_at=NOW - timedelta(days=30),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        agent = int(ids["agent"])
        owners = {"intake": agent, "analysis": agent, "communication": agent, "handling": agent}
        rows = []
        for i in range(n_faults):
            severity = 0 if i % 10 == 0 else 1 + i % 2
            registered = NOW - timedelta(minutes=5 + i)
            rows.append(
                {
                    "number": f"261125-01-{i + 1:04d}",
                    "type_code": "01",
                    "title": TITLES[i % len(TITLES)],
                    "status": OPEN_STATUSES[i % len(OPEN_STATUSES)],
                    "severity": severity,
                    "affected_users": 10 + i % 500,
                    "registered_at": registered,
                    "registered_by": agent,
                    "updated_at": registered,
                    "version": 1,
                    "owners": owners,
                }
            )
        conn.execute(insert(t.faults), rows)
        faults = [(int(r.id), r.severity) for r in conn.execute(text("SELECT id, severity FROM faults ORDER BY id"))]
    say(f"  {store.name}: users and {n_faults} faults in {time.perf_counter() - started:.1f} s; clocks …")
    rows_iter = _clock_rows(n_clocks, n_due, faults, rng)
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if store.name == "postgresql":
            with driver.cursor() as cur, cur.copy(f"COPY clocks ({', '.join(CLOCK_COLUMNS)}) FROM STDIN") as copy:
                for row in rows_iter:
                    copy.write_row(row)
            driver.commit()
        else:
            sql = f"INSERT INTO clocks ({', '.join(CLOCK_COLUMNS)}) VALUES ({', '.join('?' * len(CLOCK_COLUMNS))})"
            cur = driver.cursor()
            chunk: list[tuple[Any, ...]] = []
            cur.execute("BEGIN")
            for row in rows_iter:
                chunk.append(tuple(_sqlite_time(v) for v in row))
                if len(chunk) == 50_000:
                    cur.executemany(sql, chunk)
                    chunk.clear()
            cur.executemany(sql, chunk)
            cur.execute("COMMIT")
            cur.close()
    finally:
        raw.close()
    analyze(store, engine)
    seconds = time.perf_counter() - started
    return Seeded(seconds, n_clocks, n_due, n_faults, agent)


def analyze(store: Store, engine: Engine, tables: tuple[str, ...] = ("clocks", "faults", "users", "outbox")) -> None:
    if store.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"VACUUM (ANALYZE) {', '.join(tables)}"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


# ---------------------------------------------------------------------------------------------
# The tick and its baseline
# ---------------------------------------------------------------------------------------------

# The baseline's SQL, written by hand. SQLite has no FOR UPDATE: there it is left out (as SQLAlchemy
# leaves it out of FaultDesk's claim) and BEGIN IMMEDIATE already holds the one write lock.
CLAIM_SQL = """
SELECT id, fault_id, kind, severity, due_at FROM clocks
WHERE next_fire_at <= :now ORDER BY next_fire_at LIMIT :limit{lock}
"""
FAULTS_SQL = "SELECT id, number, owners FROM faults WHERE id IN :ids"
FIRE_SQL = """
UPDATE clocks SET state = 'breached', breached_at = COALESCE(breached_at, :now),
    escalation_level = escalation_level + 1,
    next_fire_at = CASE WHEN severity = 0 THEN :next_p0 ELSE :next_other END
WHERE id IN :ids
"""
OUTBOX_SQL = f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({', '.join(':' + c for c in OUTBOX_COLUMNS)})"
REARM_SQL = """
UPDATE clocks SET state = 'running', breached_at = NULL, escalation_level = 0, next_fire_at = due_at
WHERE state = 'breached'
"""


class Baseline:
    """The tick's effects in four hand-written statements in one transaction."""

    def __init__(self, engine: Engine, store: str) -> None:
        self.engine = engine
        ts = UtcDateTime()
        lock = " FOR UPDATE SKIP LOCKED" if store == "postgresql" else ""
        self.claim = text(CLAIM_SQL.format(lock=lock)).bindparams(bindparam("now", type_=ts)).columns(due_at=ts)
        self.faults = text(FAULTS_SQL).bindparams(bindparam("ids", expanding=True)).columns(owners=JSON)
        self.fire = text(FIRE_SQL).bindparams(
            bindparam("now", type_=ts),
            bindparam("next_p0", type_=ts),
            bindparam("next_other", type_=ts),
            bindparam("ids", expanding=True),
        )
        self.outbox = text(OUTBOX_SQL).bindparams(
            bindparam("next_attempt_at", type_=ts), bindparam("created_at", type_=ts)
        )
        self.zone = ZoneInfo(ZONE)

    def tick(self, now: datetime, limit: int) -> int:
        with self.engine.begin() as conn:
            due = conn.execute(self.claim, {"now": now, "limit": limit}).all()
            if not due:
                return 0
            fault_ids = sorted({r.fault_id for r in due})
            owners = {r.id: (r.number, r.owners or {}) for r in conn.execute(self.faults, {"ids": fault_ids})}
            conn.execute(
                self.fire,
                {
                    "now": now,
                    "next_p0": now + timedelta(minutes=10),
                    "next_other": now + timedelta(minutes=30),
                    "ids": [r.id for r in due],
                },
            )
            messages = []
            for r in due:
                number, owned = owners[r.fault_id]
                owner = owned.get(STAGE_OF[ClockKind(r.kind)]) or next(iter(owned.values()))
                clock_zh = CLOCK_ZH[r.kind]
                local_due = r.due_at.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
                messages.append(
                    {
                        "message_id": uuid.uuid4().hex,
                        "channel": "email",
                        "recipient": f"user:{owner}",
                        "kind": "clock_breach",
                        "subject": f"【已超时】{number} {clock_zh}",
                        "body": f"{number} 的「{clock_zh}」已于 {local_due} 超时（第 1 级通知）。",
                        "fault_id": r.fault_id,
                        "report_id": None,
                        "state": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
            conn.execute(self.outbox, messages)
        return len(due)


def rearm(store: Store, engine: Engine, vacuum: bool) -> None:
    """Back to the seeded state: the fired clocks running and due again, the outbox empty."""
    with engine.begin() as conn:
        conn.execute(text(REARM_SQL))
        conn.execute(text("TRUNCATE outbox" if store.name == "postgresql" else "DELETE FROM outbox"))
    if vacuum and store.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM clocks"))


def effects(engine: Engine) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """What a tick left behind, ids and message ids aside."""
    c, o = t.clocks.c, t.outbox.c
    with engine.connect() as conn:
        clocks = [
            tuple(r)
            for r in conn.execute(
                select(
                    c.id,
                    c.state,
                    c.breached_at,
                    c.escalation_level,
                    c.next_fire_at,
                    c.warned_at,
                    c.due_at,
                    c.warn_at,
                    c.started_at,
                    c.met_at,
                    c.paused_at,
                    c.remaining_s,
                    c.severity,
                    c.mode,
                    c.kind,
                )
                .where(c.state == "breached")
                .order_by(c.id)
            )
        ]
        cols = [getattr(o, name) for name in OUTBOX_COLUMNS if name != "message_id"]
        outbox = sorted(tuple(r) for r in conn.execute(select(*cols, o.lease_until, o.sent_at, o.last_error)))
    return clocks, outbox


def tick_wiring(store: Store) -> Wiring:
    settings = Settings(
        home=store.home, database_url=store.url, secret_key=SECRET_KEY, run_worker=False, db_pool_size=4, **NO_CHANNELS
    )
    return bootstrap(settings, clock=FixedClock(NOW))


def measure_ticks(store: Store, wired: Wiring, ticks: int, warmup: int, limit: int) -> dict[str, Any]:
    engine = wired.engine
    baseline = Baseline(engine, store.name)
    runs: dict[str, Callable[[], int]] = {
        "faultdesk": lambda: fire_due(wired.desk, limit=limit),
        "baseline": lambda: baseline.tick(NOW, limit),
    }
    rearm(store, engine, vacuum=True)
    # Warm-up, and the check that both leave the same rows behind.
    runs["faultdesk"]()
    fd_effects = effects(engine)
    rearm(store, engine, vacuum=True)
    runs["baseline"]()
    base_effects = effects(engine)
    rearm(store, engine, vacuum=True)
    same = fd_effects == base_effects
    if not same:
        say(f"  {store.name}: WARNING the baseline's effects differ from FaultDesk's")
        for a, b in zip(fd_effects[1][:3], base_effects[1][:3], strict=False):
            say(f"    faultdesk {a}\n    baseline  {b}")
    for _ in range(warmup):
        for name in ("faultdesk", "baseline"):
            runs[name]()
            rearm(store, engine, vacuum=True)
    quiet = wait_until_quiet()
    times: dict[str, list[float]] = {"faultdesk": [], "baseline": []}
    fired: dict[str, set[int]] = {"faultdesk": set(), "baseline": set()}
    cpu_before, procs_before = machine_cpu(), process_cpu()
    wall = time.perf_counter()
    for i in range(ticks):
        for name in ("faultdesk", "baseline") if i % 2 == 0 else ("baseline", "faultdesk"):
            began = time.perf_counter()
            n = runs[name]()
            times[name].append((time.perf_counter() - began) * 1000)
            fired[name].add(n)
            rearm(store, engine, vacuum=True)
        if (i + 1) % 10 == 0:
            say(
                f"  {store.name}: {i + 1}/{ticks} rounds, median so far faultdesk "
                f"{statistics.median(times['faultdesk']):.1f} ms, baseline {statistics.median(times['baseline']):.1f} ms"
            )
    busy = busy_between(cpu_before, machine_cpu())
    cores = cpu_split(procs_before, process_cpu(), {os.getpid()}, time.perf_counter() - wall)
    tick, base = summary(times["faultdesk"]), summary(times["baseline"])
    return {
        "tick_ms": tick,
        "baseline_ms": base,
        "ratio_median": round(tick["median"] / base["median"], 3),
        "ratio_p95": round(tick["p95"] / base["p95"], 3),
        "ticks": ticks,
        "fired_per_tick": {k: sorted(v) for k, v in fired.items()},
        "same_effects": same,
        "machine_busy_before": round(quiet, 3),
        "machine_busy_during": round(busy, 3),
        "cpu_cores": cores,
        "seconds": round(time.perf_counter() - wall, 1),
    }


# ---------------------------------------------------------------------------------------------
# Delivery
# ---------------------------------------------------------------------------------------------


def enqueue(store: Store, engine: Engine, n: int, fault_id: int, channel: str, recipient: str) -> None:
    """N due messages, as FaultDesk queues them for a breach (the workers use the real clock)."""
    at = datetime.now(UTC) - timedelta(minutes=1)
    rows = [
        (
            uuid.uuid4().hex,
            channel,
            recipient,
            "clock_breach",
            f"【已超时】261125-01-{i % 1000 + 1:04d} 分析分级",
            f"261125-01-{i % 1000 + 1:04d} 的「分析分级」已于 2026-11-25 09:59 超时（第 1 级通知）。",
            fault_id,
            None,
            "pending",
            0,
            at + timedelta(microseconds=i),
            at,
        )
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox"))
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if store.name == "postgresql":
            with driver.cursor() as cur, cur.copy(f"COPY outbox ({', '.join(OUTBOX_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            driver.commit()
        else:
            cur = driver.cursor()
            cur.execute("BEGIN")
            cur.executemany(
                f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({', '.join('?' * len(OUTBOX_COLUMNS))})",
                [tuple(_sqlite_time(v) for v in row) for row in rows],
            )
            cur.execute("COMMIT")
            cur.close()
    finally:
        raw.close()
    analyze(store, engine, ("outbox",))


def receiver_stats(port: int) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://{HOST}:{port}/stats", timeout=10) as res:
        data: dict[str, Any] = json.loads(res.read())
        return data


def measure_delivery(
    procs: Processes,
    store: Store,
    engine: Engine,
    n: int,
    workers: int,
    batch: int,
    fault_id: int,
    *,
    channel: str = "webhook",
    recipient: str = "robot:webhook",
) -> dict[str, Any]:
    enqueue(store, engine, n, fault_id, channel, recipient)
    env = child_env(store.home)
    receiver = procs.start(["--receiver"], env)
    port, smtp_port = map(int, read_line(receiver.stdout, "the receiver").split())
    params = {
        "url": store.url,
        "home": str(store.home),
        "webhook_url": f"http://{HOST}:{port}/webhook",
        "smtp_port": smtp_port,
        "channel": channel,
        "batch": batch,
    }
    started = [procs.start(["--deliver-worker", json.dumps(params)], env) for _ in range(workers)]
    try:
        for proc in started:
            if read_line(proc.stdout, "a delivery worker") != "ready":
                raise RuntimeError("a delivery worker did not start")
        quiet = wait_until_quiet()
        cpu_before, procs_before = machine_cpu(), process_cpu()
        go = time.time()
        for proc in started:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = [json.loads(read_line(proc.stdout, "a delivery worker")) for proc in started]
        busy = busy_between(cpu_before, machine_cpu())
        procs_after = process_cpu()
        for proc in started:
            assert proc.stdin is not None
            proc.stdin.write("bye\n")
            proc.stdin.flush()
        for proc in started:
            proc.wait(timeout=WORKER_TIMEOUT_S)
        stats = receiver_stats(port)
    finally:
        for proc in started:
            procs.stop(proc)
        procs.stop(receiver)
    seconds = max(r["end"] for r in results) - go
    ours = {os.getpid(), receiver.pid, *(p.pid for p in started)}
    cores = cpu_split(procs_before, procs_after, ours, time.time() - go)
    missed = sum(r["cpu_s"] for r in results) - sum(
        procs_after[p.pid][1] - procs_before.get(p.pid, ("", 0.0))[1] for p in started if p.pid in procs_after
    )
    cores["bench"] = round(cores["bench"] + max(0.0, missed) / seconds, 2)
    with engine.connect() as conn:
        states: dict[str, int] = dict(conn.execute(text("SELECT state, count(*) FROM outbox GROUP BY state")).all())
    unique, duplicates = (
        (stats["email_unique"], stats["email_duplicates"])
        if channel == "email"
        else (stats["unique"], stats["duplicates"])
    )
    return {
        "delivery_per_s": round(unique / seconds, 1),
        "channel": channel,
        "workers": workers,
        "batch": batch,
        "messages": n,
        "seconds": round(seconds, 2),
        "received_unique": unique,
        "duplicates": duplicates,
        "bad_signatures": stats["bad_signatures"],
        "sent": sum(r["sent"] for r in results),
        "retried": sum(r["retried"] for r in results),
        "dead": sum(r["dead"] for r in results),
        "per_worker": [r["sent"] for r in results],
        "outbox_states": {str(k): int(v) for k, v in states.items()},
        "machine_busy_before": round(quiet, 3),
        "machine_busy_during": round(busy, 3),
        "cpu_cores": cores,
    }


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def run_store(procs: Processes, name: str, args: argparse.Namespace) -> dict[str, Any]:
    due = args.due if args.due is not None else max(args.limit, args.clocks // 100)
    workers = args.workers if name == "postgresql" else args.sqlite_workers
    say(f"{name}: {args.clocks:,} clocks ({due:,} due), {args.ticks} ticks of {args.limit}, {args.messages:,} messages")
    with fresh_store(name, "fdbench_clocks") as store:
        wired = tick_wiring(store)
        try:
            seeded = seed(store, wired.engine, args.clocks, due, args.faults, random.Random(args.seed))
            say(f"  {name}: seeded in {seeded.seconds:.1f} s")
            ticks = measure_ticks(store, wired, args.ticks, args.warmup, args.limit)
            say(
                f"  {name}: tick median {ticks['tick_ms']['median']} ms, baseline {ticks['baseline_ms']['median']} ms; "
                f"delivering {args.messages:,} messages with {workers} worker(s) …"
            )
            with wired.engine.connect() as conn:
                fault_id = int(conn.execute(text("SELECT min(id) FROM faults")).scalar_one())
            delivery = measure_delivery(procs, store, wired.engine, args.messages, workers, args.batch, fault_id)
            say(f"  {name}: {delivery['delivery_per_s']} messages/s, {delivery['duplicates']} duplicates")
            email = measure_delivery(
                procs,
                store,
                wired.engine,
                args.email_messages,
                workers,
                args.batch,
                fault_id,
                channel="email",
                recipient=f"user:{seeded.agent_id}",
            )
            say(f"  {name}: {email['delivery_per_s']} e-mails/s, {email['duplicates']} duplicates")
        finally:
            wired.engine.dispose()
    return {
        "tick_ms": ticks.pop("tick_ms"),
        "baseline_ms": ticks.pop("baseline_ms"),
        "ratio_median": ticks.pop("ratio_median"),
        "delivery_per_s": delivery.pop("delivery_per_s"),
        "ratio_p95": ticks.pop("ratio_p95"),
        "workers": workers,
        "clocks": seeded.clocks,
        "due_clocks": seeded.due,
        "faults": seeded.faults,
        "seed_s": round(seeded.seconds, 1),
        "tick": ticks,
        "delivery": delivery,
        "email_delivery_per_s": email.pop("delivery_per_s"),
        "email_delivery": email,
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    def verdict(ok: bool) -> str:
        return "meets" if ok else "MISSES"

    lines = [
        f"{'store':<11} {'clocks':>9} {'due':>6} {'seed s':>7}  {'tick median/p95 ms':>19}  "
        f"{'baseline median/p95 ms':>23}  {'ratio med/p95':>13}  {'deliver/s':>9} {'e-mail/s':>8} {'wk':>2} {'dup':>3}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<11} {r['clocks']:>9,} {r['due_clocks']:>6,} {r['seed_s']:>7.1f}  "
            f"{r['tick_ms']['median']:>9.1f} / {r['tick_ms']['p95']:>7.1f}  "
            f"{r['baseline_ms']['median']:>11.1f} / {r['baseline_ms']['p95']:>9.1f}  "
            f"{r['ratio_median']:>6.2f} / {r['ratio_p95']:>4.2f}  "
            f"{r['delivery_per_s']:>9.0f} {r['email_delivery_per_s']:>8.0f} {r['workers']:>2} "
            f"{r['delivery']['duplicates'] + r['email_delivery']['duplicates']:>3}"
        )
    pg = results.get("postgresql")
    if pg:
        lines.append("")
        lines.append(
            f"PostgreSQL targets: tick <= {TARGET_RATIO} x baseline — median {pg['ratio_median']:.2f} "
            f"({verdict(pg['ratio_median'] <= TARGET_RATIO)}), p95 {pg['ratio_p95']:.2f} "
            f"({verdict(pg['ratio_p95'] <= TARGET_RATIO)}); delivery >= {TARGET_DELIVERY_PER_S:.0f}/s with 2 workers — "
            f"{pg['delivery_per_s']:.0f}/s ({verdict(pg['delivery_per_s'] >= TARGET_DELIVERY_PER_S)})"
        )
    for name, r in results.items():
        d, tk = r["delivery"], r["tick"]
        lines.append(
            f"{name}: {tk['ticks']} rounds, fired per tick {tk['fired_per_tick']}, same effects: {tk['same_effects']}, "
            f"cores used during ticks {tk['cpu_cores']}; delivery {d['received_unique']:,}/"
            f"{d['messages']:,} received in {d['seconds']} s, duplicates {d['duplicates']}, bad signatures "
            f"{d['bad_signatures']}, retried {d['retried']}, dead {d['dead']}, outbox {d['outbox_states']}, "
            f"cores used {d['cpu_cores']}"
        )
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--clocks", type=int, default=1_000_000, help="running clocks (default 1,000,000)")
    parser.add_argument("--due", type=int, default=None, help="of which due now (default 1 %%)")
    parser.add_argument("--faults", type=int, default=1_000)
    parser.add_argument("--ticks", type=int, default=50, help="measured ticks of each (default 50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--limit", type=int, default=CLOCK_BATCH, help="clocks per tick (the worker's 500)")
    parser.add_argument("--messages", type=int, default=20_000, help="outbox messages to deliver")
    parser.add_argument("--email-messages", type=int, default=5_000, help="e-mails to deliver (aiosmtpd receiver)")
    parser.add_argument("--workers", type=int, default=2, help="delivery worker processes on PostgreSQL")
    parser.add_argument("--sqlite-workers", type=int, default=2, help="delivery worker processes on SQLite")
    parser.add_argument("--batch", type=int, default=MESSAGE_BATCH, help="deliver(limit=…), the worker's 100")
    parser.add_argument("--stores", default="postgresql,sqlite")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.store_list = store_names(parser, args.stores)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    procs = Processes()
    results: dict[str, dict[str, Any]] = {}
    try:
        for name in args.store_list:
            results[name] = run_store(procs, name, args)
    finally:
        procs.stop_all()
    if args.json:
        say(table(results))  # the table still goes to stderr, so one run gives both
        print(json.dumps(results, ensure_ascii=False))
    else:
        print(table(results))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--receiver":
        receiver_main()
    elif len(sys.argv) == 3 and sys.argv[1] == "--deliver-worker":
        deliver_worker_main(sys.argv[2])
    else:
        try:
            sys.exit(main(sys.argv[1:]))
        except KeyboardInterrupt:
            say("interrupted; subprocesses stopped")
            sys.exit(130)

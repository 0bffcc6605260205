"""Benchmark of issue "intake": public reports (POST /api/v1/reports, and the report form's POST /report)
against the bare-stack ceiling.

    .venv/bin/python bench/intake.py [--json] [--requests 10000] [--concurrency 16] [--stores postgresql,sqlite]
                                     [--paths json,form]

For each store it migrates a fresh database, then for the baseline (bench/intake_baseline.py) and
for FaultDesk in turn: starts the server as a subprocess (FaultDesk exactly as ``make run`` does,
``faultdesk serve``), sends a warm-up, then N reports at concurrency C from a load generator in a
separate process, and reports throughput and p50/p95/p99 latency. The targets on PostgreSQL:
faultdesk.rps / baseline.rps >= 0.70 and faultdesk.p95 / baseline.p95 <= 1.5, for each path.

Two paths into the same intake service are measured against the same baseline: ``json`` (the
public API) and ``form`` (the public report form, posted as a browser posts it: multipart/form-data
with the CSRF cookie and field, the hidden honeypot, and the empty part an unused file input sends;
its answer is the 303 to the receipt).

The load generator is this file run with ``--loadgen``: raw asyncio streams, HTTP/1.1 keep-alive,
one connection per concurrent client. httpx or aiohttp would spend CPU the 2-core machine needs
for the server and the database, and so would measure the client as much as the server.

Exit status: 0, or 1 when any request failed (the figures are then printed but not to be trusted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from stores import PG_ADMIN_URL, Store, fresh_store  # sibling module: run as `python bench/X.py`

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.prefix) / "bin"  # the venv this script runs in: .venv/bin
HOST = "127.0.0.1"  # the only address any traffic goes to
# `faultdesk serve` defaults to one API process and `make run` does not change it.
SERVE_DEFAULT_WORKERS = 1
# Far above what the run sends, so the limiter is consulted on every request but never refuses one.
RATE_LIMIT = "10000000/minute"
TARGET_RATIO_RPS = 0.70
TARGET_RATIO_P95 = 1.5
READY_TIMEOUT_S = 60.0
QUIET_BUSY = 0.15  # machine busy share that counts as quiet before a measurement
QUIET_WAIT_S = 15.0
OTHERS_WARN_CORES = 0.15  # other processes' CPU during a measurement, in cores
LOADGEN_TIMEOUT_S = 600.0

SYMPTOMS = (
    "登录页面忘记密码提示错误",
    "支付完成后订单状态未更新",
    "首页加载缓慢，转圈超过十秒",
    "消息推送收不到",
    "视频播放卡顿并自动退出",
)
DEVICES = (
    ("iPhone 13", "iOS 16.4"),
    ("HUAWEI Mate 60", "HarmonyOS 4.0"),
    ("Xiaomi 14", "Android 14"),
    ("OPPO Reno 11", "Android 13"),
)
CHANNELS = ("app", "web", "mini_program")
NETWORKS = ("wifi", "4g", "5g")
SHANGHAI = timezone(timedelta(hours=8))


# ---------------------------------------------------------------------------------------------
# Load generator (runs in its own process: `bench/intake.py --loadgen '<json>'`)
# ---------------------------------------------------------------------------------------------


def report_request(i: int, tag: str, port: int, now: datetime) -> bytes:
    """The bytes of one POST; every request differs (symptom, reporter, contact, times)."""
    device, os_version = DEVICES[i % len(DEVICES)]
    body = {
        "channel": CHANNELS[i % len(CHANNELS)],
        "symptom": f"{SYMPTOMS[i % len(SYMPTOMS)]} #{i}",
        "scenario": f"点击“忘记密码”后输入手机号并获取验证码（第 {i % 7 + 1} 次尝试）",
        # A few minutes in the past, so the intake rules (no future times) accept it.
        "occurred_at": (now - timedelta(minutes=3, seconds=i % 300)).isoformat(timespec="seconds"),
        "device_model": device,
        "os_version": os_version,
        "app_version": f"5.2.{i % 10}",
        "network": NETWORKS[i % len(NETWORKS)],
        "reporter_id": f"{tag}u{i}",
        "contact": f"138{i % 100_000_000:08d}",
        "description": f"用户反馈：{SYMPTOMS[(i + 1) % len(SYMPTOMS)]}，重启应用后仍然出现。编号 {tag}-{i}",
    }
    payload = json.dumps(body, ensure_ascii=False).encode()
    head = (
        f"POST /api/v1/reports HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: fdbench\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("ascii") + payload


FORM_BOUNDARY = "----WebKitFormBoundaryFdBench7x9Q"  # Chromium's shape of boundary
FORM_CSRF = "fdbench-csrf-token-0123456789abcdefghijklmnop"  # the double-submit cookie and field


def form_request(i: int, tag: str, port: int, now: datetime) -> bytes:
    """The bytes of one report-form POST as Chromium sends it (no file chosen); every one differs."""
    device, os_version = DEVICES[i % len(DEVICES)]
    occurred = (now - timedelta(minutes=3, seconds=i % 300)).strftime("%Y-%m-%dT%H:%M")  # datetime-local
    fields = [
        ("csrf_token", FORM_CSRF),
        ("channel", CHANNELS[i % len(CHANNELS)]),
        ("reporter_id", f"{tag}u{i}"),
        ("website", ""),  # the honeypot, left empty by people
        ("symptom", f"{SYMPTOMS[i % len(SYMPTOMS)]} #{i}"),
        ("scenario", f"点击“忘记密码”后输入手机号并获取验证码（第 {i % 7 + 1} 次尝试）"),
        ("occurred_at", occurred),
        ("device_model", device),
        ("os_version", os_version),
        ("app_version", f"5.2.{i % 10}"),
        ("network", NETWORKS[i % len(NETWORKS)]),
        ("description", f"用户反馈：{SYMPTOMS[(i + 1) % len(SYMPTOMS)]}，重启应用后仍然出现。编号 {tag}-{i}"),
    ]
    parts = [
        f'--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    parts.append(
        f'--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    parts.append(
        f'--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="contact"\r\n\r\n138{i % 100_000_000:08d}\r\n'
    )
    payload = ("".join(parts) + f"--{FORM_BOUNDARY}--\r\n").encode()
    head = (
        f"POST /report HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: fdbench\r\nAccept: text/html\r\n"
        f"Accept-Language: zh-CN,zh;q=0.9\r\nCookie: faultdesk_csrf={FORM_CSRF}\r\n"
        f"Content-Type: multipart/form-data; boundary={FORM_BOUNDARY}\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("ascii") + payload


REQUESTS = {"json": report_request, "form": form_request}
ANSWERS = {"json": (201,), "form": (303,)}  # what a taken report is answered with on each path


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a request and reads exactly its response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    @property
    def local_port(self) -> int:
        assert self.writer is not None
        return int(self.writer.get_extra_info("sockname")[1])

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Sends one request; returns (status, body). Reopens first if the server closed the connection."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        # No drain(): one small request per connection is in flight, so the buffer never fills.
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked, close = -1, False, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        if length >= 0:
            body = await self.reader.readexactly(length)
        elif chunked:
            body = await self._read_chunked()
        else:
            body, close = await self.reader.read(), True
        if close:
            await self.close()
        return status, body

    async def _read_chunked(self) -> bytes:
        assert self.reader is not None
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are expected
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


@dataclass
class Tally:
    ok: tuple[int, ...] = (200, 201)
    errors: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def note(self, status: int, body: bytes) -> None:
        self.statuses[status] += 1
        if status not in self.ok:
            self.errors += 1
            if len(self.samples) < 5:  # a few bodies are enough to tell why
                self.samples.append(f"{status} {body[:300].decode('utf-8', 'replace')}")


async def _send(conn: Connection, request: bytes, tally: Tally) -> None:
    try:
        status, body = await conn.exchange(request)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        status, body = 0, repr(exc).encode()
        await conn.close()  # the next request reopens it
    tally.note(status, body)


async def _worker(
    conn: Connection, requests: list[bytes], indices: Iterator[int], latencies: list[float], ok: tuple[int, ...]
) -> Tally:
    tally = Tally(ok)
    perf = time.perf_counter
    # `indices` is shared by all clients: each takes the next request as soon as it is free.
    for i in indices:
        started = perf()
        await _send(conn, requests[i], tally)
        latencies[i] = perf() - started
    return tally


async def _open_spread(params: dict[str, Any], warm: Iterator[bytes], tally: Tally) -> list[Connection]:
    """Opens the clients' connections; with several server processes, spreads them evenly.

    uvicorn's workers all accept on one listening socket, and whichever wakes first takes the
    connection, so keep-alive connections can pile onto one process while another idles. Each
    connection is opened alone, used once (so it has been accepted), and its owner looked up in
    /proc; one landing on a process that already has its share is reopened.
    """
    port, workers, concurrency = params["port"], params["workers"], params["concurrency"]
    share = math.ceil(concurrency / workers)
    per_pid: Counter[int] = Counter()
    conns: list[Connection] = []
    attempts = 0
    while len(conns) < concurrency:
        conn = Connection(port)
        await conn.open()
        await _send(conn, next(warm), tally)
        if workers == 1 or conn.writer is None:  # one process, or a failed first request: nothing to spread
            conns.append(conn)
            continue
        owner = connection_owners(params["server_pid"], port).get(conn.local_port, -1)
        attempts += 1
        if per_pid[owner] >= share and attempts < 40 * concurrency:
            await conn.close()
            await asyncio.sleep(0.01)  # let the busy process go back to waiting
            continue
        per_pid[owner] += 1
        conns.append(conn)
    return conns


async def loadgen(params: dict[str, Any]) -> dict[str, Any]:
    port, n, warmup, tag = params["port"], params["requests"], params["warmup"], params["tag"]
    build, ok = REQUESTS[params["path"]], ANSWERS[params["path"]]
    now = datetime.now(SHANGHAI)
    warm = (build(i, f"{tag}w", port, now) for i in range(10**9))
    warm_tally = Tally(ok)
    conns = await _open_spread(params, warm, warm_tally)
    # Warm-up: the same clients, so the server's threadpool, pool and caches are hot.
    warm_indices = iter(range(warmup))
    warm_requests = [next(warm) for _ in range(warmup)]
    scratch = [0.0] * warmup
    for t in await asyncio.gather(*(_worker(c, warm_requests, warm_indices, scratch, ok) for c in conns)):
        warm_tally.errors += t.errors
    owners = Counter(connection_owners(params["server_pid"], port).get(c.local_port, -1) for c in conns if c.writer)

    # Built before the clock starts: the timed part only sends and reads.
    requests = [build(i, tag, port, now) for i in range(n)]
    latencies = [0.0] * n
    indices = iter(range(n))
    cpu_before = CpuSnapshot.take()
    started = time.perf_counter()
    tallies = await asyncio.gather(*(_worker(c, requests, indices, latencies, ok) for c in conns))
    elapsed = time.perf_counter() - started
    use = cpu_use(cpu_before, CpuSnapshot.take(), params["server_pid"])
    for c in conns:
        await c.close()

    statuses: Counter[int] = Counter()
    samples: list[str] = []
    for t in tallies:
        statuses.update(t.statuses)
        samples.extend(t.samples)
    return {
        "elapsed_s": elapsed,
        "latencies_ms": [round(x * 1000, 4) for x in latencies],
        "errors": sum(t.errors for t in tallies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "error_samples": (samples or warm_tally.samples)[:5],
        "warmup_errors": warm_tally.errors,
        "connections_per_pid": {str(k): v for k, v in owners.items()},
        # Where the CPU went: is the server (one GIL per process) or the machine (2 cores) the limit?
        "server_cpu_ms_per_request": use["server"] * 1000 / n,
        "machine_busy": use["machine_busy"],
        "others_cores": use["others"] / elapsed,
        "loadgen_cores": use["loadgen"] / elapsed,
    }


def loadgen_main(raw: str) -> None:
    params = json.loads(raw)
    try:
        import uvloop  # installed with uvicorn[standard]; a cheaper event loop leaves more CPU to the server

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        result = runner.run(loadgen(params))
    json.dump(result, sys.stdout)


# ---------------------------------------------------------------------------------------------
# /proc readings: who holds which connection, who used the CPU (nothing is added to the server)
# ---------------------------------------------------------------------------------------------


def _process_stats() -> dict[int, tuple[str, list[str]]]:
    """Pid -> (command name, the /proc stat fields after it: state, ppid, pgrp, ...)."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                # The command name may hold spaces or parentheses: the fields follow the last ")".
                head, _, rest = (entry / "stat").read_text().rpartition(")")
                stats[int(entry.name)] = (head.partition("(")[2], rest.split())
    return stats


def _process_tree(root: int) -> set[int]:
    parents = {pid: int(fields[1]) for pid, (_, fields) in _process_stats().items()}
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= found
        grew = bool(found)
    return tree


def machine_cpu() -> tuple[float, float]:
    """The machine's (busy, total) CPU seconds since boot."""
    cpu = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = cpu[3] + cpu[4]  # idle + iowait
    return (sum(cpu) - idle) / tick, sum(cpu) / tick


@dataclass(frozen=True)
class CpuSnapshot:
    machine: tuple[float, float]
    processes: dict[int, tuple[str, float]]  # pid -> (command name, CPU seconds so far)

    @classmethod
    def take(cls) -> CpuSnapshot:
        tick = os.sysconf("SC_CLK_TCK")
        # utime and stime are the 12th and 13th fields after the command name.
        procs = {pid: (comm, (int(f[11]) + int(f[12])) / tick) for pid, (comm, f) in _process_stats().items()}
        return cls(machine_cpu(), procs)


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, server_pid: int) -> dict[str, float]:
    """CPU seconds of the server's processes, PostgreSQL, the load generator and everything else.

    "Everything else" is other people's work on the same 2 cores: when it is large, the figures are not
    the server's alone. Processes that came and went inside the window are missed (a backend the pool
    opened and closed, a short test), so "database" and "others" are lower bounds.
    """
    tree = _process_tree(server_pid)
    use = {"server": 0.0, "database": 0.0, "loadgen": 0.0, "others": 0.0}
    for pid, (comm, cpu) in after.processes.items():
        spent = cpu - before.processes.get(pid, (comm, 0.0))[1]
        if pid in tree:
            use["server"] += spent
        elif pid == os.getpid():
            use["loadgen"] += spent
        elif comm == "postgres":
            use["database"] += spent
        else:
            use["others"] += spent
    busy, total = after.machine[0] - before.machine[0], after.machine[1] - before.machine[1]
    use["machine_busy"] = busy / max(1e-9, total)
    return use


def busy_share(seconds: float) -> float:
    """How busy the machine is over ``seconds``."""
    busy, total = machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu()
    return (busy_after - busy) / max(1e-9, total_after - total)


def wait_until_quiet() -> float:
    """Waits (a bounded while) for the machine to go quiet; returns how busy it was at the end.

    On 2 shared cores, someone else's test run takes CPU from the server and the database and
    changes every figure; starting in a quiet moment avoids the worst of it.
    """
    deadline = time.monotonic() + QUIET_WAIT_S
    share = busy_share(0.5)
    while share > QUIET_BUSY and time.monotonic() < deadline:
        share = busy_share(1.0)
    return share


def connection_owners(server_pid: int, port: int) -> dict[int, int]:
    """Client port -> pid of the server process holding the other end, for connections to ``port``."""
    peer_of_inode: dict[int, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == port:  # 01: ESTABLISHED
            peer_of_inode[inode] = int(remote.split(":")[1], 16)
    owners: dict[int, int] = {}
    for pid in _process_tree(server_pid):
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        peer = peer_of_inode.get(int(target[8:-1]))
                        if peer is not None:
                            owners[peer] = pid
    return owners


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int

    def as_json(self) -> dict[str, float | int]:
        return {
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
        }


@dataclass(frozen=True)
class Measured:
    figures: Figures
    connections_per_pid: dict[str, int]
    error_samples: list[str]
    server_cpu_ms_per_request: float
    machine_busy: float
    busy_before: float  # the machine's load before the server started: should be near 0
    others_cores: float  # CPU other people's processes used during the measurement
    server_log_tail: list[str]  # kept when requests failed: the temp dir is gone afterwards


def say(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the result (the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Processes:
    """Every subprocess this run starts, each in its own session so that its whole group can be ended."""

    def __init__(self) -> None:
        self._running: list[subprocess.Popen[bytes]] = []

    def start(self, cmd: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
        self._running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        # Its processes (uvicorn's workers too), listed while the leader is not yet reaped: until then
        # neither its pid nor its group id can belong to anyone else. The start time pins each pid.
        family: dict[int, str] = {}
        if proc.poll() is None:
            stats = _process_stats()
            tree = _process_tree(proc.pid)
            family = {pid: f[19] for pid, (_, f) in stats.items() if pid in tree or int(f[2]) == proc.pid}
        # SIGTERM to the group lets uvicorn shut down with its worker processes; SIGKILL if it does not.
        for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace)
        # A straggler (a uvicorn worker that outlived its parent) is ended by pid, if it is still the same process.
        now = _process_stats()
        for pid, started in family.items():
            if pid in now and now[pid][1][19] == started:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
        if proc in self._running:
            self._running.remove(proc)

    def stop_all(self) -> None:
        for proc in list(reversed(self._running)):
            self.stop(proc)


def server_env(store: Store, secret_key: str) -> dict[str, str]:
    # Only this run's FAULTDESK_* settings, so a developer's environment cannot change the figures.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTDESK_")}
    env.update(
        FAULTDESK_DATABASE_URL=store.url,
        FAULTDESK_HOME=str(store.home),
        FAULTDESK_SECRET_KEY=secret_key,
        FAULTDESK_INTAKE_RATE_LIMIT=RATE_LIMIT,
    )
    return env


NO_WORKER = False  # --no-worker: the API process alone, its worker run elsewhere (scale-out layout)


def server_command(kind: str, port: int, workers: int) -> list[str]:
    if kind == "faultdesk":
        # Exactly what `make run` runs; --workers only when it differs from the default.
        cmd = [str(BIN / "faultdesk"), "serve", "--host", HOST, "--port", str(port)]
        if NO_WORKER:
            cmd.append("--no-worker")
        return cmd + (["--workers", str(workers)] if workers != SERVE_DEFAULT_WORKERS else [])
    # Same server and settings as `faultdesk serve` (uvicorn.run, log level info with the access log).
    return [
        str(BIN / "uvicorn"),
        "bench.intake_baseline:create_app",
        "--factory",
        "--app-dir",
        str(REPO),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "info",
    ]


def wait_ready(proc: subprocess.Popen[bytes], port: int, workers: int, log: Path) -> None:
    """Until /healthz answers 200 and every worker process has finished its startup."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        started = log.read_text(errors="replace").count("Application startup complete")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as res:
                if res.status == 200 and started >= workers:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {READY_TIMEOUT_S:.0f}s:\n{log.read_text()[-3000:]}")


def settle(store: Store) -> None:
    """Starts each measurement from the same state: nothing left to write back from the previous one."""
    if store.name == "postgresql":
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text("CHECKPOINT"))
        finally:
            admin.dispose()
    else:
        db = sqlite3.connect(store.url.removeprefix("sqlite:///"))
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()


def measure(
    procs: Processes, kind: str, store: Store, secret_key: str, workers: int, args: argparse.Namespace
) -> Measured:
    """One server measured: ``baseline``, or FaultDesk taking ``faultdesk`` (JSON API) or ``form`` posts."""
    port = free_port()
    log = store.home / f"{kind}.log"
    settle(store)
    busy_before = wait_until_quiet()
    with log.open("wb") as out:
        server = procs.start(
            server_command("baseline" if kind == "baseline" else "faultdesk", port, workers),
            cwd=REPO,
            env=server_env(store, secret_key),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_ready(server, port, workers, log)
        params = {
            "port": port,
            "requests": args.requests,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "workers": workers,
            "server_pid": server.pid,
            "tag": f"{kind[:2]}{secrets.token_hex(2)}",
            "path": "form" if kind == "form" else "json",  # the baseline answers the JSON post
        }
        gen = procs.start(
            [sys.executable, str(Path(__file__).resolve()), "--loadgen", json.dumps(params)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        try:
            raw, _ = gen.communicate(timeout=LOADGEN_TIMEOUT_S)
        finally:
            procs.stop(gen)
        if gen.returncode != 0:
            raise RuntimeError(f"load generator failed with {gen.returncode}; server log:\n{log.read_text()[-3000:]}")
    finally:
        procs.stop(server)
    result = json.loads(raw)
    latencies = sorted(result["latencies_ms"])
    figures = Figures(
        rps=args.requests / result["elapsed_s"],
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        errors=result["errors"] + result["warmup_errors"],
    )
    say(
        f"  {kind:<9} {figures.rps:8.1f} req/s  p50 {figures.p50_ms:6.2f}  p95 {figures.p95_ms:6.2f}  "
        f"p99 {figures.p99_ms:6.2f} ms  errors {figures.errors}  statuses {result['statuses']}  "
        f"server CPU {result['server_cpu_ms_per_request']:.2f} ms/request; load generator {result['loadgen_cores']:.2f} cores, "
        f"others {result['others_cores']:.2f} cores, machine {result['machine_busy']:.0%} busy"
    )
    return Measured(
        figures,
        result["connections_per_pid"],
        result["error_samples"],
        result["server_cpu_ms_per_request"],
        result["machine_busy"],
        busy_before,
        result["others_cores"],
        log.read_text(errors="replace").splitlines()[-20:] if figures.errors else [],
    )


def run_store(procs: Processes, name: str, workers: int, args: argparse.Namespace) -> dict[str, Any]:
    from faultdesk.adapters.crypto import new_secret_key

    say(f"{name}: {args.requests} requests at concurrency {args.concurrency}, {workers} worker(s)")
    with fresh_store(name, "fdbench") as store:
        secret_key = new_secret_key()
        # The baseline goes first: the later run meets a slightly fuller table, and FaultDesk should not
        # be the one that gains from the order.
        baseline = measure(procs, "baseline", store, secret_key, workers, args)
        measured = {kind: measure(procs, kind, store, secret_key, workers, args) for kind in args.kinds}
    run: dict[str, Any] = {"store": name, "workers": workers, "baseline": baseline, "kinds": list(args.kinds)}
    for kind, m in measured.items():
        run[kind] = m
        run[f"ratio_rps_{kind}"] = m.figures.rps / baseline.figures.rps
        run[f"ratio_p95_{kind}"] = m.figures.p95_ms / baseline.figures.p95_ms
    return run


def _measured(run: dict[str, Any]) -> list[str]:
    """The servers of a run, in the order they are printed: FaultDesk's paths, then the baseline."""
    return [*run["kinds"], "baseline"]


def as_json(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """``faultdesk`` is the JSON API path and ``form`` the report form's; each has its ratios."""
    out = []
    for r in runs:
        entry: dict[str, Any] = {"store": r["store"], "workers": r["workers"]}
        for kind in _measured(r):
            entry[kind] = r[kind].figures.as_json()
        for kind in r["kinds"]:
            suffix = "" if kind == "faultdesk" else f"_{kind}"
            entry[f"ratio_rps{suffix}"] = round(r[f"ratio_rps_{kind}"], 3)
            entry[f"ratio_p95{suffix}"] = round(r[f"ratio_p95_{kind}"], 3)
        out.append(entry)
    return {"runs": out}


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def table(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"intake: {args.requests} reports per server, concurrency {args.concurrency}, warm-up {args.warmup}",
        "",
        f"{'store':<11} {'workers':>7}  {'server':<9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6}",
    ]
    for r in runs:
        for n, kind in enumerate(_measured(r)):
            f: Figures = r[kind].figures
            store, workers = (r["store"], str(r["workers"])) if n == 0 else ("", "")
            lines.append(
                f"{store:<11} {workers:>7}  {kind:<9} {f.rps:8.1f} {f.p50_ms:8.2f} {f.p95_ms:8.2f} {f.p99_ms:8.2f} "
                f"{f.errors:>6}"
            )
        for kind in r["kinds"]:
            rps, p95 = r[f"ratio_rps_{kind}"], r[f"ratio_p95_{kind}"]
            if r["store"] == "postgresql":
                rps_note = f"(target >= {TARGET_RATIO_RPS:.2f}: {_verdict(rps >= TARGET_RATIO_RPS)})"
                p95_note = f"(target <= {TARGET_RATIO_P95:.1f}: {_verdict(p95 <= TARGET_RATIO_P95)})"
            else:
                rps_note = p95_note = "(targets are set for PostgreSQL)"
            lines.append(f"{'':<11} {kind:>9}  ratio_rps {rps:.3f} {rps_note}   ratio_p95 {p95:.3f} {p95_note}")
        lines.append("")
    lines.extend(notes(runs))
    return "\n".join(lines).rstrip()


def notes(runs: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for r in runs:
        if r["workers"] == SERVE_DEFAULT_WORKERS:
            out.append(f"{r['store']}: {r['workers']} API process, the `faultdesk serve` default that `make run` uses")
        else:
            out.append(f"{r['store']}: {r['workers']} API processes (the `faultdesk serve` default is 1)")
            for kind in _measured(r):
                split = sorted(r[kind].connections_per_pid.values(), reverse=True)
                out.append(f"{r['store']}: {kind} keep-alive connections per API process: {split}")
        cpu = " vs ".join(f"{r[k].server_cpu_ms_per_request:.2f} ms ({k})" for k in _measured(r))
        busy = " vs ".join(f"{r[k].machine_busy:.0%}" for k in _measured(r))
        out.append(f"{r['store']}: server CPU per request {cpu}; machine busy {busy}")
        for kind in _measured(r):
            m: Measured = r[kind]
            if m.figures.errors:
                out.append(f"WARNING: {r['store']} {kind}: {m.figures.errors} requests failed; the figures are void")
                out.extend(f"  e.g. {s}" for s in m.error_samples)
                out.extend(f"  server log: {line}" for line in m.server_log_tail)
            if m.busy_before > QUIET_BUSY or m.others_cores > OTHERS_WARN_CORES:
                out.append(
                    f"WARNING: {r['store']} {kind}: other work shared the machine ({m.busy_before:.0%} busy before the"
                    f" start, {m.others_cores:.2f} cores used by other processes during the run): the figures are noisy"
                )
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--requests", type=int, default=10_000, help="timed reports per server (default 10000)")
    parser.add_argument("--concurrency", type=int, default=16, help="concurrent keep-alive clients (default 16)")
    parser.add_argument("--stores", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--warmup", type=int, default=300, help="untimed reports first (default 300)")
    parser.add_argument(
        "--paths",
        default="json,form",
        help="comma-separated intake paths into FaultDesk: json (POST /api/v1/reports), form (POST /report)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=SERVE_DEFAULT_WORKERS,
        help="API processes on PostgreSQL, for FaultDesk and baseline alike (default: the serve default, 1);"
        " SQLite always uses 1",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help="serve without the in-process worker (its clocks, delivery and known-issue linking run in"
        " `faultdesk worker` elsewhere); default: as `make run`, with it",
    )
    args = parser.parse_args(argv)
    global NO_WORKER
    NO_WORKER = args.no_worker
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if not paths or set(paths) - set(REQUESTS):
        parser.error(f"--paths takes json and/or form, not {args.paths!r}")
    args.kinds = ["faultdesk" if p == "json" else "form" for p in paths]
    args.store_list = [s.strip() for s in args.stores.split(",") if s.strip()]
    unknown = set(args.store_list) - {"postgresql", "sqlite"}
    if unknown or not args.store_list:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown)) or '(none)'}")
    if args.requests < 1 or args.concurrency < 1 or args.warmup < 0 or args.workers < 1:
        parser.error("--requests, --concurrency and --workers must be positive, --warmup not negative")
    return args


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    procs = Processes()
    runs: list[dict[str, Any]] = []
    try:
        for name in args.store_list:
            # SQLite has one writer; FaultDesk's own help says to keep one process there.
            workers = args.workers if name == "postgresql" else 1
            runs.append(run_store(procs, name, workers, args))
    finally:
        procs.stop_all()
    if args.json:
        print(json.dumps(as_json(runs)))
        for line in notes(runs):
            say(line)
    else:
        print(table(runs, args))
    return 1 if any(r[k].figures.errors for r in runs for k in _measured(r)) else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--loadgen":
        loadgen_main(sys.argv[2])
    else:
        try:
            sys.exit(main(sys.argv[1:]))
        except KeyboardInterrupt:
            say("interrupted; servers stopped")
            sys.exit(130)

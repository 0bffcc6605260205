"""The stores a benchmark run measures on: a fresh, migrated database of its own, removed after;
and the real server (`faultdesk serve`) started on one of them and stopped again.

Shared by the benchmark scripts (imported as a sibling module: they run as `python bench/X.py`).
SQLAlchemy and FaultDesk are imported inside the function so that a load-generator process that
imports its script stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

# Every channel FaultDesk knows, switched off unless set here: a developer's FAULTDESK_* variables
# must not add robots (and so outbox rows) to what a benchmark measures.
NO_CHANNELS: dict[str, str] = {
    "smtp_host": "",
    "webhook_url": "",
    "sms_webhook_url": "",
    "dingtalk_url": "",
    "feishu_url": "",
    "wecom_url": "",
}


PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BIN = Path(sys.prefix) / "bin"  # the venv the script runs in: .venv/bin
HOST = "127.0.0.1"  # the only address any traffic goes to
READY_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Store:
    name: str  # "postgresql" or "sqlite"
    url: str
    home: Path


def store_names(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """``--stores postgresql,sqlite`` as a list; an unknown name is the parser's error."""
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = set(names) - {"postgresql", "sqlite"}
    if unknown:
        parser.error(f"unknown store(s): {', '.join(sorted(unknown))}")
    return names


def stop_on_sigterm() -> None:
    """A SIGTERM unwinds through the finally blocks that stop the run's servers and subprocesses."""

    def _terminate(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)


@contextlib.contextmanager
def fresh_store(
    name: str, prefix: str = "fdbench", *, migrate: bool = True, server: str = PG_ADMIN_URL
) -> Iterator[Store]:
    """An empty database of this run's own (migrated unless ``migrate`` is false: a run that migrates
    it itself, as `faultdesk db upgrade` does), on ``server`` for PostgreSQL; dropped (PostgreSQL) or
    deleted (SQLite) afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from faultdesk.adapters.db.engine import make_engine
    from faultdesk.adapters.db.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix=f"{prefix}-{name}-") as tmp, contextlib.ExitStack() as cleanup:
        home = Path(tmp)
        if name == "sqlite":
            url = f"sqlite:///{home / 'faultdesk.db'}"
        else:
            database = f"{prefix}_{secrets.token_hex(4)}"
            url = make_url(server).set(database=database).render_as_string(hide_password=False)
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            cleanup.callback(admin.dispose)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database}"'))

            def drop() -> None:
                # FORCE: a server that did not close its pool must not keep the database alive.
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

            cleanup.callback(drop)
        if migrate:
            engine = make_engine(url)
            try:
                upgrade(engine)
            finally:
                engine.dispose()
        yield Store(name, url, home)


@contextlib.contextmanager
def kept_store(
    name: str, key: str, directory: Path, *, ready: Callable[[str], bool], server: str = PG_ADMIN_URL
) -> Iterator[Store]:
    """A database that outlives the run (a cache), named by ``key``: ``directory/<key>.db`` for SQLite,
    the database ``fd<key>`` on ``server`` for PostgreSQL. Created when missing, emptied first when it
    is not ``ready(url)`` (a run that stopped part-way), migrated to head every time."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from faultdesk.adapters.db.engine import make_engine
    from faultdesk.adapters.db.migrate import upgrade

    directory.mkdir(parents=True, exist_ok=True)
    home = directory / f"{key}-home"
    home.mkdir(exist_ok=True)
    if name == "sqlite":
        path = directory / f"{key}.db"
        url = f"sqlite:///{path}"
        if path.exists() and not ready(url):
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
    else:
        database = f"fd{key}"
        url = make_url(server).set(database=database).render_as_string(hide_password=False)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}).first()
                if found and not ready(url):
                    conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
                    found = None
                if not found:
                    conn.execute(text(f'CREATE DATABASE "{database}"'))
        finally:
            admin.dispose()
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    yield Store(name, url, home)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def faultdesk(env: dict[str, str], *args: str) -> str:
    """One `faultdesk` command (init, db upgrade, demo, token create …); its output, or RuntimeError."""
    done = subprocess.run(
        [str(BIN / "faultdesk"), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"faultdesk {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done.stdout


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (it was started in a session of its own), then SIGKILL."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as res:
                if res.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout_s:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """`faultdesk serve --no-worker` on a free port of 127.0.0.1 with ``env``, its output in ``log``;
    yields (port, process) once /healthz answers, and stops its whole process group after."""
    port = free_port()
    with log.open("wb") as log_out:
        proc = subprocess.Popen(
            [str(BIN / "faultdesk"), "serve", "--no-worker", "--host", HOST, "--port", str(port)],
            env=env,
            stdout=log_out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(proc, port, log)
        yield port, proc
    finally:
        stop(proc)

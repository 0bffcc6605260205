"""The stores a benchmark run measures on: a fresh, migrated database of its own, removed after.

Shared by the benchmark scripts (imported as a sibling module: they run as `python bench/X.py`).
SQLAlchemy and FaultDesk are imported inside the function so that a load-generator process that
imports its script stays light.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


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

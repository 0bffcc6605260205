"""The stores a benchmark run measures on: a fresh, migrated database of its own, removed after.

Shared by the benchmark scripts (imported as a sibling module: they run as `python bench/X.py`).
SQLAlchemy and FaultDesk are imported inside the function so that a load-generator process that
imports its script stays light.
"""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Store:
    name: str  # "postgresql" or "sqlite"
    url: str
    home: Path


@contextlib.contextmanager
def fresh_store(name: str, prefix: str = "fdbench") -> Iterator[Store]:
    """A migrated, empty database of this run's own; dropped (PostgreSQL) or deleted (SQLite) afterwards."""
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
            url = make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
            admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
            cleanup.callback(admin.dispose)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database}"'))

            def drop() -> None:
                # FORCE: a server that did not close its pool must not keep the database alive.
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))

            cleanup.callback(drop)
        engine = make_engine(url)
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield Store(name, url, home)

"""Engines for the two stores: embedded SQLite (one writer) and PostgreSQL (a pool)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import NullPool, QueuePool

SQLITE_POOL_TIMEOUT_S = 60.0  # waiting for the one writer connection of this process
SQLITE_BUSY_TIMEOUT_S = 30.0  # waiting for another process's write lock


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    pool_timeout_s: float | None = None,
    busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
) -> Engine:
    """``pool_timeout_s``: how long a checkout waits for a pooled connection before it fails
    (None: 60 s on SQLite, SQLAlchemy's 30 s on PostgreSQL). ``busy_timeout_s``: how long a
    SQLite transaction waits for another process's write lock."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, SQLITE_POOL_TIMEOUT_S if pool_timeout_s is None else pool_timeout_s, busy_timeout_s)
    # No pre-ping: it costs a round trip per request; connections are recycled instead, and a
    # connection the server dropped fails one request rather than every checkout paying for it.
    waits = {} if pool_timeout_s is None else {"pool_timeout": pool_timeout_s}
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, **waits)

    @event.listens_for(engine, "connect")
    def _utc_session(dbapi_conn: Any, _record: Any) -> None:
        # Sessions in UTC: psycopg then hands back datetimes in its one ``timezone.utc``, which
        # UtcDateTime passes through instead of converting each (the server's own zone, even
        # Etc/UTC, costs a zoneinfo conversion per value read). A SET, not a connect option, so
        # that the URL's or PGOPTIONS' own options stay; without it times are right, only slower.
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()

    return engine


def _sqlite_engine(url: str, pool_timeout_s: float, busy_timeout_s: float) -> Engine:
    # One connection: SQLite has one writer anyway, and a pool of writers only adds
    # busy-retry backoff (measured: p95 210 ms with 8 connections vs 24 ms with one).
    engine = create_engine(
        url,
        poolclass=QueuePool,
        pool_size=1,
        max_overflow=0,
        pool_timeout=pool_timeout_s,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={round(busy_timeout_s * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        # Take the write lock up front so two processes never deadlock upgrading a read
        # lock, and serial allocation stays gap-free across processes.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def reader_engine(engine: Engine) -> Engine:
    """Where long reads (the record table's exports) run. PostgreSQL: the same pool (a read replica
    could go here). SQLite: connections of their own, read-only and without ``BEGIN IMMEDIATE``, so
    an export of a million rows reads its WAL snapshot while the one writer goes on writing."""
    if engine.dialect.name != "sqlite":
        return engine
    reader = create_engine(
        engine.url,
        poolclass=NullPool,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
    )

    @event.listens_for(reader, "connect")
    def _read_only(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(reader, "begin")
    def _begin_deferred(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")  # the snapshot starts at the first read

    return reader

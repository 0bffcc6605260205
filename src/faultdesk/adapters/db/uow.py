"""SqlUnitOfWork: one connection, one transaction, the only commit() in src/ that reaches the database
(services/memory.py has its in-memory twin for tests)."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, event
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.dml import UpdateBase

from faultdesk.adapters.db.audit_store import SqlAudit
from faultdesk.adapters.db.catalogue_store import SqlCatalogue
from faultdesk.adapters.db.clock_store import SqlClocks
from faultdesk.adapters.db.fault_store import SqlFaults
from faultdesk.adapters.db.knowledge_store import SqlKnowledge
from faultdesk.adapters.db.metrics_store import SqlMetrics
from faultdesk.adapters.db.outbox_store import SqlOutbox
from faultdesk.adapters.db.queries import WRITES
from faultdesk.adapters.db.record_table_store import SqlExportJobs
from faultdesk.adapters.db.report_store import SqlReports
from faultdesk.adapters.db.session_store import SqlSessions
from faultdesk.adapters.db.settings_store import SqlSettings
from faultdesk.adapters.db.user_store import SqlUsers
from faultdesk.services.ports import (
    Audit,
    Catalogue,
    Clocks,
    ExportJobs,
    Faults,
    Knowledge,
    Metrics,
    Outbox,
    Reports,
    Sessions,
    Settings,
    UnitOfWork,
    Users,
)

# What the queue tabs (services/queues.py) and the improvement tabs (services/followup.py) count,
# and the queue filters' choices (staff, fault types, products): a commit that wrote one of these
# clears the kept counts and choices.
COUNTED_TABLES = frozenset(
    {"faults", "clocks", "reports", "improvement_actions", "users", "fault_types", "products", "product_functions"}
)
_WROTE_COUNTED = "faultdesk.wrote_counted"  # in the connection's info until the commit


def _note_counted_write(conn: Connection, clause: Any, *_: Any) -> None:
    if isinstance(clause, UpdateBase):
        written = {getattr(clause.table, "name", None)}
    elif isinstance(clause, Executable):  # a SELECT whose WITH writes says what it writes
        written = set(clause.get_execution_options().get(WRITES, ()))
    else:
        return
    if written & COUNTED_TABLES:
        conn.info[_WROTE_COUNTED] = True


def watch_counted_writes(engine: Engine) -> None:
    """Mark each connection of ``engine`` that writes a counted table (once per engine, at start-up),
    so a unit of work given ``on_counted_change`` can tell after its commit."""
    if not event.contains(engine, "after_execute", _note_counted_write):
        event.listen(engine, "after_execute", _note_counted_write)


class SqlUnitOfWork:
    users: Users
    sessions: Sessions
    catalogue: Catalogue
    reports: Reports
    faults: Faults
    audit: Audit
    knowledge: Knowledge
    clocks: Clocks
    outbox: Outbox
    settings: Settings
    export_jobs: ExportJobs
    metrics: Metrics

    def __init__(self, engine: Engine, on_counted_change: Callable[[], None] | None = None) -> None:
        self._engine = engine
        self._on_counted_change = on_counted_change  # (the engine watched by watch_counted_writes)
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        conn = self._engine.connect()
        self._conn = conn
        self._tx = conn.begin()
        conn.info.pop(_WROTE_COUNTED, None)  # (the pooled connection's info outlives a unit of work)
        self.users = SqlUsers(conn)
        self.sessions = SqlSessions(conn)
        self.catalogue = SqlCatalogue(conn)
        self.reports = SqlReports(conn)
        self.faults = SqlFaults(conn)
        self.audit = SqlAudit(conn)
        self.knowledge = SqlKnowledge(conn)
        self.clocks = SqlClocks(conn)
        self._outbox = SqlOutbox(conn)
        self.outbox = self._outbox
        self.settings = SqlSettings(conn)
        self.export_jobs = SqlExportJobs(conn)
        self.metrics = SqlMetrics(conn)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()  # anything not committed explicitly is undone
        finally:
            if self._conn is not None:
                self._conn.close()
            self._conn = self._tx = None

    def commit(self) -> None:
        assert self._tx is not None, "commit outside a unit of work"
        self._outbox.flush()  # the outbox rows commit with the change that caused them
        self._tx.commit()
        if (
            self._on_counted_change is not None
            and self._conn is not None
            and self._conn.info.pop(_WROTE_COUNTED, False)
        ):
            self._on_counted_change()

"""The outbox: messages waiting to be delivered, their leases, attempts and dead letters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.services.records import Outgoing, StoredMessage

_o = t.outbox


@dataclass(frozen=True)
class _Claimed:
    rows: list[StoredMessage]


def _message(row: Any) -> StoredMessage:
    return StoredMessage(
        id=row.id,
        message_id=row.message_id,
        channel=row.channel,
        recipient=row.recipient,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        fault_id=row.fault_id,
        report_id=row.report_id,
        state=row.state,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


# The columns SqlOutbox.add fills, in the order it keeps them.
OUTBOX_ADDED = (
    "message_id",
    "channel",
    "recipient",
    "kind",
    "subject",
    "body",
    "fault_id",
    "report_id",
    "state",
    "attempts",
    "next_attempt_at",
    "created_at",
)
_COPY_OUTBOX = f"COPY outbox ({', '.join(OUTBOX_ADDED)}) FROM STDIN"


class SqlOutbox:
    """Messages added in a unit of work are written together just before it commits (one
    multi-row INSERT), so a tick that queues 500 notices pays for one statement, not 500."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pending: list[tuple[Any, ...]] = []  # in the order of OUTBOX_ADDED

    def add(self, message: Outgoing) -> None:
        # COPY bypasses UtcDateTime, so its refusal of naive times is repeated here for both stores.
        if message.not_before.tzinfo is None or message.created_at.tzinfo is None:
            raise ValueError("naive datetime given to the outbox")
        self._pending.append(
            (
                message.message_id,
                message.channel,
                message.recipient,
                message.kind,
                message.subject,
                message.body,
                message.fault_id,
                message.report_id,
                message.state,
                0,
                message.not_before,
                message.created_at,
            )
        )

    def flush(self) -> None:
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        if self.conn.dialect.name != "postgresql":
            self.conn.execute(insert(_o), [dict(zip(OUTBOX_ADDED, row, strict=True)) for row in rows])
            return
        # COPY, in this transaction: the batch's rows go as one data stream, where executemany
        # sends and executes one INSERT per row (bench/clocks.py measures it within the tick).
        # It skips SQLAlchemy's type processing: the rows are plain str / int / None and aware
        # datetimes (checked in add), which psycopg writes as text and timestamptz.
        driver: Any = self.conn.connection.driver_connection
        with driver.cursor() as cur, cur.copy(_COPY_OUTBOX) as copy:
            for row in rows:
                copy.write_row(row)

    def claim(self, now: datetime, lease: timedelta, limit: int) -> list[StoredMessage]:
        """Lease a batch: pending and due, or sending whose lease ran out (a worker died)."""
        self.flush()
        ready = or_(
            and_(_o.c.state == "pending", _o.c.next_attempt_at <= now),
            and_(_o.c.state == "sending", _o.c.lease_until < now),
        )
        ids = list(
            self.conn.execute(
                select(_o.c.id)
                .where(ready)
                .order_by(_o.c.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if not ids:
            return []
        self.conn.execute(
            update(_o).where(among(self.conn, _o.c.id, ids)).values(state="sending", lease_until=now + lease)
        )
        return [
            _message(r) for r in self.conn.execute(select(_o).where(among(self.conn, _o.c.id, ids)).order_by(_o.c.id))
        ]

    def mark_sent(self, row_ids: list[int], now: datetime) -> None:
        """One statement for a batch's deliveries (attempts counted per row)."""
        if not row_ids:
            return
        self.conn.execute(
            update(_o)
            .where(among(self.conn, _o.c.id, row_ids))
            .values(state="sent", sent_at=now, attempts=_o.c.attempts + 1, lease_until=None, last_error=None)
        )

    def mark_failed(self, row_id: int, error: str, retry_at: datetime | None) -> None:
        """Back to pending for another attempt at ``retry_at``, or dead when there is none."""
        self.conn.execute(
            update(_o)
            .where(_o.c.id == row_id)
            .values(
                state="pending" if retry_at else "dead",
                attempts=_o.c.attempts + 1,
                next_attempt_at=retry_at or _o.c.next_attempt_at,
                lease_until=None,
                last_error=error.replace("\x00", " ")[:500],  # PostgreSQL text holds no NUL
            )
        )

    def release(self, row_ids: list[int], retry_at: datetime, note: str) -> None:
        """Back to pending untried (no attempt counted), due at ``retry_at``, with a note why."""
        if row_ids:
            self.conn.execute(
                update(_o)
                .where(among(self.conn, _o.c.id, row_ids))
                .values(
                    state="pending",
                    lease_until=None,
                    next_attempt_at=retry_at,
                    last_error=note.replace("\x00", " ")[:500],
                )
            )

    def retry(self, row_id: int, now: datetime) -> bool:
        result = self.conn.execute(
            update(_o).where(_o.c.id == row_id, _o.c.state == "dead").values(state="pending", next_attempt_at=now)
        )
        return int(result.rowcount) == 1

    def count(self, state: str) -> int:
        self.flush()
        return int(self.conn.execute(select(func.count()).select_from(_o).where(_o.c.state == state)).scalar_one())

    def listing(
        self, *, state: str | None, report_id: int | None, fault_id: int | None, limit: int, newest_first: bool = False
    ) -> list[StoredMessage]:
        self.flush()
        stmt = select(_o)
        if state:
            stmt = stmt.where(_o.c.state == state)
        if report_id is not None:
            stmt = stmt.where(_o.c.report_id == report_id)
        if fault_id is not None:
            stmt = stmt.where(_o.c.fault_id == fault_id)
        order = _o.c.id.desc() if newest_first else _o.c.id
        return [_message(r) for r in self.conn.execute(stmt.order_by(order).limit(limit))]

"""Rows of the clocks and outbox tables <-> domain clocks and outgoing messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.domain.faults import Severity
from faultdesk.domain.sla import ClockKind, ClockState, Mode, SlaClock
from faultdesk.services.records import ClockRow, Outgoing, StoredMessage

_c, _o = t.clocks, t.outbox
_INSERT_CLOCK = insert(_c)  # built once: executed with parameters on the hot intake path
# The columns firing may change: each is the clock attribute of the same name.
_FIRED_COLUMNS = ("state", "next_fire_at", "warned_at", "breached_at", "met_at", "escalation_level")


def _clock_values(clock: SlaClock) -> dict[str, Any]:
    return {
        "kind": clock.kind.value,
        "severity": int(clock.severity) if clock.severity is not None else None,
        "mode": clock.mode.value,
        "state": clock.state.value,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "warn_at": clock.warn_at,
        "next_fire_at": clock.next_fire_at,
        "warned_at": clock.warned_at,
        "breached_at": clock.breached_at,
        "met_at": clock.met_at,
        "paused_at": clock.paused_at,
        "remaining_s": int(clock.remaining.total_seconds()) if clock.remaining is not None else None,
        "escalation_level": clock.escalation_level,
    }


# The columns a clock is read from, in the order _clock unpacks them: the worker maps 500 rows a
# tick, and positional unpacking with dict lookups costs a third of named access and Enum calls.
_CLOCK_SELECT = select(
    _c.c.id,
    _c.c.fault_id,
    _c.c.report_id,
    _c.c.improvement_id,
    _c.c.kind,
    _c.c.severity,
    _c.c.mode,
    _c.c.state,
    _c.c.started_at,
    _c.c.due_at,
    _c.c.warn_at,
    _c.c.next_fire_at,
    _c.c.warned_at,
    _c.c.breached_at,
    _c.c.met_at,
    _c.c.paused_at,
    _c.c.remaining_s,
    _c.c.escalation_level,
)
_KINDS = {k.value: k for k in ClockKind}
_SEVERITIES: dict[int | None, Severity | None] = {None: None, **{int(s): s for s in Severity}}
_MODES = {m.value: m for m in Mode}
_STATES = {s.value: s for s in ClockState}


def _clock(row: Any) -> ClockRow:
    (
        row_id,
        fault_id,
        report_id,
        improvement_id,
        kind,
        severity,
        mode,
        state,
        started_at,
        due_at,
        warn_at,
        next_fire_at,
        warned_at,
        breached_at,
        met_at,
        paused_at,
        remaining_s,
        escalation_level,
    ) = row
    clock = SlaClock(
        kind=_KINDS[kind],
        severity=_SEVERITIES[severity],
        mode=_MODES[mode],
        started_at=started_at,
        due_at=due_at,
        warn_at=warn_at,
        state=_STATES[state],
        next_fire_at=next_fire_at,
        warned_at=warned_at,
        breached_at=breached_at,
        met_at=met_at,
        paused_at=paused_at,
        remaining=timedelta(seconds=remaining_s) if remaining_s is not None else None,
        escalation_level=escalation_level,
    )
    return ClockRow(row_id, fault_id, report_id, improvement_id, clock)


class SqlClocks:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        clock: SlaClock,
        *,
        fault_id: int | None = None,
        report_id: int | None = None,
        improvement_id: int | None = None,
    ) -> int:
        params = {
            "fault_id": fault_id,
            "report_id": report_id,
            "improvement_id": improvement_id,
            **_clock_values(clock),
        }
        return int(self.conn.execute(_INSERT_CLOCK, params).inserted_primary_key[0])  # type: ignore[index]

    def save(self, row_id: int, clock: SlaClock) -> None:
        self.conn.execute(update(_c).where(_c.c.id == row_id).values(**_clock_values(clock)))

    def save_fired(self, changes: list[tuple[int, SlaClock, SlaClock]]) -> None:
        """Write what firing changed for a batch of (row id, before, after).

        Clocks fired together mostly change alike (breached now, level 1, next look in 30 min),
        so the batch becomes one ``UPDATE … WHERE id IN (…)`` per distinct change — usually one
        or two statements for 500 clocks, as hand-written SQL would do it.
        """
        groups: dict[tuple[tuple[str, Any], ...], list[int]] = {}
        for row_id, before, after in changes:
            diff = tuple(
                (name, getattr(after, name)) for name in _FIRED_COLUMNS if getattr(after, name) != getattr(before, name)
            )
            if diff:
                groups.setdefault(diff, []).append(row_id)
        for diff, ids in groups.items():
            values = {name: v.value if isinstance(v, ClockState) else v for name, v in diff}
            self.conn.execute(update(_c).where(among(self.conn, _c.c.id, ids)).values(values))

    def of_fault(self, fault_id: int) -> list[ClockRow]:
        return [_clock(r) for r in self.conn.execute(_CLOCK_SELECT.where(_c.c.fault_id == fault_id).order_by(_c.c.id))]

    def of_report(self, report_id: int) -> list[ClockRow]:
        return [_clock(r) for r in self.conn.execute(_CLOCK_SELECT.where(_c.c.report_id == report_id))]

    def of_improvement(self, improvement_id: int) -> list[ClockRow]:
        return [_clock(r) for r in self.conn.execute(_CLOCK_SELECT.where(_c.c.improvement_id == improvement_id))]

    def claim_due(self, now: datetime, limit: int) -> list[ClockRow]:
        """Due clocks, locked for this transaction; other workers skip them (PostgreSQL)."""
        stmt = (
            _CLOCK_SELECT.where(_c.c.next_fire_at <= now)
            .order_by(_c.c.next_fire_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_clock(r) for r in self.conn.execute(stmt)]

    def due_soon(self, now: datetime, limit: int) -> list[ClockRow]:
        """Running clocks past their warning share and not yet due."""
        stmt = _CLOCK_SELECT.where(_c.c.state == ClockState.RUNNING.value, _c.c.warn_at <= now, _c.c.due_at > now)
        return [_clock(r) for r in self.conn.execute(stmt.order_by(_c.c.due_at).limit(limit))]

    def latest_due(self, state: ClockState, mode: Mode) -> datetime | None:
        """The latest due time among the clocks in this state and mode (read from the index)."""
        stmt = (
            select(_c.c.due_at)
            .where(_c.c.state == state.value, _c.c.mode == mode.value)
            .order_by(_c.c.due_at.desc())
            .limit(1)
        )
        latest: datetime | None = self.conn.execute(stmt).scalar()
        return latest

    def listing(self, states: list[ClockState], due_before: datetime | None, limit: int) -> list[ClockRow]:
        stmt = _CLOCK_SELECT
        if states:
            stmt = stmt.where(_c.c.state.in_([s.value for s in states]))
        if due_before is not None:
            stmt = stmt.where(_c.c.due_at <= due_before)
        return [_clock(r) for r in self.conn.execute(stmt.order_by(_c.c.due_at).limit(limit))]


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
                "pending",
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
                last_error=error[:500],
            )
        )

    def release(self, row_ids: list[int], retry_at: datetime, note: str) -> None:
        """Back to pending untried (no attempt counted), due at ``retry_at``, with a note why."""
        if row_ids:
            self.conn.execute(
                update(_o)
                .where(among(self.conn, _o.c.id, row_ids))
                .values(state="pending", lease_until=None, next_attempt_at=retry_at, last_error=note[:500])
            )

    def retry(self, row_id: int, now: datetime) -> bool:
        result = self.conn.execute(
            update(_o).where(_o.c.id == row_id, _o.c.state == "dead").values(state="pending", next_attempt_at=now)
        )
        return int(result.rowcount) == 1

    def listing(
        self, *, state: str | None, report_id: int | None, fault_id: int | None, limit: int
    ) -> list[StoredMessage]:
        self.flush()
        stmt = select(_o)
        if state:
            stmt = stmt.where(_o.c.state == state)
        if report_id is not None:
            stmt = stmt.where(_o.c.report_id == report_id)
        if fault_id is not None:
            stmt = stmt.where(_o.c.fault_id == fault_id)
        return [_message(r) for r in self.conn.execute(stmt.order_by(_o.c.id).limit(limit))]


class SqlCalendar:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def overrides(self) -> tuple[list[date], list[date], list[int]]:
        days = list(self.conn.execute(select(t.calendar_days)))
        years = list(self.conn.execute(select(t.calendar_years.c.year)).scalars())
        return [d.day for d in days if d.kind == "holiday"], [d.day for d in days if d.kind == "workday"], years

    def set_day(self, day: date, kind: str, note: str | None, at: datetime) -> None:
        cd = t.calendar_days
        if self.conn.execute(select(cd.c.day).where(cd.c.day == day)).first():
            self.conn.execute(update(cd).where(cd.c.day == day).values(kind=kind, note=note, created_at=at))
        else:
            self.conn.execute(insert(cd).values(day=day, kind=kind, note=note, created_at=at))

    def announce_year(self, year: int, at: datetime) -> None:
        cy = t.calendar_years
        if not self.conn.execute(select(cy.c.year).where(cy.c.year == year)).first():
            self.conn.execute(insert(cy).values(year=year, announced_at=at))

    def template(self, key: str, lang: str) -> tuple[str, str] | None:
        mt = t.message_templates
        row = self.conn.execute(select(mt).where(mt.c.key == key, mt.c.lang == lang)).first()
        return (row.subject, row.body) if row else None

    def set_template(self, key: str, lang: str, subject: str, body: str, at: datetime) -> None:
        mt = t.message_templates
        if self.template(key, lang):
            self.conn.execute(
                update(mt).where(mt.c.key == key, mt.c.lang == lang).values(subject=subject, body=body, updated_at=at)
            )
        else:
            self.conn.execute(insert(mt).values(key=key, lang=lang, subject=subject, body=body, updated_at=at))

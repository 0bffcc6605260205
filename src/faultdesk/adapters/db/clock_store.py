"""Rows of the clocks table <-> domain response clocks (SlaClock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.domain.faults import Severity
from faultdesk.domain.sla import ClockKind, ClockState, Mode, SlaClock
from faultdesk.services.records import ClockRow

_c = t.clocks
_INSERT_CLOCK = insert(_c)  # built once: executed with parameters on the hot intake path
# The columns firing may change: each is the clock attribute of the same name.
_FIRED_COLUMNS = ("state", "next_fire_at", "warned_at", "breached_at", "met_at", "escalation_level")


def clock_values(clock: SlaClock) -> dict[str, Any]:
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
            **clock_values(clock),
        }
        return int(self.conn.execute(_INSERT_CLOCK, params).inserted_primary_key[0])  # type: ignore[index]

    def save(self, row_id: int, clock: SlaClock) -> None:
        self.conn.execute(update(_c).where(_c.c.id == row_id).values(**clock_values(clock)))

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

    def of_reports(self, report_ids: list[int]) -> list[ClockRow]:
        if not report_ids:
            return []
        return [_clock(r) for r in self.conn.execute(_CLOCK_SELECT.where(among(self.conn, _c.c.report_id, report_ids)))]

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
        return [_clock(r) for r in self.conn.execute(stmt.order_by(_c.c.due_at, _c.c.id).limit(limit))]

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
        # Ties in the order the clocks started: the (state, due, fault, kind) index would give kind order.
        return [_clock(r) for r in self.conn.execute(stmt.order_by(_c.c.due_at, _c.c.id).limit(limit))]

    def not_met_of_faults(self, fault_ids: list[int]) -> list[ClockRow]:
        """The clocks not met yet (running, paused, breached) of a page of faults, soonest due first."""
        if not fault_ids:
            return []
        # By fault (a page's few hundred clocks), the met ones (most of them) left out by a "not
        # met" no index serves: with ``state IN (…)`` SQLite without statistics walked the
        # (state, due) index of every clock instead.
        stmt = _CLOCK_SELECT.where(among(self.conn, _c.c.fault_id, fault_ids), _c.c.state != ClockState.MET.value)
        return [_clock(r) for r in self.conn.execute(stmt.order_by(_c.c.due_at, _c.c.id))]

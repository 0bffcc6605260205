"""Faults (故障单): the aggregate row, its stage records and severity history."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Select,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.adapters.db.queries import order_by_sort
from faultdesk.domain.faults import Fault, FaultStatus, Severity
from faultdesk.domain.lifecycle import Action
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.records import (
    KEEP,
    QUEUE_SORTS,
    Actor,
    ClockQueue,
    ClockWindow,
    FaultBrief,
    FaultChanges,
    FaultFilter,
    FaultView,
    Page,
    SeverityChange,
    StageRecord,
    WorkOf,
    counted_users,
    page_bounds,
    sort_order,
)

_r, _f, _p, _pf, _c, _fo = t.reports, t.faults, t.products, t.product_functions, t.clocks, t.fault_owners
_registrar = t.users.alias("registrar")
_fault_product = _p.alias("fault_product")
_fault_function = _pf.alias("fault_function")
_related = _f.alias("related_fault")
_merged = _f.alias("merged_fault")
_report_count = select(func.count()).where(_r.c.fault_id == _f.c.id).correlate(_f).scalar_subquery()
# What the lifecycle reads beside the row (FaultView.responded / .retrospected): each one probe
# of an index on (fault_id, …).
_responded = (
    exists()
    .where(_c.c.fault_id == _f.c.id, _c.c.kind == ClockKind.RESPONSE.value, _c.c.met_at.is_not(None))
    .correlate(_f)
)
_retrospected = (
    exists()
    .where(t.stage_records.c.fault_id == _f.c.id, t.stage_records.c.action == Action.RETROSPECT.value)
    .correlate(_f)
)
_released_version = (
    select(t.stage_records.c.data["version"].as_string())
    .where(t.stage_records.c.fault_id == _f.c.id, t.stage_records.c.action == Action.RELEASE_FULL.value)
    .order_by(t.stage_records.c.id.desc())
    .limit(1)
    .correlate(_f)
    .scalar_subquery()
)


# Columns of the faults table that the view does not carry as they are stored.
_NOT_VIEWED = {"product_id", "function_id", "registered_by", "related_fault_id", "merged_into_id"}


def _fault_select() -> Select[Any]:
    """Every column labelled with the FaultView field it fills, so a row maps by name."""
    return (
        select(
            *[c for c in _f.c if c.name not in _NOT_VIEWED],
            _fault_product.c.code.label("product_code"),
            _fault_function.c.code.label("function_code"),
            _fault_function.c.criticality.label("function_criticality"),
            _registrar.c.username.label("registered_by"),
            _f.c.registered_by.label("registered_by_id"),
            _report_count.label("report_count"),
            _related.c.number.label("related_fault"),
            _merged.c.number.label("merged_into"),
            _responded.label("responded"),
            _retrospected.label("retrospected"),
            _released_version.label("released_version"),
        )
        .outerjoin(_fault_product, _fault_product.c.id == _f.c.product_id)
        .outerjoin(_fault_function, _fault_function.c.id == _f.c.function_id)
        .join(_registrar, _registrar.c.id == _f.c.registered_by)
        .outerjoin(_related, _related.c.id == _f.c.related_fault_id)
        .outerjoin(_merged, _merged.c.id == _f.c.merged_into_id)
    )


# Built once: a statement is immutable, and building this one (40 columns, five joins) cost more
# than a fault's lookup by its number took in the database.
_FAULTS = _fault_select()
_FAULTS_LIGHT = _FAULTS.with_only_columns(
    *[c for c in _FAULTS.selected_columns if c.name != "report_count"], literal(0).label("report_count")
)


_FAULT_BRIEF = select(
    _f.c.id,
    _f.c.number,
    _f.c.title,
    _f.c.status,
    _f.c.severity,
    _f.c.affected_users,
    _f.c.estimated_users,
    _f.c.owners,
    _f.c.team,
    _f.c.registered_by,
    _f.c.public_title,
)


_VIEW_FIELDS = tuple(f.name for f in fields(FaultView))


def _fault(row: Any) -> FaultView:
    """A fault's view from its columns by name; the enum, severity and case columns decode
    themselves (adapters/db/types.py)."""
    values = row._mapping
    view = FaultView(**{name: values[name] for name in _VIEW_FIELDS})
    return view if view.owners is not None else replace(view, owners={})  # JSON null: nobody yet


class SqlFaults:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_serial(self, scope: str) -> int:
        """Atomic increment-or-create; the row stays locked until this transaction ends."""
        s = t.fault_serials
        ins = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(s)
        stmt = (
            ins.values(scope=scope, last_serial=1)
            .on_conflict_do_update(index_elements=[s.c.scope], set_={"last_serial": s.c.last_serial + 1})
            .returning(s.c.last_serial)
        )
        return int(self.conn.execute(stmt).scalar_one())

    def raise_serial(self, scope: str, at_least: int) -> None:
        s = t.fault_serials
        ins = (postgresql.insert if self.conn.dialect.name == "postgresql" else sqlite.insert)(s)
        stmt = ins.values(scope=scope, last_serial=at_least).on_conflict_do_update(
            index_elements=[s.c.scope],
            set_={"last_serial": case((s.c.last_serial < at_least, at_least), else_=s.c.last_serial)},
        )
        self.conn.execute(stmt)

    def add(self, fault: Fault, *, product_id: int | None, function_id: int | None, at: datetime) -> int:
        stmt = insert(_f).values(
            number=fault.number,
            type_code=fault.type_code,
            title=fault.title,
            status=fault.status.value,
            severity=int(fault.severity) if fault.severity is not None else None,
            product_id=product_id,
            function_id=function_id,
            affected_users=fault.affected_users,
            estimated_users=fault.estimated_users,
            estimate_source=fault.estimate_source,
            registered_at=fault.registered_at,
            registered_by=fault.registered_by,
            updated_at=at,
            version=fault.version,
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def by_number(self, number: str) -> FaultView | None:
        row = self.conn.execute(_FAULTS.where(_f.c.number == number)).first()
        return _fault(row) if row else None

    def by_id(self, fault_id: int) -> FaultView | None:
        row = self.conn.execute(_FAULTS.where(_f.c.id == fault_id)).first()
        return _fault(row) if row else None

    def search(self, flt: FaultFilter) -> Page[FaultView]:
        if _work_alone(flt):
            return self._work_page(flt)
        where = _where(flt)
        if flt.clocks is not None and _clocks_alone(flt):  # a clock tab without filters: its index alone
            total = self.count_with_clocks(flt.clocks)
        else:
            total = self.conn.execute(select(func.count()).select_from(_f).where(where)).scalar_one()
        offset, limit = page_bounds(flt.page, flt.page_size)
        # The page's ids first, then their rows with the joins: asked in one query, PostgreSQL
        # planned the joins for every fault the filter might find (a clock queue's estimate is
        # off by ten times) and hashed the whole faults table twice for 25 rows.
        if flt.clocks is not None and self.conn.dialect.name == "postgresql":
            where = _where(flt, clocks_as_exists=True)  # (see _clock_exists)
        page_ids = select(_f.c.id).where(where).order_by(*_order(flt.sort)).offset(offset).limit(limit)
        ids = list(self.conn.execute(page_ids).scalars())
        return self._page_of(ids, int(total), flt)

    def _page_of(self, ids: list[int], total: int, flt: FaultFilter) -> Page[FaultView]:
        if not ids:
            return Page([], total, flt.page, flt.page_size)
        found = {r.id: _fault(r) for r in self.conn.execute(_FAULTS.where(among(self.conn, _f.c.id, ids)))}
        return Page([found[i] for i in ids], total, flt.page, flt.page_size)

    def _work_page(self, flt: FaultFilter) -> Page[FaultView]:
        """A page of my work alone, counted and sorted from the union of its parts, each id beside
        its sort column: joined back to the faults table, PostgreSQL hashed the union's ids
        against the whole faults index to sort them (20 ms at 100,000 faults; this: 2 ms)."""
        assert flt.work_of is not None
        name, _ = sort_order(flt.sort)
        work = _work_faults(flt.work_of, name).subquery()
        total = int(self.conn.execute(select(func.count()).select_from(work)).scalar_one())
        offset, limit = page_bounds(flt.page, flt.page_size)
        order = order_by_sort(flt.sort, {name: work.c.key}, work.c.id)
        ids = list(self.conn.execute(select(work.c.id).order_by(*order).offset(offset).limit(limit)).scalars())
        return self._page_of(ids, total, flt)

    def count(self, flt: FaultFilter) -> int:
        """How many faults the filter finds (its page and sort aside): a queue tab's count."""
        if _work_alone(flt):  # (see _work_page)
            assert flt.work_of is not None
            work = _work_faults(flt.work_of).subquery()
            return int(self.conn.execute(select(func.count()).select_from(work)).scalar_one())
        return int(self.conn.execute(select(func.count()).select_from(_f).where(_where(flt))).scalar_one())

    def count_with_clocks(self, window: ClockWindow) -> int:
        """How many faults have a clock of this queue: counted on the clocks' index alone."""
        found = _clock_faults(window)
        fault_ids = found.subquery()
        # a UNION's faults are distinct already (breached: 0.5 ms of 4 less than counting them distinct again)
        count = func.count() if isinstance(found, CompoundSelect) else func.count(func.distinct(fault_ids.c.fault_id))
        return int(self.conn.execute(select(count).select_from(fault_ids)).scalar_one())

    def tally(self) -> dict[tuple[FaultStatus, Severity | None], int]:
        """Faults per state and severity, read from their index: the stage and severity tabs."""
        rows = self.conn.execute(select(_f.c.status, _f.c.severity, func.count()).group_by(_f.c.status, _f.c.severity))
        return {(status, severity): int(n) for status, severity, n in rows}

    def set_affected_users(self, fault_id: int, count: int, at: datetime, *, bump_version: bool = True) -> None:
        version = _f.c.version + 1 if bump_version else _f.c.version
        self.conn.execute(
            update(_f).where(_f.c.id == fault_id).values(affected_users=count, updated_at=at, version=version)
        )

    def changed_since(self, after: tuple[datetime, int] | None, limit: int) -> list[FaultView]:
        """Faults registered or changed after ``after`` = (updated_at, id), in that order (the
        matcher's catch-up): a keyset, so a batch of faults changed at one instant is read once."""
        stmt = _FAULTS
        if after is not None:
            at, fault_id = after
            # a row value: SQLite's planner reads an OR of the two from the whole table (34 ms at 100,000 faults)
            stmt = stmt.where(tuple_(_f.c.updated_at, _f.c.id) > tuple_(at, fault_id))
        return [_fault(r) for r in self.conn.execute(stmt.order_by(_f.c.updated_at, _f.c.id).limit(limit))]

    def by_ids(self, fault_ids: list[int]) -> list[FaultView]:
        """Faults for notices and matching: without the report count (0 here), which costs a
        correlated count per fault."""
        if not fault_ids:
            return []
        return [_fault(r) for r in self.conn.execute(_FAULTS_LIGHT.where(among(self.conn, _f.c.id, fault_ids)))]

    def briefs(self, fault_ids: list[int]) -> list[FaultBrief]:
        """The worker's read for a batch of notices: ten plain columns, no joins."""
        if not fault_ids:
            return []
        return [
            FaultBrief(
                id=fault_id,
                number=number,
                title=title,
                status=FaultStatus(status),
                severity=Severity(severity) if severity is not None else None,
                impact_users=counted_users(affected, estimated),
                owners=dict(owners or {}),
                team=team,
                registered_by_id=registered_by,
                public_title=public_title,
            )
            for fault_id, number, title, status, severity, affected, estimated, owners, team, registered_by, public_title in (
                self.conn.execute(_FAULT_BRIEF.where(among(self.conn, _f.c.id, fault_ids)))
            )
        ]

    def update(self, fault_id: int, expected_version: int, changes: FaultChanges, at: datetime) -> bool:
        """Compare-and-set on the version: False when someone else changed the fault first."""
        result = self.conn.execute(
            update(_f)
            .where(_f.c.id == fault_id, _f.c.version == expected_version)
            .values(**_columns(changes), updated_at=at, version=expected_version + 1)
        )
        changed = int(result.rowcount) == 1
        if changed and (changes.owners is not KEEP or changes.team is not KEEP):
            self._keep_owners(fault_id)
        return changed

    def _keep_owners(self, fault_id: int) -> None:
        """The fault's people as rows (fault_owners), from the owners and team just written."""
        owners, team = self.conn.execute(select(_f.c.owners, _f.c.team).where(_f.c.id == fault_id)).one()
        people = people_of(owners, team)
        self.conn.execute(delete(_fo).where(_fo.c.fault_id == fault_id))
        if people:
            self.conn.execute(insert(_fo), [{"user_id": u, "fault_id": fault_id} for u in sorted(people)])

    def waiting_on_release(self, product_code: str, version: str) -> list[FaultView]:
        """Faults waiting for this version: of this product, or of no product named."""
        stmt = _FAULTS_LIGHT.where(
            _f.c.waiting_release == version, or_(_f.c.product_id.is_(None), _fault_product.c.code == product_code)
        )
        return [_fault(r) for r in self.conn.execute(stmt.order_by(_f.c.id))]

    def set_estimate(self, fault_id: int, users: int | None, source: str | None, at: datetime) -> None:
        self.conn.execute(
            update(_f)
            .where(_f.c.id == fault_id)
            .values(estimated_users=users, estimate_source=source, updated_at=at, version=_f.c.version + 1)
        )

    def add_stage_record(self, fault_id: int, action: Action, data: dict[str, Any], actor: Actor, at: datetime) -> None:
        self.conn.execute(
            insert(t.stage_records).values(
                fault_id=fault_id,
                action=action.value,
                data=data,
                actor_id=actor.id,
                actor_label=actor.label,
                recorded_at=at,
            )
        )

    def stage_records(self, fault_id: int) -> list[StageRecord]:
        r = t.stage_records
        rows = self.conn.execute(select(r).where(r.c.fault_id == fault_id).order_by(r.c.id))
        return [StageRecord(x.id, x.action, x.data, x.actor_label, x.recorded_at) for x in rows]

    def add_severity_change(
        self, fault_id: int, before: Severity | None, after: Severity, reason: str, actor: Actor, at: datetime
    ) -> None:
        self.conn.execute(
            insert(t.severity_changes).values(
                fault_id=fault_id,
                from_severity=int(before) if before is not None else None,
                to_severity=int(after),
                reason=reason,
                changed_by=actor.id,
                changed_at=at,
            )
        )

    def severity_history(self, fault_id: int) -> list[SeverityChange]:
        c, u = t.severity_changes, t.users
        rows = self.conn.execute(
            select(c, u.c.username)
            .outerjoin(u, u.c.id == c.c.changed_by)
            .where(c.c.fault_id == fault_id)
            .order_by(c.c.id)
        )
        return [
            SeverityChange(
                Severity(x.from_severity) if x.from_severity is not None else None,
                Severity(x.to_severity),
                x.reason,
                x.username or "system",
                x.changed_at,
            )
            for x in rows
        ]


def people_of(owners: dict[str, Any] | None, team: dict[str, Any] | None) -> set[int]:
    """The user ids a fault names: the owner of each stage, the P0 team's lead and members."""
    ids = {int(v) for v in (owners or {}).values() if v is not None}
    if team:
        if team.get("lead") is not None:
            ids.add(int(team["lead"]))
        ids.update(int(m) for m in team.get("members") or [])
    return ids


# The clocks a queue counts as not met; a breached clock keeps running until it is met.
_OPEN_CLOCKS = (ClockState.RUNNING.value, ClockState.PAUSED.value, ClockState.BREACHED.value)
_REPLY_CLOCKS = (ClockKind.FIRST_REPLY.value, ClockKind.UPDATE.value)


def _only(flt: FaultFilter, **cleared: Any) -> bool:
    """Nothing but the ``cleared`` fields narrows the faults (a sort or a page does not)."""
    return replace(flt, sort=_PLAIN.sort, page=_PLAIN.page, page_size=_PLAIN.page_size, **cleared) == _PLAIN


def _clocks_alone(flt: FaultFilter) -> bool:
    """Nothing but a clock queue narrows the faults."""
    return _only(flt, clocks=None)


_PLAIN = FaultFilter()


def _clock_parts(w: ClockWindow) -> list[tuple[ColumnElement[bool], ...]]:
    """The window's queue as conditions on a fault's own clocks: each part one AND of index terms
    (breached is two parts, not an OR: SQLite's planner takes a partial index only for such a part).
    A fault's own clocks only (tables.FAULT_QUEUE_CLOCKS, added by the readers): an improvement
    action's (due days after the archive) is the retrospective's follow-up, listed on /improvements,
    not a fault waiting on someone."""
    running, due, state = _c.c.state == ClockState.RUNNING.value, _c.c.due_at, _c.c.state
    match w.queue:
        case ClockQueue.BREACHING:
            return [(running, due > w.now, due <= w.now + timedelta(seconds=w.soon_s))]
        case ClockQueue.BREACHED:
            return [(state == ClockState.BREACHED.value,), (running, due <= w.now)]
        case ClockQueue.PAUSED:
            return [(state == ClockState.PAUSED.value,)]
        case ClockQueue.OWED_REPLY:
            return [(state.in_(_OPEN_CLOCKS), _c.c.kind.in_(_REPLY_CLOCKS))]


def _clock_faults(w: ClockWindow) -> Select[Any] | CompoundSelect[Any]:
    """The faults with a clock of the window's queue, read from the partial index of the faults'
    own clocks alone: a UNION of the queue's parts."""
    parts = [select(_c.c.fault_id).where(*part, t.FAULT_QUEUE_CLOCKS) for part in _clock_parts(w)]
    return parts[0] if len(parts) == 1 else union(*parts)


def _clock_exists(w: ClockWindow) -> ColumnElement[bool]:
    """A fault has a clock of the window's queue, as one EXISTS on the fault's own clocks: what
    PostgreSQL reads a page of a clock queue by. It plans an EXISTS as a semi-join by its
    estimates: a queue most recent faults are in (breached: thousands of faults) is read down the
    sort's index, probing each fault's clocks until the page is full (0.1 ms), a sparse one from
    the clocks' side. Given ``IN (UNION …)`` it hashed the union's 4,000 faults against the whole
    faults index first (15 ms a page). SQLite runs an EXISTS once a fault in the sort's order,
    which for a sparse queue reads every fault: it keeps ``_clock_faults``."""
    either = or_(*(and_(*part) for part in _clock_parts(w)))
    return exists().where(_c.c.fault_id == _f.c.id, either, t.FAULT_QUEUE_CLOCKS)


def _owned_by(user_id: int) -> ColumnElement[bool]:
    return _f.c.id.in_(select(_fo.c.fault_id).where(_fo.c.user_id == user_id))


def _work(w: WorkOf) -> ColumnElement[bool]:
    """My work as one set of ids, each part read from its own index (owners by person, faults by
    registrar, by state and severity): an OR across the faults table would scan all of it."""
    return _f.c.id.in_(_work_faults(w))


def _work_faults(w: WorkOf, sort: str | None = None) -> CompoundSelect[Any]:
    """The ids of my work (``_work``); with ``sort`` (a faults column), each id beside that column
    as ``key``, so a page of my work alone is sorted from the parts themselves (``_work_page``)."""
    unfinished = [s.value for s in w.unfinished]
    owned = _f.alias("owned")

    def part(faults: Any, *cond: ColumnElement[bool]) -> Select[Any]:
        key = [faults.c[sort].label("key")] if sort else []
        return select(faults.c.id.label("id"), *key).where(*cond)

    parts: list[Select[Any]] = [
        part(owned, _fo.c.user_id == w.user_id, owned.c.status.in_(unfinished)).join_from(
            owned, _fo, owned.c.id == _fo.c.fault_id
        ),
        part(_f, _f.c.registered_by == w.user_id, _f.c.status.in_(unfinished)),
    ]
    for status, severities in w.turns:
        turn = part(_f, _f.c.status == status.value)
        parts.append(turn if severities is None else turn.where(_f.c.severity.in_([int(s) for s in severities])))
    return union(*parts)


def _work_alone(flt: FaultFilter) -> bool:
    """Nothing but my work narrows the faults, sorted by a column of theirs (not the due time)."""
    return flt.work_of is not None and _only(flt, work_of=None) and sort_order(flt.sort)[0] != "due_at"


def fault_conditions(flt: FaultFilter) -> ColumnElement[bool]:
    """The list filter as a condition on the faults table (the metrics count the same faults)."""
    return _where(flt)


def _where(flt: FaultFilter, *, clocks_as_exists: bool = False) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = []
    if flt.status:
        conds.append(_f.c.status.in_([s.value for s in flt.status]))
    if flt.severity and flt.ungraded:
        conds.append(or_(_f.c.severity.in_([int(s) for s in flt.severity]), _f.c.severity.is_(None)))
    elif flt.severity:
        conds.append(_f.c.severity.in_([int(s) for s in flt.severity]))
    elif flt.ungraded:
        conds.append(_f.c.severity.is_(None))
    if flt.type_code:
        conds.append(_f.c.type_code.in_(flt.type_code))
    if flt.channel:
        conds.append(exists().where(_r.c.fault_id == _f.c.id, _r.c.channel.in_([c.value for c in flt.channel])))
    if flt.product:
        conds.append(_f.c.product_id.in_(select(_p.c.id).where(_p.c.code.in_(flt.product))))
    if flt.registered_from:
        conds.append(_f.c.registered_at >= flt.registered_from)
    if flt.registered_to:
        conds.append(_f.c.registered_at < flt.registered_to)
    if flt.owner_id is not None:
        conds.append(_owned_by(flt.owner_id))
    if flt.work_of is not None:
        conds.append(_work(flt.work_of))
    if flt.clocks is not None:
        conds.append(_clock_exists(flt.clocks) if clocks_as_exists else _f.c.id.in_(_clock_faults(flt.clocks)))
    if flt.text is not None:
        found: list[ColumnElement[bool]] = []
        if flt.text.number_prefix:
            prefix = flt.text.number_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(_f.c.number.like(f"{prefix}%", escape="\\"))
        if flt.text.fault_ids:
            found.append(_f.c.id.in_(flt.text.fault_ids))
        conds.append(or_(*found) if found else false())
    return and_(True, *conds)


# The earliest due time among a fault's clocks not met.
_due = (
    select(func.min(_c.c.due_at))
    .where(_c.c.fault_id == _f.c.id, _c.c.state.in_(_OPEN_CLOCKS))
    .correlate(_f)
    .scalar_subquery()
)
_SORT_COLUMNS: dict[str, Any] = {name: _f.c[name] for name in QUEUE_SORTS if name != "due_at"} | {"due_at": _due}


def _order(sort: str) -> list[Any]:
    name, desc = sort_order(sort)
    if name == "due_at":  # a fault without a clock running has no due time: it comes last either way
        return [(_due.desc() if desc else _due.asc()).nulls_last(), _f.c.id.desc() if desc else _f.c.id.asc()]
    return order_by_sort(sort, _SORT_COLUMNS, _f.c.id)


def _columns(c: FaultChanges) -> dict[str, object]:
    """The changed columns as stored: a severity as its number (0 = P0), enums as their values,
    the cases, owners and team as JSON (no cases: NULL)."""
    values: dict[str, object] = {}
    if c.status is not KEEP:
        values["status"] = c.status.value
    if c.severity is not KEEP:
        values["severity"] = int(c.severity) if c.severity is not None else None
    if c.reopen_count is not KEEP:
        values["reopen_count"] = c.reopen_count
    if c.cases is not KEEP:
        values["cases"] = [vars(case) for case in c.cases] or None
    if c.gray_steps is not KEEP:
        values["gray_steps"] = c.gray_steps
    if c.fix_version is not KEEP:
        values["fix_version"] = c.fix_version
    if c.impact is not KEEP:
        values["impact"] = c.impact.value
    if c.revenue_impact is not KEEP:
        values["revenue_impact"] = c.revenue_impact
    if c.recurrence is not KEEP:
        values["recurrence"] = c.recurrence.value
    if c.related_fault_id is not KEEP:
        values["related_fault_id"] = c.related_fault_id
    if c.known_issue is not KEEP:
        values["known_issue"] = c.known_issue
    if c.owners is not KEEP:
        values["owners"] = {stage.value: user_id for stage, user_id in c.owners.items()}
    if c.team is not KEEP:
        values["team"] = {"lead": c.team.lead, "members": list(c.team.members)}
    if c.merged_into_id is not KEEP:
        values["merged_into_id"] = c.merged_into_id
    for name in ("public_title", "public_status", "waiting_release"):
        if (value := getattr(c, name)) is not KEEP:
            values[name] = value
    return values

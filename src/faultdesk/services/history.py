"""Import of history (issue 13 item 5): an older record table's faults, read into FaultDesk with
their numbers. A dry run checks every row and writes nothing; a commit writes all of them in one
transaction or none (any problem, and nothing is written).

Each imported fault gets its first report (the table summarises one), its own columns (number,
type, state, severity, recurrence, fix version, affected users as an estimate), and an
``imported`` audit event holding the table's words for what FaultDesk keeps no record of here
(owners, cause, release, clocks, retrospective …), which the record table shows back. Its serial
scope moves on to its serial, so a later registration on that day and type continues after the
highest imported number. A cause or solution becomes a knowledge-base article tagged 导入, so the
known-issue index finds it, and the fault and its report join the index as every fault does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faultdesk.domain.faults import Fault
from faultdesk.domain.lifecycle import KbArticle
from faultdesk.domain.reports import Channel, Report
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.record_table import IMPORTED, FaultRecord
from faultdesk.services.records import Actor, AuditEvent, FaultChanges

IMPORT_TAG = "导入"
ESTIMATE_SOURCE = "导入的历史记录 / imported history"

# The columns' stated maxima (adapters/db/tables.py): a longer cell is a row problem, not a 500.
LIMITS: dict[str, tuple[int, str]] = {
    "number": (40, "number"),
    "title": (200, "title"),
    "symptom": (500, "symptom"),
    "scenario": (500, "scenario"),
    "device_model": (100, "device_model"),
    "os_version": (60, "versions"),
    "app_version": (40, "versions"),
    "fix_version": (60, "fix_version"),
    "user_info": (260, "user_info"),
}


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell of an imported table (row 1 is the header); ``column`` is the
    table's column key (the entry points show its header)."""

    row: int
    column: str
    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class ImportResult:
    rows: int  # the records that read (the faults a clean table creates)
    problems: list[RowProblem] = field(default_factory=list)
    committed: bool = False
    numbers: list[str] = field(default_factory=list)
    read: int | None = None  # the table's data rows, those that did not read included (when known)


def import_history(
    desk: Desk,
    records: list[tuple[int, FaultRecord]],
    problems: list[RowProblem],
    *,
    commit: bool,
    actor: Actor,
) -> ImportResult:
    """Check (and with ``commit``, write) the records; ``problems`` are those found reading the file."""
    require(actor, Permission.IMPORT_HISTORY)
    assert actor.id is not None
    found = list(problems)
    now = desk.clock.now()
    seen: dict[str, int] = {}
    with desk.uow() as uow:
        for line, r in records:
            before = len(found)
            _check(desk, uow, line, r, seen, found)
            if len(found) == before:
                _write(desk, uow, r, actor, now)
        ok = not found
        if commit and ok:
            uow.audit.record(
                AuditEvent(
                    at=now,
                    actor=actor,
                    entity="import",
                    entity_id=str(len(records)),
                    action="history_imported",
                    after={"faults": len(records)},
                )
            )
            uow.commit()
    # Without a commit the unit of work is left and everything written in it is undone: a dry run
    # has tried every insert (a clash the checks missed shows up as a failure here, not later).
    return ImportResult(len(records), found, commit and ok, [r.number for _, r in records] if ok else [])


def _check(
    desk: Desk, uow: UnitOfWork, line: int, r: FaultRecord, seen: dict[str, int], found: list[RowProblem]
) -> None:
    def bad(column: str, zh: str, en: str) -> None:
        found.append(RowProblem(line, column, zh, en))

    for attr, (limit, column) in LIMITS.items():
        value = getattr(r, attr)
        if isinstance(value, str) and len(value) > limit:
            bad(column, f"超过 {limit} 个字符", f"longer than {limit} characters")
    read = desk.numbers.read(r.number)
    if read is None:
        bad(
            "number",
            f"不是本系统编号格式的故障编号：{r.number[:40]}",
            f"not a number of this desk's format: {r.number[:40]}",
        )
    elif read[1] is not None and r.type_code and read[1] != r.type_code:
        bad("type", "与故障编号中的类型不一致", "differs from the type in the fault number")
    if r.number in seen:
        bad("number", f"与第 {seen[r.number]} 行重复", f"repeats row {seen[r.number]}")
    else:
        seen[r.number] = line
    if r.number and uow.faults.by_number(r.number) is not None:
        bad("number", "该故障编号已存在", "this fault number exists already")
    if r.type_code and uow.catalogue.fault_type(r.type_code) is None:
        bad("type", "未知的故障类型", "unknown fault type")
    if r.received_at is not None and r.registered_at < r.received_at:
        bad("registered_at", "登记时间早于反馈时间", "registered before the report arrived")


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _write(desk: Desk, uow: UnitOfWork, r: FaultRecord, actor: Actor, now: Any) -> None:
    assert actor.id is not None and r.received_at is not None and r.symptom is not None
    fault_id = uow.faults.add(
        Fault(
            number=r.number,
            type_code=r.type_code,
            title=r.title or r.symptom,
            status=r.status,
            registered_at=r.registered_at,
            registered_by=actor.id,
            severity=r.severity,
            affected_users=0,
            estimated_users=r.impact_users,
            estimate_source=ESTIMATE_SOURCE,
        ),
        product_id=None,
        function_id=None,
        at=now,
    )
    if r.recurrence is not None or r.fix_version is not None:
        changes = FaultChanges(fix_version=r.fix_version)
        if r.recurrence is not None:
            changes = FaultChanges(fix_version=r.fix_version, recurrence=r.recurrence)
        uow.faults.update(fault_id, 1, changes, now)
    report = uow.reports.add(
        Report(
            symptom=r.symptom,
            scenario=r.scenario,
            occurred_at=r.occurred_at,
            device_model=r.device_model,
            os_version=r.os_version,
            app_version=r.app_version,
            network=r.network,
            channel=r.channel or Channel.OFFLINE,
            received_at=r.received_at,
            created_by=actor.id,
        ),
        token_hash=desk.secrets.digest(desk.secrets.new_token()),  # nobody holds its token: no tracking page
        contact_cipher=None,
        contact_masked=r.user_info,
        product_id=None,
        function_id=None,
        at=now,
    )
    uow.reports.link([report.id], fault_id)
    read = desk.numbers.read(r.number)
    if read is not None:
        day, _type, serial = read
        uow.faults.raise_serial(desk.numbers.scope(day, r.type_code), serial)
    history = {
        "owners": r.owners_text,
        "cause": r.cause,
        "solution": r.solution,
        "release": r.release,
        "first_response_at": _iso(r.first_response_at),
        "resolved_at": _iso(r.resolved_at),
        "handling_min": r.handling_min,
        "clocks_total": r.clocks_total,
        "clocks_on_time": r.clocks_on_time,
        "confirmed": r.confirmed,
        "satisfaction": r.satisfaction,
        "retrospective": r.retrospective,
        "improvements": r.improvements_text,
        "archived_at": _iso(r.archived_at),
        "report_count": r.report_count,
    }
    uow.audit.record(
        AuditEvent(
            at=now,
            actor=actor,
            entity="fault",
            entity_id=r.number,
            action=IMPORTED,
            fault_id=fault_id,
            after={k: v for k, v in history.items() if v is not None},
        )
    )
    if r.cause or r.solution:
        uow.knowledge.add_article(
            fault_id,
            KbArticle(
                title=(r.title or r.symptom)[:200],
                symptoms=r.symptom,
                cause=r.cause or "",
                fix=r.solution or "",
                tags=(IMPORT_TAG,),
            ),
            actor,
            now,
        )

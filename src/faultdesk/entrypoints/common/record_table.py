"""The record table's cells: a ``FaultRecord`` in words (Chinese headers by default, English on
request; local times in the organisation's zone), and an imported row's cells read back into one.
The API, the CLI, the console and the worker all write and read the table through here."""

from __future__ import annotations

import hashlib
import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from faultdesk.adapters import record_files
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.reports import Channel
from faultdesk.entrypoints.common import labels
from faultdesk.entrypoints.common.labels import (
    CONFIRMATION,
    IMPROVEMENT_STATUS,
    NETWORK,
    RECORD_COLUMN,
    RECURRENCE,
    RELEASE_METHOD,
    REPORT_CHANNEL,
    SEVERITY,
    STAGE,
    STATUS,
    Language,
    bound_words,
    words,
)
from faultdesk.entrypoints.common.text_guard import IN_TEXT
from faultdesk.services import record_table as record_rules
from faultdesk.services.history import RowProblem
from faultdesk.services.record_table import FaultRecord
from faultdesk.services.records import ClockQueue, ClockWindow, FaultFilter, TextMatch, WorkOf

COLUMNS = tuple(RECORD_COLUMN)
WIDTHS: dict[str, int] = {
    "number": 16, "received_at": 20, "channel": 12, "user_info": 18, "occurred_at": 20, "scenario": 30,
    "symptom": 40, "device_model": 16, "versions": 20, "network": 12, "type": 12, "severity": 10,
    "recurrence": 12, "impact_users": 10, "status": 12, "owners": 36, "cause": 40, "solution": 40,
    "fix_version": 12, "release": 18, "first_response_at": 20, "resolved_at": 20, "handling": 14, "clocks": 12,
    "confirmed": 10, "satisfaction": 10, "retrospective": 40, "improvements": 40, "archived_at": 20,
    "registered_at": 20, "report_count": 8, "title": 30,
}  # fmt: skip
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
SHEET = {"zh": "故障反馈处理记录表", "en": "Fault feedback records"}
CONTINUED = {
    "zh": "记录超过 Excel 一张工作表的行数：每张工作表 {per_sheet} 行，续接在后面的工作表中（共 {sheets} 张）。",
    "en": "More rows than one Excel sheet holds: {per_sheet} rows a sheet, continued on the following sheets ({sheets} in all).",
}
# Exports up to this many rows are answered at once; larger xlsx exports run on the worker.
DIRECT_XLSX_ROWS = 20_000
Cell = str | int | None


def header(lang: Language) -> list[str]:
    return [words(RECORD_COLUMN, key, lang) for key in COLUMNS]


def widths() -> list[int]:
    return [WIDTHS[key] for key in COLUMNS]


def file_name(fmt: str, now: datetime, zone: str) -> str:
    return f"fault-records-{now.astimezone(ZoneInfo(zone)):%Y%m%d-%H%M%S}.{fmt}"


def _time(value: datetime | None, zone: ZoneInfo) -> str | None:
    # isoformat, cut before the offset, is the TIME_FORMAT text a third faster than strftime.
    return value.astimezone(zone).isoformat(" ", "seconds")[:19] if value is not None else None


def _versions(os_version: str | None, app_version: str | None) -> str | None:
    if not os_version and not app_version:
        return None
    return f"{os_version or ''} / {app_version or ''}"


def _handling(minutes: int | None, lang: Language) -> str | None:
    if minutes is None:
        return None
    hours, mins = divmod(minutes, 60)
    return f"{hours} 小时 {mins:02d} 分" if lang == "zh" else f"{hours} h {mins:02d} min"


class RowWords:
    """The words of one export's language, looked up once for all its rows (``cells`` runs once a
    fault of an export of up to a million)."""

    def __init__(self, lang: Language, zone: ZoneInfo, type_names: dict[str, tuple[str, str]]) -> None:
        self.lang, self.zone = lang, zone
        self.stage, self.improvement = bound_words(STAGE, lang), bound_words(IMPROVEMENT_STATUS, lang)
        self.release, self.channel = bound_words(RELEASE_METHOD, lang), bound_words(REPORT_CHANNEL, lang)
        self.network, self.type = bound_words(NETWORK, lang), bound_words(type_names, lang)
        self.severity, self.recurrence = bound_words(SEVERITY, lang), bound_words(RECURRENCE, lang)
        self.status, self.confirmation = bound_words(STATUS, lang), bound_words(CONFIRMATION, lang)
        self.ungraded = "未分级" if lang == "zh" else "not graded"
        self.met = "达成" if lang == "zh" else "met"

    def cells(self, r: FaultRecord) -> list[Cell]:
        """One fault's row, in the order of ``COLUMNS`` (checked below, at import)."""
        zone = self.zone
        owners = "；".join(f"{self.stage[stage]}: {name}" for stage, name in r.owners) if r.owners else r.owners_text
        if r.improvements:
            improvements: str | None = "\n".join(
                f"{i.title}（{i.owner}，{i.due.isoformat()}，{self.improvement[i.status]}）" for i in r.improvements
            )
        else:
            improvements = r.improvements_text
        return [
            r.number,
            _time(r.received_at, zone),
            self.channel[r.channel] if r.channel else None,
            r.user_info,
            _time(r.occurred_at, zone),
            r.scenario,
            r.symptom,
            r.device_model,
            _versions(r.os_version, r.app_version),
            self.network[r.network] if r.network else None,
            self.type[r.type_code],
            self.severity[r.severity] if r.severity is not None else self.ungraded,
            self.recurrence[r.recurrence] if r.recurrence else None,
            r.impact_users,
            self.status[r.status],
            owners,
            r.cause,
            r.solution,
            r.fix_version,
            self.release[r.release] if r.release else None,
            _time(r.first_response_at, zone),
            _time(r.resolved_at, zone),
            _handling(r.handling_min, self.lang),
            f"{r.clocks_on_time}/{r.clocks_total} {self.met}" if r.clocks_total else None,
            self.confirmation[r.confirmed] if r.confirmed is not None else None,
            r.satisfaction,
            r.retrospective,
            improvements,
            _time(r.archived_at, zone),
            _time(r.registered_at, zone),
            r.report_count,
            r.title,
        ]


_CELL_ORDER = (
    "number", "received_at", "channel", "user_info", "occurred_at", "scenario", "symptom", "device_model",
    "versions", "network", "type", "severity", "recurrence", "impact_users", "status", "owners", "cause",
    "solution", "fix_version", "release", "first_response_at", "resolved_at", "handling", "clocks", "confirmed",
    "satisfaction", "retrospective", "improvements", "archived_at", "registered_at", "report_count", "title",
)  # fmt: skip
assert _CELL_ORDER == COLUMNS, "RowWords.cells lists its cells in the order of RECORD_COLUMN"


# The cells that are numbers (a kept CSV line read back for an .xlsx gives them as numbers again).
NUMBERS = frozenset(COLUMNS.index(key) for key in ("impact_users", "satisfaction", "report_count"))
# What a row's words are made by: a release that changes any of these renders every kept line anew.
_WORDING = hashlib.sha256(
    b"".join(Path(inspect.getfile(m)).read_bytes() for m in (sys.modules[__name__], labels, record_files, record_rules))
).hexdigest()


def words_key(lang: Language, zone: str) -> str:
    """Names the words a row is rendered in: kept lines are current only in the words they were
    rendered in. (A staff member's or a fault type's new name marks the faults that show it as
    changed: migration 0026's triggers.)"""
    return hashlib.sha256(repr((_WORDING, lang, zone)).encode()).hexdigest()


def batches(
    found: Iterable[list[FaultRecord | str]], lang: Language, zone: str, type_names: dict[str, tuple[str, str]]
) -> Iterator[list[list[Cell] | str]]:
    """The faults' rows a batch at a time: a record put in words, a kept line as it is."""
    cells = RowWords(lang, ZoneInfo(zone), type_names).cells
    for part in found:
        yield [r if isinstance(r, str) else cells(r) for r in part]


# ---- the filters an export carries (the list API's, kept in a job row as JSON) --------------


def filters_json(flt: FaultFilter) -> dict[str, Any]:
    return {
        "status": [s.value for s in flt.status],
        "severity": [s.name for s in flt.severity],
        "ungraded": flt.ungraded,
        "type": list(flt.type_code),
        "channel": [c.value for c in flt.channel],
        "product": list(flt.product),
        "owner_id": flt.owner_id,
        "registered_from": flt.registered_from.isoformat() if flt.registered_from else None,
        "registered_to": flt.registered_to.isoformat() if flt.registered_to else None,
        "sort": flt.sort,
        # A queue view's own parts (services/queues.py), so a job exports the view it was asked for.
        "work_of": None
        if flt.work_of is None
        else {
            "user_id": flt.work_of.user_id,
            "unfinished": sorted(s.value for s in flt.work_of.unfinished),
            "turns": [
                [st.value, None if sev is None else sorted(x.name for x in sev)] for st, sev in flt.work_of.turns
            ],
        },
        "clocks": None
        if flt.clocks is None
        else {"queue": flt.clocks.queue.value, "now": flt.clocks.now.isoformat(), "soon_s": flt.clocks.soon_s},
        "text": None
        if flt.text is None
        else {"number_prefix": flt.text.number_prefix, "fault_ids": list(flt.text.fault_ids)},
    }


def filter_of(data: dict[str, Any]) -> FaultFilter:
    def instant(key: str) -> datetime | None:
        value = data.get(key)
        return datetime.fromisoformat(value) if value else None

    return FaultFilter(
        status=[FaultStatus(s) for s in data.get("status", [])],
        severity=[Severity[s] for s in data.get("severity", [])],
        ungraded=bool(data.get("ungraded")),
        type_code=list(data.get("type", [])),
        channel=[Channel(c) for c in data.get("channel", [])],
        product=list(data.get("product", [])),
        owner_id=data.get("owner_id"),
        registered_from=instant("registered_from"),
        registered_to=instant("registered_to"),
        sort=data.get("sort", "-registered_at"),
        work_of=_work_of(data.get("work_of")),
        clocks=ClockWindow(ClockQueue(c["queue"]), datetime.fromisoformat(c["now"]), int(c["soon_s"]))
        if (c := data.get("clocks"))
        else None,
        text=TextMatch(t["number_prefix"], tuple(t["fault_ids"])) if (t := data.get("text")) else None,
    )


def _work_of(data: dict[str, Any] | None) -> WorkOf | None:
    if not data:
        return None
    return WorkOf(
        user_id=int(data["user_id"]),
        unfinished=frozenset(FaultStatus(s) for s in data["unfinished"]),
        turns=tuple(
            (FaultStatus(st), None if sev is None else frozenset(Severity[x] for x in sev)) for st, sev in data["turns"]
        ),
    )


# ---- reading an imported table back ------------------------------------------------------------


@dataclass
class ParsedTable:
    records: list[tuple[int, FaultRecord]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    tables: int = 0  # sheets whose first row names the table's columns


def _reverse(table: dict[Any, tuple[str, str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code, (zh, en) in table.items():
        out[zh] = out[en] = code
        out[str(getattr(code, "value", code))] = code
    return out


_BY_WORD = {
    "channel": _reverse(dict(REPORT_CHANNEL)),
    "network": _reverse(dict(NETWORK)),
    "severity": _reverse(dict(SEVERITY)) | {s.name: s for s in Severity},
    "recurrence": _reverse(dict(RECURRENCE)),
    "status": _reverse(dict(STATUS)),
    "confirmed": {w: code for code, pair in CONFIRMATION.items() for w in pair},
    "release": {w: code for code, pair in RELEASE_METHOD.items() for w in pair},
}
_UNGRADED = {"未分级", "not graded", ""}
_HEADER_WORDS = {w: key for key, pair in RECORD_COLUMN.items() for w in pair}
REQUIRED = ("number", "received_at", "symptom", "type", "status")
_HANDLING = re.compile(r"(\d+)\D+(\d+)\D*")
_CLOCKS = re.compile(r"(\d+)/(\d+)\D*")


class _Row:
    def __init__(self, line: int, values: dict[str, str], zone: ZoneInfo, problems: list[RowProblem]) -> None:
        self.line, self.values, self.zone, self.problems = line, values, zone, problems

    def bad(self, key: str, zh: str, en: str) -> None:
        self.problems.append(RowProblem(self.line, key, zh, en))

    def text(self, key: str) -> str | None:
        value = self.values.get(key, "").strip()
        return value or None

    def time(self, key: str) -> datetime | None:
        value = self.text(key)
        if value is None:
            return None
        try:
            local = datetime.strptime(value, TIME_FORMAT)  # noqa: DTZ007 - local time, given its zone next
        except ValueError:
            self.bad(
                key, f"时间格式应为 年-月-日 时:分:秒：{value[:40]}", f"a time reads YYYY-MM-DD HH:MM:SS: {value[:40]}"
            )
            return None
        return local.replace(tzinfo=self.zone).astimezone(ZoneInfo("UTC"))

    def word(self, key: str) -> Any:
        value = self.text(key)
        if value is None:
            return None
        found = _BY_WORD[key].get(value)
        if found is None:
            self.bad(key, f"无法识别的取值：{value[:40]}", f"not a known value: {value[:40]}")
        return found

    def number(self, key: str, low: int, high: int) -> int | None:
        value = self.text(key)
        if value is None:
            return None
        if not value.isdigit() or not low <= int(value) <= high:
            self.bad(key, f"应为 {low} 到 {high} 之间的整数", f"must be a whole number from {low} to {high}")
            return None
        return int(value)


def column_words(key: str) -> str:
    """A problem's column as the table's headers name it, both languages."""
    zh, en = RECORD_COLUMN.get(key, (key, key))
    return f"{zh} / {en}"


def type_codes(types: Iterable[Any]) -> dict[str, str]:
    """A fault type's code and both its labels, each to the code (an imported cell may hold any)."""
    out: dict[str, str] = {}
    for ft in types:
        out[ft.code] = out[ft.label_zh] = out[ft.label_en] = ft.code
    return out


def type_names(types: Iterable[Any]) -> dict[str, tuple[str, str]]:
    return {ft.code: (ft.label_zh, ft.label_en) for ft in types}


def parse_table(
    sheets: Iterable[tuple[str, Iterable[list[str]]]], zone: str, type_codes: dict[str, str]
) -> ParsedTable:
    """Every sheet whose first row names the table's columns (Chinese or English headers), row by
    row: the records that read, and a problem for each cell that did not. ``type_codes`` maps a
    fault type's code and both its labels to the code."""
    out = ParsedTable()
    tz = ZoneInfo(zone)
    for _sheet, lines in sheets:
        it = iter(lines)
        head = next(it, None)
        if head is None:
            continue
        keys = [_HEADER_WORDS.get(h.strip()) for h in head]
        if "number" not in keys:
            continue  # a notes sheet, not the table
        out.tables += 1
        missing = [k for k in REQUIRED if k not in keys]
        if missing:
            out.problems += [RowProblem(1, k, "缺少此列", "this column is missing") for k in missing]
            return out
        for line, cells_ in enumerate(it, start=2):
            if not any(c.strip() for c in cells_):
                continue
            values = {k: c for k, c in zip(keys, cells_, strict=False) if k is not None}
            record = _record(_Row(line, values, tz, out.problems), type_codes)
            if record is not None:
                out.records.append((line, record))
    return out


def _record(row: _Row, type_codes: dict[str, str]) -> FaultRecord | None:
    before = len(row.problems)
    for key, value in row.values.items():
        if IN_TEXT.search(value):
            row.bad(key, "不能包含 NUL 等控制字符", "must not contain NUL or other control characters")
    if len(row.problems) > before:
        return None
    for key in REQUIRED:
        if row.text(key) is None:
            row.bad(key, "不能为空", "is empty")
    type_word = row.text("type") or ""
    type_code = type_codes.get(type_word)
    if type_word and type_code is None:
        row.bad("type", f"未知的故障类型：{type_word[:40]}", f"unknown fault type: {type_word[:40]}")
    severity_word = row.text("severity") or ""
    severity = None if severity_word in _UNGRADED else row.word("severity")
    handling = row.text("handling")
    handling_min = None
    if handling is not None:
        m = _HANDLING.fullmatch(handling)
        if m is None:
            row.bad(
                "handling", f"处理时长应如“5 小时 07 分”：{handling[:40]}", f"reads like '5 h 07 min': {handling[:40]}"
            )
        else:
            handling_min = int(m[1]) * 60 + int(m[2])
    clocks_text = row.text("clocks")
    clocks_total = clocks_on_time = 0
    if clocks_text is not None:
        m = _CLOCKS.fullmatch(clocks_text)
        if m is None or int(m[1]) > int(m[2]):
            row.bad(
                "clocks", f"时效达成应如“5/6 达成”：{clocks_text[:40]}", f"reads like '5/6 met': {clocks_text[:40]}"
            )
        else:
            clocks_on_time, clocks_total = int(m[1]), int(m[2])
    versions = row.text("versions")
    os_version = app_version = None
    if versions is not None:
        left, sep, right = versions.rpartition(" / ")
        os_version, app_version = (left.strip() or None, right.strip() or None) if sep else (versions, None)
    release_word = row.text("release")
    received_at = row.time("received_at")
    registered_at = row.time("registered_at") or received_at
    record = FaultRecord(
        number=row.text("number") or "",
        registered_at=registered_at or datetime.min.replace(tzinfo=ZoneInfo("UTC")),
        type_code=type_code or "",
        status=row.word("status") or FaultStatus.REGISTERED,
        severity=severity,
        recurrence=row.word("recurrence"),
        impact_users=row.number("impact_users", 0, 2_000_000_000) or 0,
        report_count=row.number("report_count", 1, 2_000_000_000) or 1,
        title=row.text("title") or (row.text("symptom") or ""),
        received_at=received_at,
        channel=row.word("channel") or Channel.OFFLINE,
        user_info=row.text("user_info"),
        occurred_at=row.time("occurred_at"),
        scenario=row.text("scenario"),
        symptom=row.text("symptom"),
        device_model=row.text("device_model"),
        os_version=os_version,
        app_version=app_version,
        network=row.word("network"),
        owners_text=row.text("owners"),
        cause=row.text("cause"),
        solution=row.text("solution"),
        fix_version=row.text("fix_version"),
        release=(_BY_WORD["release"].get(release_word) or release_word) if release_word else None,
        first_response_at=row.time("first_response_at"),
        resolved_at=row.time("resolved_at"),
        handling_min=handling_min,
        clocks_total=clocks_total,
        clocks_on_time=clocks_on_time,
        confirmed=row.word("confirmed"),
        satisfaction=row.number("satisfaction", 1, 5),
        retrospective=row.text("retrospective"),
        improvements_text=row.text("improvements"),
        archived_at=row.time("archived_at"),
    )
    return record if len(row.problems) == before else None

"""The record table written as a file or a stream: the API's download, the CLI's ``export``, the
console's "export this view" and the worker's export jobs all go through here; and read back from
an uploaded file for an import (the CLI's ``import``, the console's /admin/import)."""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from fastapi import BackgroundTasks, Response
from fastapi.responses import FileResponse, StreamingResponse

from faultdesk.adapters.record_files import (
    CsvLines,
    TooLarge,
    cells_of_line,
    csv_chunks,
    read_sheets,
    write_xlsx,
)
from faultdesk.domain.errors import FieldProblem, NotFound, RuleViolation
from faultdesk.domain.roles import Permission
from faultdesk.entrypoints.common import record_table as rt
from faultdesk.services import catalogue, exports, history
from faultdesk.services.access import actor_of, require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import ExportJob
from faultdesk.services.record_table import FaultRecord
from faultdesk.services.records import Actor, FaultFilter

log = logging.getLogger("faultdesk.exports")
PROGRESS_EVERY = 5000  # rows between two progress writes of a job


Batch = list[list[rt.Cell] | str]  # rows of the table: a row's cells, or its kept CSV line


def _batches(desk: Desk, flt: FaultFilter, lang: str, actor: Actor) -> Iterator[Batch]:
    """The table's rows a batch at a time: a fault's kept CSV line where it is current, else its
    record in words."""
    names = rt.type_names(catalogue.list_fault_types(desk))
    found = exports.record_batches(desk, flt, rt.words_key(lang, desk.timezone), actor=actor)
    return rt.batches(found, lang, desk.timezone, names)


def _cells(batches: Iterator[Batch]) -> Iterator[list[rt.Cell]]:
    """Row by row, each as its cells (the .xlsx writer's)."""
    numbers = rt.NUMBERS
    for rows in batches:
        for row in rows:
            yield cells_of_line(row, numbers) if isinstance(row, str) else row


def refresh_record_lines(desk: Desk, *, limit: int = 200) -> int:
    """Render again up to ``limit`` kept lines of faults changed since (the worker's, and the
    bench's); the lines are kept in the desk's language. Answers how many (0: all are current)."""
    lang, zone, lines = desk.language, ZoneInfo(desk.timezone), CsvLines()

    def renderer(type_names: dict[str, tuple[str, str]]) -> Callable[[FaultRecord], str]:
        cells = rt.RowWords(lang, zone, type_names).cells
        return lambda record: lines.line(cells(record))

    return exports.refresh_lines(desk, rt.words_key(lang, desk.timezone), renderer, limit=limit)


def csv_stream(desk: Desk, flt: FaultFilter, lang: str, *, actor: Actor) -> Iterator[bytes]:
    return csv_chunks(rt.header(lang), _batches(desk, flt, lang, actor))


def write_export(
    desk: Desk,
    flt: FaultFilter,
    fmt: str,
    lang: str,
    target: str | Path | IO[bytes],
    *,
    actor: Actor,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write the table to ``target`` (a path or a binary file); answers the rows written."""
    rows = _batches(desk, flt, lang, actor)
    if fmt == "xlsx":
        return write_xlsx(
            target,
            rt.header(lang),
            rt.widths(),
            _cells(rows),
            sheet_name=rt.SHEET[lang],
            continued_note=rt.CONTINUED[lang],
            on_rows=on_rows,
            every=PROGRESS_EVERY,
        )
    counter = _Counter(rows, on_rows)
    with open(target, "wb") if isinstance(target, (str, Path)) else nullcontext(target) as out:
        for chunk in csv_chunks(rt.header(lang), counter):
            out.write(chunk)
    if on_rows is not None:
        on_rows(counter.n)
    return counter.n


class _Counter:
    """Batches of rows passed through, their rows counted, with ``on_rows`` told every
    ``PROGRESS_EVERY`` rows or so (at the end of the batch that passes it)."""

    def __init__(self, batches: Iterator[Batch], on_rows: Callable[[int], None] | None) -> None:
        self.batches, self.on_rows, self.n = batches, on_rows, 0

    def __iter__(self) -> Iterator[Batch]:
        for rows in self.batches:
            before, self.n = self.n, self.n + len(rows)
            if self.on_rows is not None and self.n // PROGRESS_EVERY > before // PROGRESS_EVERY:
                self.on_rows(self.n)
            yield rows


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def direct_answer(
    desk: Desk, actor: Actor, flt: FaultFilter, fmt: str, lang: str, *, background: bool = False
) -> Response | ExportJob:
    """The table answered at once (CSV streamed; an .xlsx of up to ``DIRECT_XLSX_ROWS`` rows written
    and sent), or, for a larger .xlsx or ``background``, the job queued for the worker."""
    name = rt.file_name(fmt, desk.clock.now(), desk.timezone)
    filters = rt.filters_json(flt)
    if fmt == "csv" and not background:
        chunks = csv_stream(desk, flt, lang, actor=actor)  # the permission is checked here, before the 200
        exports.note_direct_export(desk, filters, fmt, -1, actor=actor)
        return StreamingResponse(chunks, media_type=MEDIA["csv"], headers=_attachment(name))
    rows = exports.count_records(desk, flt, actor=actor)
    if background or rows > rt.DIRECT_XLSX_ROWS:
        return exports.request_export(desk, filters, fmt, lang, actor=actor)
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)  # noqa: SIM115 - removed after sending
    tmp.close()
    path = Path(tmp.name)
    try:
        write_export(desk, flt, fmt, lang, path, actor=actor)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    exports.note_direct_export(desk, filters, fmt, rows, actor=actor)
    tasks = BackgroundTasks()
    tasks.add_task(path.unlink, missing_ok=True)
    return FileResponse(path, media_type=XLSX, headers=_attachment(name), background=tasks)


def job_file(desk: Desk, job_id: int, *, actor: Actor) -> Response:
    job, path = exports.export_file(desk, job_id, actor=actor)
    return FileResponse(path, media_type=MEDIA[job.format], headers=_attachment(path.name))


def run_next_export_job(desk: Desk) -> bool:
    """Claim the oldest queued export and write it; False when none is queued."""
    job = exports.claim_export_job(desk)
    if job is None:
        return False
    assert desk.exports_dir is not None
    flt = rt.filter_of(job.filters)
    name = f"export-{job.id}-{rt.file_name(job.format, desk.clock.now(), desk.timezone)}"
    desk.exports_dir.mkdir(parents=True, exist_ok=True)
    partial = desk.exports_dir / (name + ".part")
    try:
        requester = _requester(desk, job.requested_by_id)
        total = exports.count_records(desk, flt, actor=requester)
        exports.record_export_progress(desk, job.id, 0, total)
        write_export(
            desk,
            flt,
            job.format,
            job.language,
            partial,
            actor=requester,
            on_rows=lambda n: exports.record_export_progress(desk, job.id, n, max(total, n)),
        )
        partial.replace(desk.exports_dir / name)  # the link appears only when the file is whole
        exports.finish_export_job(desk, job.id, file_name=name, error=None)
    except Exception as exc:  # the job says it failed; the worker goes on
        log.exception("export %s failed", job.id)
        partial.unlink(missing_ok=True)
        exports.finish_export_job(desk, job.id, file_name=None, error=f"{type(exc).__name__}: {exc}")
    return True


def _requester(desk: Desk, user_id: int) -> Actor:
    """The job reads as the person who asked for it (their role now, not when they asked)."""
    with desk.uow() as uow:
        user = uow.users.by_id(user_id)
    if user is None or not user.active:
        raise RuntimeError("the export's requester is no longer active")
    return actor_of(user)


# ---- imports: an uploaded table, checked, then committed (the CLI's ``import`` and /admin/import) ----

IMPORT_FORMATS = ("xlsx", "csv")
# What an .xlsx may unpack to, for each byte of the upload's limit (text packs ~5–10 times).
UNPACKED_PER_BYTE = 20
_STAGED = re.compile(r"[A-Za-z0-9_-]{22}\.(?:xlsx|csv)")


def _unreadable(exc: Exception, name: str) -> history.RowProblem:
    """A file that is not a table at all, said in words (the exception's own text is English)."""
    if isinstance(exc, TooLarge):
        zh, en = "解压后过大（不像是记录表）", "too large once unpacked (not a record table)"
    elif name.lower().endswith(".xlsx"):
        zh, en = "不是有效的 Excel (.xlsx) 文件", "not a valid Excel (.xlsx) file"
    elif isinstance(exc, UnicodeDecodeError):
        zh, en = "不是 UTF-8 编码的 CSV（请在 Excel 中另存为“CSV UTF-8”）", "not a UTF-8 CSV (save it as CSV UTF-8)"
    else:
        zh, en = "不是有效的 CSV 文件", "not a valid CSV file"
    return history.RowProblem(0, "file", f"无法读取文件：{zh}", f"cannot read the file: {en}")


def import_file(
    desk: Desk, name: str, data: IO[bytes], *, commit: bool, actor: Actor, max_unpacked: int | None = None
) -> history.ImportResult:
    """Read an uploaded table and import it (a dry run unless ``commit``). A file that is not a
    table, or holds no record table's header, or no row, is one problem of the ``file``."""
    codes = rt.type_codes(catalogue.list_fault_types(desk))
    try:
        parsed = rt.parse_table(read_sheets(name, data, max_unpacked=max_unpacked), desk.timezone, codes)
    except Exception as exc:  # not a table at all: one problem, nothing written
        log.info("import of %s unreadable: %s: %s", name, type(exc).__name__, str(exc)[:200])
        return history.ImportResult(0, [_unreadable(exc, name)])
    if not parsed.records and not parsed.problems:
        if parsed.tables:
            zh, en = "记录表中没有数据行", "the record table has no rows"
        else:
            zh, en = (
                "没有找到记录表：首行须是表头（故障编号、反馈时间……）",
                "no record table: its first row must be the header (Fault number, Reported at, …)",
            )
        return history.ImportResult(0, [history.RowProblem(0, "file", zh, en)])
    result = history.import_history(desk, parsed.records, parsed.problems, commit=commit, actor=actor)
    lines = {line for line, _ in parsed.records} | {p.row for p in parsed.problems if p.row > 1}
    return dataclasses.replace(result, read=len(lines))


def import_format(file_name: str) -> str | None:
    """``xlsx`` or ``csv`` by the uploaded file's name, else None (no other kind is read)."""
    suffix = Path(file_name).suffix.lower().lstrip(".")
    return suffix if suffix in IMPORT_FORMATS else None


def keep_upload(desk: Desk, fmt: str, data: IO[bytes], *, actor: Actor) -> str:
    """Copy an uploaded table to ``imports_dir`` under a random name of ours, which the page
    carries from the check to the commit (never the client's name or path). A file past
    ``import_max_bytes``, or an empty one, is refused beside the ``file`` field and not kept."""
    require(actor, Permission.IMPORT_HISTORY)
    assert desk.imports_dir is not None and fmt in IMPORT_FORMATS
    desk.imports_dir.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(16)}.{fmt}"
    path = desk.imports_dir / name
    size = 0
    try:
        with path.open("xb") as out:
            while chunk := data.read(1024 * 1024):
                size += len(chunk)
                if size > desk.import_max_bytes:
                    mb = desk.import_max_bytes / (1024 * 1024)
                    raise RuleViolation([FieldProblem("file", f"larger than {mb:g} MB", f"文件超过 {mb:g} MB")])
                out.write(chunk)
        if size == 0:
            raise RuleViolation([FieldProblem("file", "the file is empty", "文件是空的")])
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return name


def _gone() -> NotFound:
    return NotFound("no such checked file: upload the table again", "没有这个已检查的文件（可能已导入），请重新上传")


def _kept(desk: Desk, name: str) -> Path:
    """The path of a table ``keep_upload`` kept; any other name (a path, a guess, one already
    committed) names nothing."""
    if desk.imports_dir is not None and _STAGED.fullmatch(name):
        path = desk.imports_dir / name
        if path.is_file():
            return path
    raise _gone()


def check_upload(desk: Desk, name: str, *, commit: bool, actor: Actor) -> history.ImportResult:
    """Check the kept table ``name`` (a dry run), or with ``commit`` import exactly it; the file
    is deleted after a commit, and after a check that found problems (it cannot be committed)."""
    require(actor, Permission.IMPORT_HISTORY)
    path = _kept(desk, name)
    if commit:  # taken first, atomically: a second commit of the same file (a double click) finds none
        taken = path.with_name(path.name + ".committing")
        try:
            path.rename(taken)
        except FileNotFoundError:
            raise _gone() from None
        path = taken
    result: history.ImportResult | None = None
    try:
        with path.open("rb") as data:
            result = import_file(
                desk, name, data, commit=commit, actor=actor, max_unpacked=desk.import_max_bytes * UNPACKED_PER_BYTE
            )
    finally:
        if commit or result is None or result.problems:
            path.unlink(missing_ok=True)
    return result

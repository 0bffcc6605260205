"""Reporters' attachments: checked and cleaned before any transaction, written to the file store,
recorded with the report in the caller's unit of work, and shown to staff only.

Nothing is half stored: ``held`` writes the files and removes them again if the block fails
(the transaction that would reference them rolled back), so a row never names a missing file
and a file left behind is never named by a row."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from faultdesk.domain.attachments import SNIFF_BYTES, FileType, Upload, check_uploads, safe_filename, unreadable
from faultdesk.domain.errors import NotFound
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import AttachmentFiles, UnitOfWork, UnreadableImage
from faultdesk.services.records import Actor, AttachmentRecord, NewAttachment


@dataclass(frozen=True)
class IncomingFile:
    """A file as the form sent it. ``data`` may stop one byte past the size limit (the edge reads
    no more); ``size`` is then that length, which is enough to refuse it."""

    filename: str
    data: bytes


def files_of(desk: Desk) -> AttachmentFiles:
    if desk.files is None:
        raise RuntimeError("no attachment store is configured (Desk.files)")
    return desk.files


def prepare(desk: Desk, incoming: Sequence[IncomingFile]) -> list[tuple[bytes, NewAttachment]]:
    """Each file checked by content and size, images re-encoded without their metadata; raises
    ``RuleViolation`` (field ``attachments``) for all the problems at once. Writes nothing."""
    if not incoming:
        return []
    uploads = [Upload(f.filename, len(f.data), f.data[:SNIFF_BYTES]) for f in incoming]
    types = check_uploads(uploads, max_bytes=desk.attachment_max_bytes)
    files = files_of(desk)
    ready: list[tuple[bytes, NewAttachment]] = []
    for f, file_type in zip(incoming, types, strict=True):
        try:
            clean = files.clean(f.data, file_type)
        except UnreadableImage as exc:
            raise unreadable(f.filename) from exc
        ready.append((clean, NewAttachment("", file_type, safe_filename(f.filename, file_type), len(clean))))
    return ready


@contextmanager
def held(desk: Desk, incoming: Sequence[IncomingFile]) -> Iterator[list[NewAttachment]]:
    """The files prepared and written; removed again if the block raises (commit inside it)."""
    ready = prepare(desk, incoming)
    if not ready:
        yield []
        return
    files = files_of(desk)
    written: list[NewAttachment] = []
    try:
        for data, attachment in ready:
            key = files.put(data)
            written.append(NewAttachment(key, attachment.file_type, attachment.filename, attachment.size))
        yield written
    except BaseException:
        for attachment in written:
            files.discard(attachment.storage_key)
        raise


def record(
    uow: UnitOfWork, report_id: int, written: list[NewAttachment], at: datetime, *, later: bool
) -> list[AttachmentRecord]:
    return uow.reports.add_attachments(report_id, written, at, later=later) if written else []


def of_reports(desk: Desk, report_ids: list[int], *, actor: Actor) -> dict[int, list[AttachmentRecord]]:
    """The attachments of these reports, for staff pages."""
    require(actor, Permission.VIEW)
    if not report_ids:
        return {}
    with desk.uow() as uow:
        return uow.reports.attachments_of(report_ids)


@dataclass(frozen=True)
class OpenedAttachment:
    record: AttachmentRecord
    data: bytes

    @property
    def file_type(self) -> FileType:
        return self.record.file_type


def open_attachment(desk: Desk, attachment_id: int, *, actor: Actor) -> OpenedAttachment:
    """One attachment's bytes for a staff member; NotFound if the row or its file is missing."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        found = uow.reports.attachment(attachment_id)
    if found is None:
        raise NotFound("no such attachment", "附件不存在")
    try:
        data = files_of(desk).read(found.storage_key)
    except FileNotFoundError as exc:
        raise NotFound("the attachment's file is missing", "附件文件缺失") from exc
    return OpenedAttachment(found, data)

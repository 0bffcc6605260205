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


@dataclass(frozen=True)
class Ready:
    """A checked, cleaned file (and its thumbnail) not yet written."""

    data: bytes
    thumb: bytes | None
    file_type: FileType
    filename: str


def prepare(desk: Desk, incoming: Sequence[IncomingFile]) -> list[Ready]:
    """Each file checked by content and size, images re-encoded without their metadata and given
    a thumbnail; raises ``RuleViolation`` (field ``attachments``) for all the problems at once.
    Writes nothing."""
    if not incoming:
        return []
    uploads = [Upload(f.filename, len(f.data), f.data[:SNIFF_BYTES]) for f in incoming]
    types = check_uploads(uploads, max_bytes=desk.attachment_max_bytes)
    files = files_of(desk)
    ready: list[Ready] = []
    for f, file_type in zip(incoming, types, strict=True):
        try:
            clean = files.clean(f.data, file_type)
            thumb = files.thumbnail(clean, file_type)
        except UnreadableImage as exc:
            raise unreadable(f.filename) from exc
        ready.append(Ready(clean, thumb, file_type, safe_filename(f.filename, file_type)))
    return ready


@contextmanager
def held(desk: Desk, incoming: Sequence[IncomingFile]) -> Iterator[list[NewAttachment]]:
    """The files prepared and written; removed again if the block raises (commit inside it)."""
    ready = prepare(desk, incoming)
    if not ready:
        yield []
        return
    files = files_of(desk)
    keys: list[str] = []  # every file written, so a failure removes each
    written: list[NewAttachment] = []
    try:
        for r in ready:
            key = files.put(r.data)
            keys.append(key)
            thumb_key = files.put(r.thumb) if r.thumb is not None else None
            if thumb_key is not None:
                keys.append(thumb_key)
            written.append(NewAttachment(key, r.file_type, r.filename, len(r.data), thumb_key))
        yield written
    except BaseException:
        for key in keys:
            files.discard(key)
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
    file_type: FileType  # what ``data`` is: the file's checked type, or the thumbnail's


THUMB_TYPE = FileType.WEBP


def open_attachment(desk: Desk, attachment_id: int, *, actor: Actor, thumb: bool = False) -> OpenedAttachment:
    """One attachment's bytes (or its thumbnail's, if it has one) for a staff member; NotFound if
    the row or its file is missing."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        found = uow.reports.attachment(attachment_id)
    if found is None:
        raise NotFound("no such attachment", "附件不存在")
    key = found.thumb_key if thumb and found.thumb_key else found.storage_key
    try:
        data = files_of(desk).read(key)
    except FileNotFoundError as exc:
        raise NotFound("the attachment's file is missing", "附件文件缺失") from exc
    return OpenedAttachment(found, data, THUMB_TYPE if key == found.thumb_key else found.file_type)

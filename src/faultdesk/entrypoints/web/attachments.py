"""The reporters' attachments for staff: ``GET /attachments/{id}``, login required (no tracking
token and nobody anonymous reaches a file), answered with the type its content was checked to be,
``X-Content-Type-Options: nosniff`` and a Content-Disposition that shows images in the page and
makes anything else a download."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.entrypoints.web.rendering import StaffDep
from faultdesk.services import attachments

router = APIRouter(include_in_schema=False)


def disposition(attachment_id: int, filename: str, *, inline: bool) -> str:
    """An ASCII fallback name that cannot break the header, and the real (cleaned) name in RFC 5987 form."""
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"attachment-{attachment_id}.{extension}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/attachments/{attachment_id}")
def attachment(attachment_id: IdPath, desk: DeskDep, actor: StaffDep) -> Response:
    return _answer(attachments.open_attachment(desk, attachment_id, actor=actor))


@router.get("/attachments/{attachment_id}/thumb")
def thumbnail(attachment_id: IdPath, desk: DeskDep, actor: StaffDep) -> Response:
    """The image's small WebP (the file itself when it has none)."""
    return _answer(attachments.open_attachment(desk, attachment_id, actor=actor, thumb=True))


def _answer(opened: attachments.OpenedAttachment) -> Response:
    record, file_type = opened.record, opened.file_type
    filename = record.filename
    if file_type is not record.file_type:  # the thumbnail: named for what it is
        filename = filename.rsplit(".", 1)[0] + "." + file_type.extension
    return Response(
        opened.data,
        media_type=file_type.value,
        headers={
            "Content-Disposition": disposition(record.id, filename, inline=file_type.is_image),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=600",  # the staff browser only; never a shared cache
            "Cross-Origin-Resource-Policy": "same-origin",
        },
    )

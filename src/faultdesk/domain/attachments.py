"""A reporter's attachments: screenshots and short screen recordings, their type told by their
content (magic bytes), never by the name or the browser's claim, and the limits on them.

A small sniff table rather than a library: seven formats, and the ISO base-media ones (mp4,
quicktime) must be told apart by their ``ftyp`` brand from HEIC/AVIF stills and other files that
share the box layout, which general libraries map loosely. Images are re-decoded afterwards (the
adapter re-encodes them to drop EXIF/GPS), so a file that only starts like a PNG is refused there."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from faultdesk.domain.errors import FieldProblem, RuleViolation

MAX_ATTACHMENTS = 5  # per report, and per addition on the tracking page
DEFAULT_MAX_BYTES = 5 * 1024 * 1024  # each file; FAULTDESK_ATTACHMENT_MAX_BYTES changes it
FILENAME_LIMIT = 200  # the column holds this many characters
SNIFF_BYTES = 64  # how much of a file the sniff table reads
FIELD = "attachments"


class FileType(StrEnum):
    """What a file is, as its content says: the value is the Content-Type it is served with."""

    PNG = "image/png"
    JPEG = "image/jpeg"
    WEBP = "image/webp"
    GIF = "image/gif"
    MP4 = "video/mp4"
    WEBM = "video/webm"
    QUICKTIME = "video/quicktime"

    @property
    def is_image(self) -> bool:
        return self.value.startswith("image/")

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_EXTENSIONS = {
    FileType.PNG: "png",
    FileType.JPEG: "jpg",
    FileType.WEBP: "webp",
    FileType.GIF: "gif",
    FileType.MP4: "mp4",
    FileType.WEBM: "webm",
    FileType.QUICKTIME: "mov",
}

# ISO base media ("ftyp" box at offset 4): the major brands of plain mp4 / m4v recordings, and
# QuickTime's. HEIC ("heic", "mif1"), AVIF ("avif") and others are not screenshots we can show.
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"MSNV"}
)
_QUICKTIME_BRANDS = frozenset({b"qt  "})
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip"})  # old .mov without ftyp


def sniff(head: bytes) -> FileType | None:
    """The type of a file from its first bytes (``SNIFF_BYTES`` suffice), or None if it is none of ours."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileType.PNG
    if head.startswith(b"\xff\xd8\xff"):
        return FileType.JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FileType.GIF
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return FileType.WEBP
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska or WebM, told by its DocType
        return FileType.WEBM if b"webm" in head[:SNIFF_BYTES] else None
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _MP4_BRANDS:
            return FileType.MP4
        if brand in _QUICKTIME_BRANDS:
            return FileType.QUICKTIME
        return None
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return FileType.QUICKTIME
    return None


_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')


def safe_filename(name: str, file_type: FileType) -> str:
    """The name shown to staff and sent in Content-Disposition: the last path part, without
    control characters, quotes or separators, at most ``FILENAME_LIMIT`` characters, ending in the
    extension of what the file really is (``report.png`` holding a JPEG becomes ``report.jpg``).

    A name is what the reporter's phone gave the file, not something they typed: a NUL or a
    slash in it is cleaned, not refused."""
    base = re.split(r"[\\/]", name)[-1]
    base = unicodedata.normalize("NFC", _UNSAFE.sub("_", base)).strip(" ._")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._") or "attachment"
    suffix = "." + file_type.extension
    return stem[: FILENAME_LIMIT - len(suffix)] + suffix


@dataclass(frozen=True)
class Upload:
    """One file as it arrived: the name the browser gave it, its size, and its first bytes."""

    filename: str
    size: int
    head: bytes


def size_text(n: int) -> str:
    """A size as people read it: 5 MB, 300 KB."""
    return f"{n / (1024 * 1024):.0f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def check_count(count: int, limit: int = MAX_ATTACHMENTS) -> None:
    if count > limit:
        raise RuleViolation.one(
            FIELD, f"at most {limit} files ({count} chosen)", f"最多 {limit} 个文件（您选了 {count} 个）"
        )


def check_uploads(uploads: Sequence[Upload], *, max_bytes: int, limit: int = MAX_ATTACHMENTS) -> list[FileType]:
    """Each upload's type, or every problem at once (field ``attachments``, naming the file)."""
    check_count(len(uploads), limit)
    problems: list[FieldProblem] = []
    found: list[FileType] = []
    for upload in uploads:
        shown = _UNSAFE.sub("_", upload.filename)[:80] or "?"
        file_type = sniff(upload.head)
        if upload.size == 0:
            problems.append(FieldProblem(FIELD, f"{shown}: the file is empty", f"{shown}：文件是空的"))
        elif upload.size > max_bytes:
            limit_text = size_text(max_bytes)
            problems.append(
                FieldProblem(
                    FIELD,
                    f"{shown}: larger than {limit_text}",
                    f"{shown}：文件超过 {limit_text}",
                )
            )
        elif file_type is None:
            problems.append(
                FieldProblem(
                    FIELD,
                    f"{shown}: not a screenshot (PNG, JPEG, WebP, GIF) or a screen recording (MP4, WebM, MOV)",
                    f"{shown}：不是截图（PNG、JPEG、WebP、GIF）或录屏（MP4、WebM、MOV）",
                )
            )
        else:
            found.append(file_type)
    if problems:
        raise RuleViolation(problems)
    return found


def unreadable(filename: str) -> RuleViolation:
    """An image whose first bytes looked right but which does not decode."""
    shown = _UNSAFE.sub("_", filename)[:80] or "?"
    return RuleViolation.one(FIELD, f"{shown}: the image cannot be read", f"{shown}：图片无法读取")

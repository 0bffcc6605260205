"""Attachment files in a directory (``FAULTDESK_HOME/attachments``), and images re-encoded by
Pillow so what the phone wrote into them (EXIF with GPS, comments, XMP) is not kept.

Keys are random (128 bits, hex), not content hashes: two reports uploading the same screenshot
get two files, so removing one report's files after a failed transaction can never take another
report's file away. A file is written to a temporary name in its final directory and renamed
into place (``os.replace``, atomic on one file system), so every API process sharing the
directory sees either the whole file or none."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

from faultdesk.domain.attachments import FileType
from faultdesk.services.ports import UnreadableImage

_KEY = re.compile(r"^[0-9a-f]{32}$")
_PIL_FORMAT = {FileType.PNG: "PNG", FileType.JPEG: "JPEG", FileType.WEBP: "WEBP", FileType.GIF: "GIF"}
MAX_PIXELS = 40_000_000  # an 8K screenshot is 33 M; beyond that it is a decompression bomb, not a screen
_KEPT_INFO = ("transparency", "duration", "loop", "background")  # how it looks, not who or where


class DirectoryFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise FileNotFoundError(key)  # never a path built from anything else
        return self.root / key[:2] / key

    def put(self, data: bytes) -> str:
        key = secrets.token_hex(16)
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".part-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return key

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def discard(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):  # a malformed key names no file
            self._path(key).unlink(missing_ok=True)

    def clean(self, data: bytes, file_type: FileType) -> bytes:
        if not file_type.is_image:
            return data  # recordings are kept as sent (their container metadata is not rewritten)
        return reencode(data, file_type)

    def thumbnail(self, clean: bytes, file_type: FileType) -> bytes | None:
        return thumbnail(clean) if file_type.is_image else None


THUMB_SIDE = 320  # px, the longer side: a sharp 8em thumbnail on a phone's 2x screen


def thumbnail(clean: bytes) -> bytes:
    """A WebP of the (already cleaned) image's first frame, at most ``THUMB_SIDE`` px a side."""
    try:
        with Image.open(BytesIO(clean)) as image:
            small = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
            small.thumbnail((THUMB_SIDE, THUMB_SIDE))
            out = BytesIO()
            small.save(out, "WEBP", quality=80)
            return out.getvalue()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise UnreadableImage(str(exc)) from exc


def reencode(data: bytes, file_type: FileType) -> bytes:
    """The image drawn again into a new file of the same format, keeping only its pixels, frames
    and transparency. A JPEG is turned upright first (its EXIF orientation goes with the EXIF)."""
    expected = _PIL_FORMAT[file_type]
    try:
        with Image.open(BytesIO(data), formats=[expected]) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage(f"{width}x{height} pixels is too large")
            out = BytesIO()
            if getattr(image, "is_animated", False) and file_type in (FileType.GIF, FileType.WEBP):
                frames = [_bare(frame.copy()) for frame in ImageSequence.Iterator(image)]
                durations = [frame.info.get("duration", 100) for frame in frames]
                frames[0].save(
                    out,
                    expected,
                    save_all=True,
                    append_images=frames[1:],
                    duration=durations,
                    loop=image.info.get("loop", 0),
                )
            else:
                still = ImageOps.exif_transpose(image) if file_type is FileType.JPEG else image.copy()
                still = _bare(still)
                options: dict[str, object] = {"quality": 90} if file_type in (FileType.JPEG, FileType.WEBP) else {}
                still.save(out, expected, **options)
            return out.getvalue()
    except UnreadableImage:
        raise
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise UnreadableImage(str(exc)) from exc


def _bare(image: Image.Image) -> Image.Image:
    image.info = {k: v for k, v in image.info.items() if k in _KEPT_INFO}
    return image

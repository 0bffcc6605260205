"""Test files for attachments: real images carrying EXIF with a GPS position, and a recording's
first bytes."""

from __future__ import annotations

from io import BytesIO

from PIL import ExifTags, Image

GPS = {
    ExifTags.GPS.GPSLatitudeRef: "N",
    ExifTags.GPS.GPSLatitude: (31.0, 14.0, 24.0),
    ExifTags.GPS.GPSLongitudeRef: "E",
    ExifTags.GPS.GPSLongitude: (121.0, 28.0, 12.0),
}


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretPhoneMaker"
    exif[ExifTags.Base.Model] = "X-42"
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(GPS)
    return exif


def image_with_gps(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: str = "#3a7") -> bytes:
    """An image whose metadata says where it was taken (and on which phone)."""
    out = BytesIO()
    Image.new("RGB", size, color).save(out, fmt, exif=_exif())
    data = out.getvalue()
    assert has_gps(data), "the test image must carry GPS to begin with"
    return data


def has_gps(data: bytes) -> bool:
    with Image.open(BytesIO(data)) as image:
        exif = image.getexif()
        return bool(exif.get_ifd(ExifTags.IFD.GPSInfo)) or ExifTags.Base.Make in exif or b"SecretPhoneMaker" in data


def mp4_bytes(size: int = 2048) -> bytes:
    """The start of an MP4 recording (an ``ftyp`` box with the isom brand), padded."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    return head + b"\x00" * (size - len(head))

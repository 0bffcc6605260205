"""Attachments' rules, pure: the type told by the first bytes (never the name), the limits on
count and size, and the names staff see and headers carry."""

from __future__ import annotations

import pytest

from faultdesk.domain.attachments import (
    FILENAME_LIMIT,
    MAX_ATTACHMENTS,
    FileType,
    Upload,
    check_uploads,
    safe_filename,
    size_text,
    sniff,
)
from faultdesk.domain.errors import RuleViolation

HEADS = {
    FileType.PNG: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    FileType.JPEG: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    FileType.GIF: b"GIF89a\x01\x00\x01\x00",
    FileType.WEBP: b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    FileType.MP4: b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    FileType.WEBM: b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm",
    FileType.QUICKTIME: b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ",
}


@pytest.mark.parametrize("kind", list(HEADS))
def test_each_format_is_told_by_its_first_bytes(kind):
    assert sniff(HEADS[kind]) is kind


@pytest.mark.parametrize(
    "head",
    [
        b"<!DOCTYPE html><script>alert(1)</script>",  # a page named shot.png
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",  # SVG runs script: never an image here
        b"%PDF-1.7\n",
        b"PK\x03\x04\x14\x00",  # a zip (or an .apk)
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",  # HEIC shares mp4's box layout
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1",
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska",  # Matroska, not WebM
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a RIFF that is not WebP
        b"\x89PNG",  # cut short
        b"",
    ],
)
def test_anything_else_is_no_type_at_all(head):
    assert sniff(head) is None


def test_the_name_and_the_claim_do_not_matter_only_the_content():
    html_named_png = Upload("shot.png", 100, b"<html><body>hi</body></html>")
    with pytest.raises(RuleViolation) as refused:
        check_uploads([html_named_png], max_bytes=1000)
    [problem] = refused.value.problems
    assert problem.field == "attachments" and "shot.png" in problem.reason_zh and "不是截图" in problem.reason_zh
    jpeg_named_txt = Upload("notes.txt", 100, HEADS[FileType.JPEG])
    assert check_uploads([jpeg_named_txt], max_bytes=1000) == [FileType.JPEG]


def test_the_limits_count_size_and_empty_files_each_with_the_files_name():
    good = Upload("a.png", 1000, HEADS[FileType.PNG])
    assert check_uploads([good] * MAX_ATTACHMENTS, max_bytes=1000) == [FileType.PNG] * MAX_ATTACHMENTS
    with pytest.raises(RuleViolation) as too_many:
        check_uploads([good] * (MAX_ATTACHMENTS + 1), max_bytes=1000)
    assert too_many.value.problems[0].reason_zh == "最多 5 个文件（您选了 6 个）"
    big = Upload("big.mp4", 1001, HEADS[FileType.MP4])
    empty = Upload("empty.png", 0, b"")
    with pytest.raises(RuleViolation) as both:
        check_uploads([good, big, empty], max_bytes=1000)
    reasons = [p.reason_en for p in both.value.problems]
    assert reasons == ["big.mp4: larger than 1 KB", "empty.png: the file is empty"]


def test_sizes_read_as_people_read_them():
    assert size_text(5 * 1024 * 1024) == "5 MB"
    assert size_text(300 * 1024) == "300 KB"


def test_a_name_is_cleaned_never_trusted():
    assert safe_filename("IMG_0001.PNG", FileType.PNG) == "IMG_0001.png"
    assert safe_filename("report.png", FileType.JPEG) == "report.jpg"  # what it is, not what it says
    assert safe_filename("../../etc/passwd", FileType.GIF) == "passwd.gif"
    assert safe_filename("C:\\Users\\me\\截图 1.webp", FileType.WEBP) == "截图 1.webp"
    cleaned = safe_filename('a\x00b\r\nContent-Type: text/html";x.png', FileType.PNG)
    assert not any(c in cleaned for c in '\x00\r\n";') and cleaned.endswith(".png")
    assert safe_filename("", FileType.MP4) == "attachment.mp4"
    assert safe_filename("....", FileType.MP4) == "attachment.mp4"
    long = safe_filename("长" * 500 + ".png", FileType.PNG)
    assert len(long) == FILENAME_LIMIT and long.endswith(".png")

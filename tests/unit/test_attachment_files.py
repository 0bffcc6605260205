"""The attachment directory and the re-encoding that drops EXIF/GPS (Pillow, no database)."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from faultdesk.adapters.attachment_files import DirectoryFiles, reencode
from faultdesk.domain.attachments import FileType
from faultdesk.services.ports import UnreadableImage
from tests.attachment_files import has_gps, image_with_gps, mp4_bytes


@pytest.mark.parametrize(("kind", "fmt"), [(FileType.PNG, "PNG"), (FileType.JPEG, "JPEG"), (FileType.WEBP, "WEBP")])
def test_images_come_back_without_their_location_or_phone(kind, fmt):
    original = image_with_gps(fmt)
    clean = reencode(original, kind)
    assert not has_gps(clean)
    with Image.open(BytesIO(clean)) as image:
        assert image.format == fmt and image.size == (64, 48) and not image.getexif()


def test_a_jpeg_is_turned_upright_before_its_orientation_goes():
    out = BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to view"
    Image.new("RGB", (60, 20), "blue").save(out, "JPEG", exif=exif)
    with Image.open(BytesIO(reencode(out.getvalue(), FileType.JPEG))) as image:
        assert image.size == (20, 60)


def test_an_animated_gif_keeps_its_frames():
    frames = [Image.new("RGB", (10, 10), c) for c in ("red", "green", "blue")]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0, comment=b"secret")
    clean = reencode(out.getvalue(), FileType.GIF)
    with Image.open(BytesIO(clean)) as image:
        assert image.n_frames == 3 and "comment" not in image.info
    assert b"secret" not in clean


def test_what_only_starts_like_an_image_is_unreadable():
    with pytest.raises(UnreadableImage):
        reencode(b"\x89PNG\r\n\x1a\n" + b"<html>" * 20, FileType.PNG)
    jpeg = image_with_gps("JPEG")
    with pytest.raises(UnreadableImage):  # a JPEG is read as a JPEG only, whatever sniffed it
        reencode(jpeg, FileType.PNG)


def test_files_are_written_whole_under_random_keys_and_nothing_else_is_reachable(tmp_path):
    files = DirectoryFiles(tmp_path / "attachments")
    one, two = files.put(b"same"), files.put(b"same")
    assert one != two and files.read(one) == b"same"  # two reports' copies: removing one keeps the other
    files.discard(one)
    assert files.read(two) == b"same"
    with pytest.raises(FileNotFoundError):
        files.read(one)
    stored = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [two]  # no temporary file left behind
    for bad in ("../secret.key", "/etc/passwd", two.upper(), ""):
        with pytest.raises(FileNotFoundError):
            files.read(bad)
        files.discard(bad)  # quietly nothing
    assert files.clean(mp4_bytes(), FileType.MP4) == mp4_bytes()  # recordings as sent


def test_a_thumbnail_is_a_small_webp_of_the_clean_image(tmp_path):
    files = DirectoryFiles(tmp_path)
    big = reencode(image_with_gps("PNG", size=(1170, 2532)), FileType.PNG)  # an iPhone screenshot
    small = files.thumbnail(big, FileType.PNG)
    assert small is not None and len(small) < len(big)
    with Image.open(BytesIO(small)) as image:
        assert image.format == "WEBP" and image.size == (148, 320)
    out = BytesIO()
    Image.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, "PNG")  # transparent: kept transparent
    with Image.open(BytesIO(files.thumbnail(out.getvalue(), FileType.PNG) or b"")) as image:
        assert image.mode == "RGBA"
    assert files.thumbnail(mp4_bytes(), FileType.MP4) is None

"""Attachments end to end on both stores: the report form and the tracking page take screenshots
and recordings (type by content, metadata stripped, size and count limited, nothing half stored),
and only logged-in staff can open them."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.exc import OperationalError

from faultdesk.adapters.db.uow import SqlUnitOfWork
from faultdesk.bootstrap import bootstrap
from faultdesk.entrypoints.api.app import create_app
from tests.attachment_files import has_gps, image_with_gps, mp4_bytes
from tests.conftest import FAST_PASSWORDS
from tests.integration.session_helpers import form, log_in, with_cookie
from tests.integration.test_web_reporter import HTML, a_form, register, report_id_of


def files_in(home: Path) -> list[Path]:
    root = home / "attachments"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_report(client: TestClient, files: list[tuple[str, bytes, str]], lang: str = "zh", **fields: str):
    client.get("/report", headers=HTML)
    return client.post(
        "/report",
        data=form(client, **a_form(**fields)),
        files=[("attachments", f) for f in files],
        headers={**HTML, "Accept-Language": lang},
        follow_redirects=False,
    )


def tracking_path(client: TestClient) -> str:
    page = client.get("/report/receipt", headers=HTML)
    return "/t/" + re.search(r"/t/([A-Za-z0-9_\-]+)", page.text).group(1)


def stored_rows(wiring, report_id: int):
    with wiring.desk.uow() as uow:
        return uow.reports.attachments_of([report_id]).get(report_id, [])


def test_a_screenshot_with_gps_is_stored_without_it_and_served_to_staff_only(client, wiring, settings, staff):
    png = image_with_gps("PNG")
    posted = post_report(client, [("我的截图.png", png, "image/png"), ("录屏.mp4", mp4_bytes(), "video/mp4")])
    assert posted.status_code == 303, posted.text
    path = tracking_path(client)
    rid = report_id_of(wiring, path)
    shot, recording = stored_rows(wiring, rid)
    assert (shot.file_type.value, shot.filename, recording.file_type.value) == (
        "image/png",
        "我的截图.png",
        "video/mp4",
    )
    on_disk = files_in(settings.home)
    assert shot.thumb_key and recording.thumb_key is None
    assert sorted(p.name for p in on_disk) == sorted([shot.storage_key, shot.thumb_key, recording.storage_key])
    kept = next(p for p in on_disk if p.name == shot.storage_key).read_bytes()
    assert not has_gps(kept) and b"SecretPhoneMaker" not in kept  # the EXIF (GPS, phone) is gone
    with Image.open(settings.home / "attachments" / shot.storage_key[:2] / shot.storage_key) as image:
        assert image.size == (64, 48)

    anonymous = client.get(f"/attachments/{shot.id}", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == f"/login?next=/attachments/{shot.id}"
    for bearer in (staff["agent"], {"Authorization": "Bearer fdt_guess"}):  # the console's route: sessions only
        assert client.get(f"/attachments/{shot.id}", headers=bearer, follow_redirects=False).status_code == 303
    track = client.get(path, headers=HTML).text
    assert "我的截图.png" in track and "/attachments/" not in track  # the reporter sees names, never a file link

    session = with_cookie(log_in(client, "agent1"))
    image = client.get(f"/attachments/{shot.id}", headers=session)
    assert image.status_code == 200 and image.content == kept
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-disposition"] == (
        f"inline; filename=\"attachment-{shot.id}.png\"; filename*=UTF-8''%E6%88%91%E7%9A%84%E6%88%AA%E5%9B%BE.png"
    )
    thumb = client.get(f"/attachments/{shot.id}/thumb", headers=session)
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/webp"
    assert thumb.headers["x-content-type-options"] == "nosniff"
    assert thumb.headers["content-disposition"].startswith(f'inline; filename="attachment-{shot.id}.webp"')
    with Image.open(BytesIO(thumb.content)) as small:
        assert small.format == "WEBP" and small.size == (64, 48)  # never larger than the image
    assert not has_gps(thumb.content)
    assert client.get(f"/attachments/{shot.id}/thumb", follow_redirects=False).status_code == 303
    assert client.get(f"/attachments/{recording.id}/thumb", headers=session).headers["content-type"] == "video/mp4"
    video = client.get(f"/attachments/{recording.id}", headers=session)
    assert video.headers["content-type"] == "video/mp4" and video.headers["content-disposition"].startswith(
        "attachment;"
    )
    assert client.get("/attachments/999999", headers=session).status_code == 404
    assert client.get("/attachments/0", headers=session).status_code == 422
    assert client.get("/attachments/99999999999999999999", headers=session).status_code == 422

    report_page = client.get(f"/reports/{rid}", headers=session).text
    assert f'<img src="/attachments/{shot.id}/thumb"' in report_page and f'href="/attachments/{shot.id}"' in report_page
    assert f'href="/attachments/{recording.id}"' in report_page
    number = register(client, staff["agent"], rid)
    fault_page = client.get(f"/faults/{number}", headers=session).text
    assert f'<img src="/attachments/{shot.id}/thumb" alt="我的截图.png" class="thumb"' in fault_page


def test_the_type_is_the_contents_not_the_names(client, wiring, settings):
    jpeg = image_with_gps("JPEG")
    assert post_report(client, [("photo.png", jpeg, "image/png")]).status_code == 303
    [row] = stored_rows(wiring, report_id_of(wiring, tracking_path(client)))
    assert (row.file_type.value, row.filename) == ("image/jpeg", "photo.jpg")

    client.cookies.clear()
    before = len(files_in(settings.home))
    html = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>"
    refused = post_report(client, [("shot.png", html, "image/png")], symptom="不应保存的反馈")
    assert refused.status_code == 422
    assert 'id="attachments-error"' in refused.text and "shot.png：不是截图" in refused.text
    english = post_report(client, [("shot.png", html, "image/png")], lang="en", symptom="不应保存的反馈")
    assert english.status_code == 422 and "shot.png: not a screenshot" in english.text
    broken = post_report(
        client, [("cut.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "image/png")], symptom="不应保存的反馈"
    )
    assert broken.status_code == 422 and "cut.png：图片无法读取" in broken.text
    assert len(files_in(settings.home)) == before
    assert not any(r.symptom == "不应保存的反馈" for r in _all_reports(wiring))


def _all_reports(wiring):
    with wiring.desk.uow() as uow:
        return uow.reports.since(0, 1000)


def test_more_than_five_files_or_a_file_too_big_stores_nothing(settings, clock):
    small = settings.with_overrides(attachment_max_bytes=64 * 1024)
    wiring = bootstrap(small, clock=clock, passwords=FAST_PASSWORDS)
    try:
        with TestClient(create_app(wiring=wiring), client=("203.0.113.8", 50000)) as client:
            png = image_with_gps("PNG")
            six = post_report(client, [(f"s{i}.png", png, "image/png") for i in range(6)])
            assert six.status_code == 422 and "最多 5 个文件（您选了 6 个）" in six.text
            assert 'id="attachments-error"' in six.text
            big = mp4_bytes(64 * 1024 + 1)
            too_big = post_report(client, [("ok.png", png, "image/png"), ("long.mp4", big, "video/mp4")])
            assert too_big.status_code == 422 and "long.mp4：文件超过 64 KB" in too_big.text
            assert "ok.png" not in too_big.text.split('id="attachments-error"', 1)[1].split("</span>", 1)[0]
            other = post_report(client, [("ok.png", png, "image/png")], symptom="")  # a text field wrong
            assert other.status_code == 422 and "请重新选择附件" in other.text  # files are not kept silently
            assert files_in(small.home) == [] and _all_reports(wiring) == []
            five = post_report(client, [(f"s{i}.png", png, "image/png") for i in range(5)])
            assert five.status_code == 303 and len(files_in(small.home)) == 10  # five files, five thumbnails
    finally:
        wiring.engine.dispose()


def test_a_failed_transaction_leaves_no_file(client, wiring, settings, monkeypatch):
    def fail(self):
        raise OperationalError("COMMIT", {}, Exception("the database went away"))

    monkeypatch.setattr(SqlUnitOfWork, "commit", fail)
    with pytest.raises(OperationalError):
        post_report(client, [("shot.png", image_with_gps("PNG"), "image/png")])
    assert files_in(settings.home) == []
    monkeypatch.undo()
    assert _all_reports(wiring) == []


def raw_post(client: TestClient, filename: bytes, data: bytes):
    """A multipart post written by hand: httpx would percent-encode a NUL in a file name."""
    client.get("/report", headers=HTML)
    boundary = b"----fdtestboundary"
    parts = b"".join(
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + k.encode()
        + b'"\r\n\r\n'
        + v.encode()
        + b"\r\n"
        for k, v in form(client, symptom="文件名里有 NUL", channel="web").items()
    )
    parts += (
        b"--" + boundary + b'\r\nContent-Disposition: form-data; name="attachments"; filename="' + filename + b'"\r\n'
        b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--" + boundary + b"--\r\n"
    )
    headers = {**HTML, "Content-Type": "multipart/form-data; boundary=" + boundary.decode()}
    return client.post("/report", content=parts, headers=headers, follow_redirects=False)


def test_a_nul_in_a_file_name_as_sent_is_cleaned(client, wiring):
    posted = raw_post(client, b"sh\x00ot\x01.png", image_with_gps("PNG"))
    assert posted.status_code == 303, posted.text
    [row] = stored_rows(wiring, report_id_of(wiring, tracking_path(client)))
    assert row.filename == "sh_ot.png"  # the NUL arrived (as sent) and became "_"; the trailing one is trimmed


def test_control_characters_and_long_names_are_cleaned(client, wiring):
    png = image_with_gps("PNG")
    posted = post_report(
        client, [('a\x00b\r\n\x7f"evil".png', png, "image/png"), ("长" * 300 + ".png", png, "image/png")]
    )
    assert posted.status_code == 303, posted.text
    nul, long = stored_rows(wiring, report_id_of(wiring, tracking_path(client)))
    assert re.fullmatch(r"[^\x00-\x1f\x7f\"]+\.png", nul.filename)
    assert len(long.filename) == 200 and long.filename.endswith(".png")  # the column holds the limit


def test_a_screenshot_added_later_reaches_the_fault_page_and_its_owner(client, wiring, settings, staff):
    assert post_report(client, []).status_code == 303  # no file chosen: an empty part, skipped
    path = tracking_path(client)
    rid = report_id_of(wiring, path)
    assert stored_rows(wiring, rid) == [] and files_in(settings.home) == []
    number = register(client, staff["agent"], rid)
    added = client.post(
        path + "/more",
        data=form(client, text=""),
        files=[("attachments", ("later.webp", image_with_gps("WEBP"), "image/webp"))],
        headers=HTML,
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    [row] = stored_rows(wiring, rid)
    assert row.later and row.file_type.value == "image/webp"
    assert not has_gps((settings.home / "attachments" / row.storage_key[:2] / row.storage_key).read_bytes())
    with wiring.desk.uow() as uow:
        fault = uow.faults.by_number(number)
        told = [
            m
            for m in uow.outbox.listing(state=None, report_id=None, fault_id=fault.id, limit=50)
            if m.kind == "reporter_added"
        ]
        description = uow.reports.get(rid).description
    assert len(told) == 1 and "上传了 1 个附件" in told[0].body
    assert "later.webp" not in (description or "")  # a screenshot alone adds no words to the report
    session = with_cookie(log_in(client, "agent1"))
    page = client.get(f"/faults/{number}", headers=session).text
    assert f'<img src="/attachments/{row.id}/thumb"' in page and "后来补充" in page
    assert f"为反馈 #{rid} 补充了信息（上传了 1 个附件）" in page  # the timeline says so, not "updated the fault"

    bad = client.post(
        path + "/more",
        data=form(client, text="再补一句"),
        files=[("attachments", ("x.gif", b"GIF89a<script>", "image/gif"))],
        headers=HTML,
    )
    assert bad.status_code == 422 and 'id="attachments-error"' in bad.text
    with wiring.desk.uow() as uow:
        assert "再补一句" not in (uow.reports.get(rid).description or "")  # nothing half stored
    assert len(stored_rows(wiring, rid)) == 1 and len(files_in(settings.home)) == 2  # the file and its thumbnail
    unknown = client.post(
        "/t/not-a-token/more",
        data=form(client, text="x"),
        files=[("attachments", ("a.png", image_with_gps("PNG"), "image/png"))],
        headers=HTML,
    )
    assert unknown.status_code == 404 and len(files_in(settings.home)) == 2


def test_the_upload_forms_take_files_past_the_body_limit_and_the_api_does_not(client, settings):
    assert settings.max_body_bytes == 256 * 1024
    big_png = image_with_gps("PNG", size=(600, 600))
    noisy = Image.effect_noise((700, 700), 80).convert("RGB")
    out = BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > settings.max_body_bytes
    assert (
        post_report(client, [("noise.png", out.getvalue(), "image/png"), ("b.png", big_png, "image/png")]).status_code
        == 303
    )
    api = client.post(
        "/api/v1/reports",
        content=b"{" + b" " * (settings.max_body_bytes + 1) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert api.status_code == 422


def test_the_report_form_is_matched_right_after_the_public_api(client):
    """Routes are tried in order; behind the console's routers POST /report cost ~0.25 ms of matching."""
    from starlette.routing import Match

    scope = {"type": "http", "method": "POST", "path": "/report", "root_path": "", "headers": [], "query_string": b""}
    routes = client.app.router.routes
    found = next(i for i, r in enumerate(routes) if r.matches(dict(scope))[0] is Match.FULL)
    api = next(i for i, r in enumerate(routes) if r.matches({**scope, "path": "/api/v1/reports"})[0] is Match.FULL)
    assert (api, found) == (api, api + 1)

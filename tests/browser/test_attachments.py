"""Attachments in a real browser at phone size: a reporter files a report with a screenshot
(JavaScript off: the plain multipart form), a page named .png is refused beside the field, a
screenshot is added later on the tracking page, and staff see the thumbnails on the fault page;
nobody logged out reaches a file. Screenshots: test-artifacts/browser/attach-*.png."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.attachment_files import image_with_gps
from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot
from tests.browser.test_reporter import api

pytestmark = [pytest.mark.slow]

SYMPTOM = "浏览器测试：上传截图后页面空白"


def test_a_screenshot_goes_from_the_phone_to_the_fault_page(demo_console, browser, tmp_path):
    base = demo_console.base
    agent = demo_console.cli("token", "create", "agent1").strip().splitlines()[-1]
    screenshot = tmp_path / "截图_0001.png"
    screenshot.write_bytes(image_with_gps("PNG", size=(390, 640), color="#4a90d9"))
    fake = tmp_path / "shot.png"
    fake.write_text("<!DOCTYPE html><script>alert(1)</script>")

    plain = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = plain.new_page()
    page.goto(f"{base}/report?channel=app")
    page.fill("#symptom", SYMPTOM)
    page.set_input_files("#attachments", [str(fake)])
    page.click("button[type=submit]")
    error = page.inner_text("#attachments-error")
    assert "shot.png：不是截图" in error
    assert page.get_attribute("#attachments", "aria-invalid") == "true"
    assert page.input_value("#symptom") == SYMPTOM  # the words are kept; the files must be chosen again
    assert_no_sideways_scroll(page)
    shot(page, "attach-form-refused")
    page.set_input_files("#attachments", [str(screenshot)])
    assert_no_sideways_scroll(page)
    shot(page, "attach-form-chosen")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-link")
    shot(page, "attach-receipt")
    link = page.input_value("#tracking-link")
    path = "/t/" + link.rsplit("/t/", 1)[1]
    page.goto(base + path)
    page.click("details.mine summary")
    assert "截图_0001.png" in page.inner_text("details.mine")
    assert page.locator("img[src^='/attachments/']").count() == 0  # the reporter's page links no file
    later = tmp_path / "later.jpg"
    later.write_bytes(image_with_gps("JPEG", size=(300, 500), color="#d94a4a"))
    page.set_input_files("#more-files", [str(later)])
    page.click("form[action$='/more'] button[type=submit]")
    page.wait_for_selector("text=已收到您的补充")
    assert_no_sideways_scroll(page)
    shot(page, "attach-tracking-added")
    plain.close()

    found = api(base, agent, "GET", "/reports?page_size=20&linked=false&sort=-received_at")
    rid = next(r["id"] for r in found["items"] if r["symptom"] == SYMPTOM)
    number = api(base, agent, "POST", "/faults", type_code="01", report_ids=[rid], title="内部：上传空白")["fault"][
        "number"
    ]

    staff = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = staff.new_page()
    log_in(page, base, "agent1")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/faults/{number}")
    thumbs = page.locator(f"#report-{rid} img.thumb")
    assert thumbs.count() == 2
    thumbs.first.scroll_into_view_if_needed()
    page.wait_for_function(
        "n => [...document.querySelectorAll('img.thumb')].filter(i => i.complete && i.naturalWidth > 0).length === n",
        arg=2,
    )
    sizes = page.eval_on_selector_all("img.thumb", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
    assert sorted(sizes) == [[192, 320], [195, 320]]  # the small WebPs, not the 390 x 640 and 300 x 500 files
    assert "后来补充" in page.inner_text(f"#report-{rid}")
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    page.locator(f"#report-{rid}").scroll_into_view_if_needed()
    shot(page, "attach-fault-page")
    page.goto(f"{base}/reports/{rid}")
    assert page.locator("img.thumb").count() == 2
    assert_no_sideways_scroll(page)
    shot(page, "attach-report-page")
    src = page.get_attribute("a.thumb-link", "href")
    assert src.startswith("/attachments/") and not src.endswith("/thumb")
    page.click("a.thumb-link")
    page.wait_for_url(f"**{src}")
    full = page.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]")
    assert full in ([390, 640], [300, 500])
    staff.close()

    anonymous = httpx.get(base + src, follow_redirects=False, timeout=30)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

"""The reporter's pages in a real browser on a phone-sized screen, against a real `faultdesk serve`
with the demo data: file a report with JavaScript off, keep the tracking link from the receipt,
watch a staff update arrive, answer 仍有问题 (the fault reopens), later 已恢复, and rate it 5.
Screenshots: test-artifacts/browser/reporter-*.png."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.browser.conftest import ARTIFACTS, PHONE, assert_no_raw_codes, assert_no_sideways_scroll, shot
from tests.integration.lifecycle_helpers import BODIES

pytestmark = [pytest.mark.slow]

SYMPTOM = "浏览器测试：点忘记密码后一直提示系统繁忙"
LIMIT = 100 * 1024
SIZES = ARTIFACTS / "reporter-sizes.txt"


def weigh(page, name: str) -> int:
    """Bytes this page load transferred (the document and everything it fetched), kept in
    reporter-sizes.txt; every page stays under 100 KB."""
    total = int(
        page.evaluate(
            """() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
                 .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)"""
        )
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with SIZES.open("a") as out:
        out.write(f"{name}\t{total}\n")
    assert 0 < total <= LIMIT, f"{name} transferred {total} bytes"
    return total


def api(base: str, token: str, method: str, path: str, **body):
    res = httpx.request(
        method, f"{base}/api/v1{path}", json=body or None, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert res.status_code < 300, (path, res.status_code, res.text)
    return res.json() if res.content else None


def act(base: str, token: str, number: str, action: str, **overrides) -> None:
    api(base, token, "POST", f"/faults/{number}/transitions", action=action, **{**BODIES.get(action, {}), **overrides})


def to_confirmation(base: str, admin: str, number: str, *, first: bool) -> None:
    steps = ["start_analysis", "grade"] if first else []
    steps += ["record_cause", "propose_plan", "review_plan"]
    steps += ["attach_cases"] if first else []
    steps += ["mark_fix_ready", "record_verification"]
    for action in steps:
        extra = {"severity": "P2", "owners": {}} if action == "grade" else {}
        if action == "propose_plan":
            extra = {"deadline": "2099-01-01T18:00:00"}
        act(base, admin, number, action, **extra)


def test_a_reporter_files_follows_confirms_and_rates_on_a_phone(demo_console, browser):
    base = demo_console.base
    agent = demo_console.cli("token", "create", "agent1").strip().splitlines()[-1]
    admin = demo_console.cli("token", "create", "admin1").strip().splitlines()[-1]

    # No JavaScript at all: the plain form, the receipt, the tracking link.
    plain = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = plain.new_page()
    page.goto(f"{base}/report?channel=app")
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "reporter-form")
    page.click("button[type=submit]")  # nothing filled in: told beside the field
    assert page.inner_text("#symptom-error")
    shot(page, "reporter-form-error")
    page.fill("#symptom", SYMPTOM)
    page.fill("#scenario", "在登录页面点「忘记密码」时提示错误")
    page.fill("#device_model", "iPhone 13")
    page.fill("#os_version", "iOS 16.4")
    page.select_option("#network", "4g")
    page.fill("#contact", "reporter@example.com")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-link")
    assert "/report/receipt" in page.url
    assert "1 小时内回复" in page.inner_text("main")
    assert page.is_visible(".qr img")
    assert not page.is_visible("button.copy")  # the copy button needs JavaScript; the field is there
    assert_no_sideways_scroll(page)
    shot(page, "reporter-receipt")
    link = page.input_value("#tracking-link")
    assert link.startswith(base + "/t/") or "/t/" in link
    path = "/t/" + link.rsplit("/t/", 1)[1]
    page.goto(base + path)
    assert "已受理" in page.inner_text(".status")
    assert SYMPTOM in page.inner_text("h1")
    plain.close()

    # Staff register it, grade it and post an update (through the API, as their console would).
    found = api(base, agent, "GET", "/reports?page_size=20&linked=false&sort=-received_at")
    rid = next(r["id"] for r in found["items"] if r["symptom"] == SYMPTOM)
    created = api(base, agent, "POST", "/faults", type_code="01", report_ids=[rid], title="内部：短信网关超时")
    number = created["fault"]["number"]
    act(base, admin, number, "start_analysis")
    act(base, admin, number, "grade", severity="P2")
    api(base, agent, "POST", f"/faults/{number}/updates", text="已定位到原因，正在修复，预计今晚恢复")

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/report")
    weigh(page, "/report")
    page.goto(base + path)
    weigh(page, "/t/{token}")
    body = page.inner_text("main")
    assert "处理中" in body and "已定位到原因，正在修复，预计今晚恢复" in body
    assert "内部：短信网关超时" not in body and "agent1" not in body and "问题定位中" not in body
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "reporter-tracking")
    page.fill("#more-text", "今天上午 9 点又出现了一次")
    page.click("form[action$='/more'] button[type=submit]")
    page.wait_for_selector("text=已收到您的补充")
    page.click("details.mine summary")
    assert "今天上午 9 点又出现了一次" in page.inner_text("details.mine")
    shot(page, "reporter-added")

    # Fixed: the reporter says it is still broken, and the fault reopens.
    for action in (
        "record_cause",
        "propose_plan",
        "review_plan",
        "attach_cases",
        "mark_fix_ready",
        "record_verification",
    ):
        act(base, admin, number, action, **({"deadline": "2099-01-01T18:00:00"} if action == "propose_plan" else {}))
    page.goto(base + path)
    assert "待您确认" in page.inner_text(".status")
    shot(page, "reporter-confirm")
    page.fill("#confirm-comment", "还是收不到验证码")
    page.click("button[value=still_broken]")
    page.wait_for_selector(".state-handling")
    assert api(base, admin, "GET", f"/faults/{number}")["status"] == "locating"

    # Fixed again: 已恢复 resolves it (a P2), and the rating is asked for.
    for action in ("record_cause", "propose_plan", "review_plan", "mark_fix_ready", "record_verification"):
        act(base, admin, number, action, **({"deadline": "2099-01-01T18:00:00"} if action == "propose_plan" else {}))
    page.goto(base + path)
    page.click("button[value=recovered]")
    page.wait_for_selector(".state-resolved")
    assert api(base, admin, "GET", f"/faults/{number}")["status"] == "resolved"
    page.check("input[name=satisfaction][value='5']")
    page.fill("#rating-comment", "处理很及时，谢谢")
    shot(page, "reporter-rate")
    page.click("form[action$='/rate'] button[type=submit]")
    page.wait_for_selector("text=感谢您的评价")
    assert "5 / 5" in page.inner_text("main")
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "reporter-rated")

    # English, switched on the page.
    page.click("button[value=en]")
    page.wait_for_selector("text=Thank you for your rating")
    assert "Resolved" in page.inner_text(".status")
    shot(page, "reporter-rated-en")
    context.close()


def test_the_copy_button_copies_and_an_unknown_link_is_a_friendly_page(demo_console, browser):
    base = demo_console.base
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/report?channel=mini_program&embed=1")
    assert not page.is_visible("header .brand")  # a webview: no site frame
    page.fill("#symptom", "小程序里点支付没反应")
    page.click("button[type=submit]")
    page.wait_for_selector("#tracking-link")
    weigh(page, "/report/receipt")
    assert page.is_visible("button.copy")
    page.click("button.copy")
    page.wait_for_selector("text=已复制")
    shot(page, "reporter-receipt-embed")
    page.goto(f"{base}/t/not-a-real-token")
    weigh(page, "/t/{unknown} (404)")
    assert "找不到这条反馈" in page.inner_text("h1")
    shot(page, "reporter-404")
    context.close()

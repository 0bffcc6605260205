"""Deflection in a real browser on a phone-sized screen (issue 12.2), against a real `faultdesk
serve` with the demo data: an agent marks a fault public; a reporter types the symptom, sees the
public known issue (its public words, never the internal title), presses "这就是我遇到的问题", sees
the receipt say it joined, and the tracking page shows the fault's public status.
Screenshots: test-artifacts/browser/deflection-*.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot
from tests.browser.test_reporter import api, weigh

pytestmark = [pytest.mark.slow]

INTERNAL = "内部：订单回调队列 mq-pay-3 积压"
PUBLIC_TITLE = "部分用户支付成功后订单仍显示待付款"
PUBLIC_STATUS = "我们已找到原因，正在修复；款项不会重复扣除，修复后订单状态会自动更新。"
SYMPTOM = "支付成功了但订单一直显示待付款"


def test_a_reporter_follows_a_public_known_issue_from_the_form_on_a_phone(demo_console, browser):
    base = demo_console.base
    agent = demo_console.cli("token", "create", "agent1").strip().splitlines()[-1]
    first = httpx_report(base, "订单支付成功后仍显示待付款")
    fault = api(base, agent, "POST", "/faults", type_code="01", title=INTERNAL, report_ids=[first])["fault"]
    number = fault["number"]

    # The agent marks it public on the fault page's form.
    staff = browser.new_context(viewport=PHONE, locale="zh-CN")
    desk = staff.new_page()
    log_in(desk, base, "agent1")
    desk.wait_for_url(f"{base}/")
    desk.goto(f"{base}/faults/{number}")
    desk.fill("#public-title", PUBLIC_TITLE)
    desk.fill("#public-status", PUBLIC_STATUS)
    desk.locator("#public button.primary").click()
    desk.wait_for_selector("#public .badge.public")
    assert_no_sideways_scroll(desk)
    assert_no_raw_codes(desk)
    desk.locator("#public").scroll_into_view_if_needed()
    shot(desk, "deflection-fault-page")
    staff.close()
    assert api(base, agent, "GET", f"/faults/{number}")["public_title"] == PUBLIC_TITLE

    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/report?channel=app")
    page.locator("#symptom").press_sequentially(SYMPTOM, delay=30)  # keystrokes: the debounced fetch follows
    issue = page.locator(".deflection .known-issue")
    issue.first.wait_for(state="visible")
    assert PUBLIC_TITLE in issue.first.inner_text() and PUBLIC_STATUS in issue.first.inner_text()
    assert INTERNAL not in page.content()
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "deflection-suggestion")
    weigh(page, "deflection-form")

    page.locator(f"button[name=follow][value='{number}']").click()
    page.wait_for_url(f"{base}/report/receipt")
    joined = page.locator(".joined")
    assert "您的反馈已加入已知问题" in joined.inner_text() and PUBLIC_TITLE in joined.inner_text()
    assert INTERNAL not in page.content()
    assert_no_sideways_scroll(page)
    shot(page, "deflection-receipt")

    page.click("a.button-link")  # 查看处理进展
    page.wait_for_selector(".public-status")
    status = page.inner_text(".status-card")
    assert "已受理" in status and PUBLIC_STATUS in status and PUBLIC_TITLE in status
    assert INTERNAL not in page.content()
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "deflection-tracking")

    after = api(base, agent, "GET", f"/faults/{number}")
    assert after["affected_users"] == 2 and len(after["reports"]) == 2
    counts = api(base, agent, "GET", "/deflections")
    assert counts["followed"] == 1 and counts["shown"] >= 1
    context.close()


def test_without_javascript_the_form_files_a_plain_report(demo_console, browser):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{demo_console.base}/report")
    page.fill("#symptom", SYMPTOM)
    assert page.locator(".deflection").count() == 0  # no suggestions without JavaScript
    page.click("button.primary.big")
    page.wait_for_url(f"{demo_console.base}/report/receipt")
    assert page.locator(".joined").count() == 0
    shot(page, "deflection-nojs-receipt")
    context.close()


def httpx_report(base: str, symptom: str) -> int:
    import httpx2 as httpx

    body = {"channel": "app", "symptom": symptom, "reporter_id": "u-browser-1"}
    res = httpx.post(f"{base}/api/v1/reports", json=body, timeout=60)
    assert res.status_code == 201, res.text
    return int(res.json()["report"]["id"])

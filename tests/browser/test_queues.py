"""The queues in a real browser against the demo desk: each role's own work, the phone layout as
cards, the keyboard (j, Enter, /), and rows that refresh by themselves without a reload while
what the user typed stays. Screenshots: test-artifacts/browser/queues-*.png."""

from __future__ import annotations

import re

import httpx2 as httpx
import pytest

from tests.browser.conftest import ARTIFACTS, PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot
from tests.conftest import a_report

pytestmark = [pytest.mark.slow]

ROW = "tbody#queue-rows tr[data-row]"


def tab_count(page, queue: str) -> int:
    return int(page.inner_text(f'.tabs a[href^="/?queue={queue}"] .count'))


@pytest.mark.parametrize("user", ["agent1", "lead1"])
def test_each_role_sees_its_own_work(demo_console, browser, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, demo_console.base, user)
    page.wait_for_selector("tbody#queue-rows")
    assert page.inner_text('.tabs a[aria-current="page"]').startswith("我的工作")
    mine = tab_count(page, "mine")
    rows = page.locator(ROW)
    assert mine > 0 and rows.count() == min(mine, 25)
    assert f"共 {mine} 条" in page.inner_text("#queue-summary")
    shot(page, f"queues-{user}")
    assert_no_raw_codes(page)
    states = set(page.locator(f"{ROW} td:nth-child(5)").all_inner_texts())
    if user == "lead1":  # the lead grades, records causes and reviews plans, or owns the handling
        assert states & {"分析分级中", "问题定位中", "方案评审中"}, states
    # Every tab opens its queue with the count it showed.
    page.click('.tabs a[href^="/?queue=all"]')
    page.wait_for_url(re.compile(r"queue=all"))
    assert f"共 {tab_count(page, 'all')} 条" in page.inner_text("#queue-summary")
    context.close()


def test_at_390_px_the_rows_are_cards_and_nothing_scrolls_sideways(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "pm1")
    page.goto(f"{demo_console.base}/?queue=all")
    page.wait_for_selector(ROW)
    assert page.evaluate("getComputedStyle(document.querySelector('tbody#queue-rows tr')).display") == "block"
    assert page.locator("table.queue thead").is_hidden()
    shot(page, "queues-390")
    page.screenshot(path=str(ARTIFACTS / "queues-390-top.png"))  # what the phone shows first
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    context.close()


def test_the_keyboard_moves_through_the_rows_and_opens_one(demo_console, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, demo_console.base, "pm1")
    page.goto(f"{demo_console.base}/?queue=all")
    page.wait_for_selector(ROW)
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator(ROW).nth(1)
    assert "selected" in (second.get_attribute("class") or "")
    page.keyboard.press("k")
    first = page.locator(ROW).first
    href = first.get_attribute("data-href")
    assert href and re.fullmatch(r"/faults/[0-9-]+", href)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    context.close()


def test_a_new_fault_appears_without_a_reload_and_the_filter_keeps_what_was_typed(demo_console, browser):
    token = demo_console.cli("token", "create", "agent1").strip().splitlines()[-1]
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, demo_console.base, "agent1")
    page.goto(f"{demo_console.base}/?queue=all")
    page.wait_for_selector(ROW)
    everything = "#queue-tabs a[href^='/?queue=all'] .count"
    before = int(page.inner_text(everything))
    page.evaluate("window.notReloaded = true")
    page.click("input[data-search]")
    page.keyboard.type("半句话")  # typed, not yet submitted
    base = demo_console.base
    rid = httpx.post(f"{base}/api/v1/reports", json=a_report(symptom="扫码支付后订单状态不更新"), timeout=60).json()
    res = httpx.post(
        f"{base}/api/v1/faults",
        json={"type_code": "01", "report_ids": [rid["report"]["id"]]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert res.status_code == 201, res.text
    number = res.json()["fault"]["number"]
    page.wait_for_selector(f"tr#fault-{number}", timeout=40_000)  # the next poll, every 15 s
    assert page.evaluate("window.notReloaded") is True
    assert page.input_value("input[data-search]") == "半句话"
    assert page.evaluate("document.activeElement.name") == "q"
    assert "扫码支付后订单状态不更新" in page.inner_text(f"tr#fault-{number}")
    assert int(page.inner_text(everything)) == before + 1  # the tabs' counts came with the rows
    shot(page, "queues-refreshed")
    context.close()

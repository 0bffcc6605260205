"""Importing history in a real browser against the demo desk: admin1 opens the import page from the
admin index, uploads a small record table with a bad row and sees each row's problem in Chinese,
uploads the corrected table, sees it checked and nothing written yet, imports it, and finds an
imported fault in the queue by its number. At 390 px nothing scrolls sideways and no raw code
shows. Screenshots: test-artifacts/browser/import-*.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot

pytestmark = [pytest.mark.slow]

HEADER = "故障编号,反馈时间,故障现象,故障类型,当前状态,严重程度,故障原因,解决方案"
GOOD = [
    "230105-01-001,2023-01-05 09:30:00,登录后白屏（历史记录）,功能异常,已归档,P1 重要,缓存过期,清理缓存后恢复",
    "230105-01-002,2023-01-05 11:00:00,支付页超时（历史记录）,功能异常,已解决,P2 一般,,",
]
BAD = [*GOOD, "230106-01-001,昨天上午,,没有的类型,已归档,,,"]


def table(rows: list[str]) -> dict[str, object]:
    text = "\ufeff" + "\r\n".join([HEADER, *rows]) + "\r\n"
    return {"name": "历史记录.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8")}


def test_an_admin_checks_a_table_sees_its_problems_then_imports_it(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, demo_console.base, "admin1")
    page.click("nav a[href='/admin']")
    page.click(".admin-tiles a[href='/admin/import']")
    page.wait_for_selector("form#import-check")
    shot(page, "import-empty")

    page.set_input_files("form#import-check input[name=file]", table(BAD))
    page.click("form#import-check button[type=submit]")
    page.wait_for_selector("table.import-problems")
    text = page.inner_text("table.import-problems")
    assert "反馈时间" in text and "时间格式应为" in text and "未知的故障类型：没有的类型" in text
    assert page.inner_text("[data-figure=read]") == "3" and page.inner_text("[data-figure=create]") == "0"
    assert page.locator("form#import-commit").count() == 0  # a table with problems cannot be committed
    assert_no_raw_codes(page)
    shot(page, "import-problems")

    page.set_input_files("form#import-check input[name=file]", table(GOOD))
    page.click("form#import-check button[type=submit]")
    page.wait_for_selector("form#import-commit")
    assert "检查通过" in page.inner_text(".import-result")
    assert page.inner_text("[data-figure=create]") == "2"
    shot(page, "import-checked")
    page.click("form#import-commit button[type=submit]")
    page.wait_for_selector(".import-done")
    assert "已导入 2 条故障" in page.inner_text(".import-done")
    assert page.locator(".import-done a.fno", has_text="230105-01-001").count() == 1
    assert_no_raw_codes(page)
    shot(page, "import-done")

    page.click(".import-done a[href='/?queue=all']")
    page.wait_for_selector("tbody#queue-rows")
    page.fill("#queue-filters input[name=q]", "230105-01-001")
    page.press("#queue-filters input[name=q]", "Enter")
    page.wait_for_url("**/faults/230105-01-001")  # a whole number found: straight to its page
    header = page.inner_text("main")
    assert "登录后白屏（历史记录）" in header and "已归档" in header
    shot(page, "import-found-by-number")
    context.close()


def test_the_import_page_at_390px_reads_in_words_without_sideways_scroll(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "admin1")
    page.wait_for_selector("table.faults")
    page.goto(f"{demo_console.base}/admin/import")
    page.wait_for_selector("form#import-check")
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "import-390")
    page.set_input_files(
        "form#import-check input[name=file]", table([*BAD, *(f"2301{d:02d}-01-001,x,y,z,w,,," for d in range(10, 14))])
    )
    page.click("form#import-check button[type=submit]")
    page.wait_for_selector("table.import-problems")
    assert page.evaluate("getComputedStyle(document.querySelector('table.import-problems tr')).display") == "block"
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, "import-390-problems")
    context.close()

"""The follow-up pages in a real browser on the demo data: the knowledge base searched and an
article read, the improvement actions by tab with a status changed in place by htmx, a release
recorded (a bad field shown beside it first) and listed — at 390 px with nothing scrolling
sideways and no raw code on the Chinese screens. Screenshots: kb-*.png, improvements.png,
releases.png under test-artifacts/browser/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot

pytestmark = [pytest.mark.slow]


def checked(page, name: str) -> None:
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, name)


def test_the_knowledge_base_is_searched_and_an_article_read_on_a_phone(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "agent1")
    page.goto(f"{demo_console.base}/kb")
    cards = page.locator(".kb-card")
    assert cards.count() >= 1, "the demo's retrospectives wrote articles"
    checked(page, "kb-list")
    title = cards.first.locator("h2").inner_text()
    word = title.split("：")[0].split()[0][:4]
    page.keyboard.press("/")  # the search shortcut focuses the box
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type(word)
    page.keyboard.press("Enter")
    page.wait_for_url("**/kb?q=*")
    assert title in page.inner_text(".kb-list")
    checked(page, "kb-search")
    page.locator(".kb-card h2 a", has_text=title).first.click()
    page.wait_for_url("**/kb/*")
    body = page.inner_text("main")
    for heading in ("故障现象", "故障原因", "解决方案", "临时规避方案", "标签"):
        assert heading in body
    number = page.locator("a.fno").first
    assert number.count() == 1 and number.get_attribute("href").startswith("/faults/")
    checked(page, "kb-article")
    page.goto(f"{demo_console.base}/kb?q=没有这种文章的词语组合xyz")
    assert "没有文章同时包含这些词" in page.inner_text("main")
    context.close()


def test_improvement_actions_by_tab_and_a_status_changed_in_place(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "pm1")
    page.goto(f"{demo_console.base}/improvements?tab=all")
    rows = page.locator("table.improvements tbody tr[id^=improvement-]")
    assert rows.count() >= 1, "the demo's retrospectives agreed improvement actions"
    owners = page.locator("table.improvements tbody td[data-label='负责人']").all_inner_texts()
    assert owners and not {"dev1", "tester1", "pm1"} & set(owners), owners  # people by name, not username
    checked(page, "improvements")
    row = rows.first
    row_id = row.get_attribute("id")
    select = row.locator("select[name=status]")
    current = select.input_value()
    target = "dropped" if current != "dropped" else "open"
    page.evaluate("window.__stillHere = true")  # gone if the page reloaded instead of swapping the row
    select.select_option(target)
    with page.expect_response(lambda r: "/status" in r.url and r.request.method == "POST") as answer:
        row.locator("button[type=submit]").click()
    assert answer.value.status == 200
    fresh = page.locator(f"#{row_id}")
    fresh.locator(f"select[name=status] option[value={target}][selected]").wait_for(state="attached")
    assert page.evaluate("window.__stillHere") is True
    page.reload()
    assert page.locator(f"#{row_id} select[name=status]").input_value() == target  # it was stored
    page.locator(f"#{row_id} select[name=status]").select_option(current)  # put it back for the other tests
    page.locator(f"#{row_id} button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    for tab in ("mine", "overdue"):
        page.goto(f"{demo_console.base}/improvements?tab={tab}")
        assert page.locator(f".tabs a[aria-current=page][href$='tab={tab}']").count() == 1
        assert_no_sideways_scroll(page)
        assert_no_raw_codes(page)
    shot(page, "improvements-overdue")
    context.close()


def test_a_release_is_recorded_after_a_bad_field_is_shown_beside_it(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "pm1")
    page.goto(f"{demo_console.base}/")
    number = page.locator("a.fno").first.inner_text()
    page.goto(f"{demo_console.base}/releases")
    form = page.locator("form#record-release")
    form.locator("select[name=product]").select_option("shop")  # the catalogue's products, by name
    form.locator("input[name=version]").fill("   ")
    form.locator("textarea[name=notes]").fill("修复支付页面一直转圈")
    form.locator("textarea[name=known_issues]").fill(f"修复 {number}；iPad 横屏偶现错位")
    form.locator("button[type=submit]").click()
    assert page.locator("#err-version").inner_text().strip()
    assert page.locator("input[name=version][aria-invalid=true]").count() == 1
    assert page.locator("textarea[name=notes]").input_value() == "修复支付页面一直转圈"  # nothing typed is lost
    shot(page, "releases-error")
    assert page.locator("select[name=product]").input_value() == "shop"
    page.locator("input[name=version]").fill("9.9.1")
    page.locator("form#record-release button[type=submit]").click()
    page.wait_for_url("**/releases?recorded=*")
    release = page.locator(".release", has_text="9.9.1").first
    assert "修复支付页面一直转圈" in release.inner_text() and "iPad 横屏偶现错位" in release.inner_text()
    link = release.locator(f"a.fno[href='/faults/{number}']")
    assert link.count() == 1
    checked(page, "releases")
    context.close()

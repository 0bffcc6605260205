"""The fault page in a real browser on the demo desk: a PM records the recurrence check, the tech
lead grades P0 from the suggestion (with the special team), two people edit one fault at once and
the second sees who changed what; at 390 px nothing scrolls sideways and no code shows raw.
Screenshots: test-artifacts/browser/fault-*.png."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import ARTIFACTS, PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot

pytestmark = [pytest.mark.slow]

WAITING = "数据报表按月查询加载超时"  # registered in the demo, nobody has analysed it yet
TRIAGING = "HarmonyOS 4 上无法上传头像"  # analysed (a known issue), waiting for its grade


def number_of(page, base: str, title: str) -> str:
    page.goto(f"{base}/?queue=all&q={title}")  # not every fault is in my work
    href = page.locator("tr", has_text=title).first.locator("a.fno").get_attribute("href")
    assert href and href.startswith("/faults/")
    return href.removeprefix("/faults/")


def test_a_pm_records_the_recurrence_check_and_the_lead_grades_p0_from_the_suggestion(demo_console, browser):
    base = demo_console.base
    pm = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = pm.new_page()
    log_in(page, base, "pm1")
    number = number_of(page, base, WAITING)
    page.goto(f"{base}/faults/{number}")
    assert page.inner_text(".fault-head .state") == "已登记"
    page.click("#act-start_analysis summary")
    page.select_option("#f-start_analysis-recurrence", "new")
    page.select_option("#f-start_analysis-impact", "outage")
    page.check("#f-start_analysis-revenue_impact")
    page.fill("#f-start_analysis-notes", "月底商家集中查询，报表超时影响结算")
    page.click("#act-start_analysis button[type=submit]")
    page.wait_for_selector("text=记录复发判断：新发问题")
    assert page.inner_text(".fault-head .state") == "分析分级中"
    assert "李娜（产品经理）记录复发判断：新发问题；影响程度：功能完全不可用" in page.inner_text(".timeline")
    assert page.locator("[data-action]").count() == 0 or "grade" not in page.content()  # the lead's, not hers
    shot(page, "fault-recurrence-check")
    assert_no_raw_codes(page)
    pm.close()

    lead = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = lead.new_page()
    log_in(page, base, "lead1")
    page.goto(f"{base}/faults/{number}")
    page.click("#act-grade summary")
    suggestion = page.inner_text("#act-grade .suggestion")
    assert "系统建议级别：P0 紧急" in suggestion and "影响业务收入" in suggestion
    assert page.eval_on_selector("#f-grade-severity", "el => el.value") == "P0"  # preselected
    page.select_option("#f-grade-severity", "P1")  # overriding: the reason is asked for
    assert page.eval_on_selector("#f-grade-reason", "el => el.required") is True
    page.select_option("#f-grade-severity", "P0")
    assert page.eval_on_selector("#f-grade-reason", "el => el.required") is False
    page.select_option("#f-grade-owners-handling", label="刘洋 · 研发工程师")
    page.select_option("#f-grade-team_lead", label="张伟 · 技术负责人")
    page.select_option("#f-grade-team_members", label=["刘洋 · 研发工程师", "陈静 · 测试工程师"])
    shot(page, "fault-grade-form")
    page.click("#act-grade button[type=submit]")
    page.wait_for_selector("text=定级为 P0 紧急")
    assert page.inner_text(".fault-head .sev") == "P0 紧急"
    assert "专项小组：负责人 张伟（技术负责人），成员 刘洋（研发工程师）、陈静（测试工程师）" in page.inner_text(
        ".timeline"
    )
    shot(page, "fault-graded-p0")
    assert_no_raw_codes(page)
    lead.close()


def test_two_people_edit_one_fault_and_the_second_sees_the_conflict(demo_console, browser):
    base = demo_console.base
    first = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    second = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    pm_page, lead_page = first.new_page(), second.new_page()
    log_in(pm_page, base, "pm1")
    log_in(lead_page, base, "lead1")
    number = number_of(pm_page, base, TRIAGING)
    pm_page.goto(f"{base}/faults/{number}")
    lead_page.goto(f"{base}/faults/{number}")  # both hold the same version

    pm_page.click("#act-assign summary")
    pm_page.select_option("#f-assign-owners-handling", label="刘洋 · 研发工程师")
    pm_page.click("#act-assign button[type=submit]")
    pm_page.wait_for_selector("text=指定负责人：跨部门协同处理 刘洋（研发工程师）")

    lead_page.click("#act-grade summary")
    lead_page.select_option("#f-grade-severity", "P2")
    lead_page.fill("#f-grade-reason", "仅少数用户受影响")
    lead_page.select_option("#f-grade-owners-handling", label="陈静 · 测试工程师")
    lead_page.click("#act-grade button[type=submit]")
    conflict = lead_page.wait_for_selector("#act-grade .conflict")
    words = conflict.inner_text()
    assert "已被他人修改" in words and "李娜（产品经理）指定负责人：跨部门协同处理 刘洋（研发工程师）" in words
    assert lead_page.input_value("#f-grade-reason") == "仅少数用户受影响"  # what they typed is kept
    shot(lead_page, "fault-conflict")
    lead_page.click("text=刷新页面，查看最新内容")
    lead_page.wait_for_selector(".fault-head")
    assert lead_page.inner_text(".fault-head .state") == "分析分级中"  # nothing of the second was written
    assert "跨部门协同处理：刘洋" in lead_page.inner_text("dl.facts")
    first.close()
    second.close()


def test_the_fault_page_at_390_px_and_in_english(demo_console, browser):
    base = demo_console.base
    phone = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = phone.new_page()
    log_in(page, base, "agent1")
    number = number_of(page, base, "微信支付成功后订单仍显示“待支付”")  # the demo's longest story
    page.goto(f"{base}/faults/{number}")
    shot(page, "fault-phone-390")
    for part in ("facts-h", "reports-h", "timeline-h", "clocks-h", "actions-h"):  # each readable on its own
        page.locator(f"section[aria-labelledby={part}]").screenshot(
            path=str(ARTIFACTS / f"fault-phone-390-{part[:-2]}.png")
        )
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    words = page.inner_text("main")
    assert "处理记录" in words and "已归档" in words and "{" not in words
    reveal = page.locator("[data-reveal]").first
    cell = page.locator("#" + reveal.locator("xpath=ancestor::td").get_attribute("id"))  # not the next button's
    masked = cell.locator(".contact").inner_text()
    assert "*" in masked
    reveal.click()
    page.wait_for_selector(".contact.revealed")
    shown = cell.locator(".contact").inner_text()
    assert "*" not in shown and shown[:3] == masked[:3] and "显示联系方式" not in cell.inner_text()
    phone.close()

    english = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = english.new_page()
    log_in(page, base, "admin1")
    page.goto(f"{base}/faults/{number}")
    if "中文" not in page.inner_text(".bar"):
        page.click("text=English")
    page.wait_for_selector("text=What happened")
    shot(page, "fault-english")
    words = page.inner_text("main")
    assert "archived" in words and "故障" not in page.inner_text("#timeline-h")
    # The action forms' own words too (their widgets are a macro file of their own): the people's
    # names in the pickers and the texts in the boxes may be Chinese, the form's words may not.
    # (An archived fault whose retrospective is done offers nothing: a fault being fixed does.)
    page.goto(f"{base}/faults/{number_of(page, base, '商品搜索结果加载缓慢')}")
    page.click(".action-form summary")
    page.click("#act-attach_cases summary")  # the cases: rows to add
    words = page.eval_on_selector_all(
        ".action-form summary, .action-form legend, .action-form label > span, .action-form button",
        "els => els.map(e => e.innerText)",
    )
    assert words and not [w for w in words if re.search(r"[\u4e00-\u9fff]", w)], words
    assert "Add a row" in words
    shot(page, "fault-english-action-form")
    english.close()

"""The whole story of one fault in a real browser on an empty desk (issue #11 item 10), each step
taken on its page by the person whose job it is, each person in their own browser: the admin
sets up a product with a core function and the staff; two people report a login outage on the
public form; the agent registers one and links the other; the PM checks recurrence, the lead
grades P0 from the suggestion, the developer finds the cause, a plan is rejected then approved,
the tester's verification fails once (back to fixing) then passes, the agent confirms, the PM
releases, archives and writes the retrospective; the knowledge base finds the article and the
improvement is listed. Screenshots: test-artifacts/browser/story-NN-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PHONE,
    Console,
    assert_no_raw_codes,
    assert_no_sideways_scroll,
    log_in,
    shot,
    start_console,
)

pytestmark = [pytest.mark.slow]

PASSWORD = "story-password-1"
DESK = {"width": 1280, "height": 900}
STAFF = [  # username, role, display name
    ("agent2", "agent", "王芳"),
    ("pm2", "pm", "李娜"),
    ("lead2", "tech_lead", "张伟"),
    ("dev2", "developer", "刘洋"),
    ("tester2", "tester", "陈静"),
]
FIRST = "登录时一直提示系统繁忙，无法登录"
SECOND = "登录失败，提示系统繁忙，试了好几次都登录不上"
NUMBER = re.compile(r"/faults/(\d{6}-01-\d{3})$")


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[Console]:
    yield from start_console(tmp_path_factory.mktemp("story-console"), demo=False)


def checked(page, name: str, *, phone: bool = False) -> Path:
    assert_no_raw_codes(page)
    if phone:
        assert_no_sideways_scroll(page)
    return shot(page, name)


class Person:
    def __init__(self, browser, base: str, username: str, *, viewport: dict[str, int] = DESK) -> None:
        self.context = browser.new_context(locale="zh-CN", viewport=viewport)
        self.page = self.context.new_page()
        self.base = base
        log_in(self.page, base, username, PASSWORD)
        self.page.wait_for_selector("nav")

    def fault(self, number: str):
        self.page.goto(f"{self.base}/faults/{number}")
        self.page.wait_for_selector(".fault-head")
        return self.page

    def act(self, number: str, action: str, fields: dict[str, str | list[str]], state: str | None = None):
        """Open the action's form on the fault page, fill it by field path, submit, wait for the state."""
        page = self.fault(number)
        section = page.locator(f"#act-{action}")
        expect(section, f"{action} is offered").to_have_count(1)
        section.locator("summary").click()
        for path, value in fields.items():
            fid = f"#f-{action}-{path.replace('.', '-')}"
            box = page.locator(fid)
            tag = box.evaluate("el => el.tagName")
            if tag == "SELECT":
                if isinstance(value, list):
                    box.select_option(label=value)
                elif value.startswith("label:"):
                    box.select_option(label=value.removeprefix("label:"))
                else:
                    box.select_option(value)
            elif box.get_attribute("type") == "checkbox":
                box.check()
            else:
                box.fill(str(value))
        section.locator("button[type=submit]").last.click()
        if state is not None:
            expect(page.locator(".fault-head .state")).to_have_text(state)
        return page

    def close(self) -> None:
        self.context.close()


def test_one_fault_from_setup_to_retrospective(console, browser):
    base = console.base
    console.cli("user", "create", "admin1", "--role", "admin", "--password", PASSWORD)

    # 1. The admin adds a product with a core function, then the staff.
    admin = Person(browser, base, "admin1")
    page = admin.page
    page.goto(f"{base}/admin/products")
    form = page.locator("#add-product")
    form.locator("input[name=code]").fill("mall")
    form.locator("input[name=name]").fill("商城")
    form.locator("input[name=function_code]").fill("login")
    form.locator("input[name=function_name]").fill("账号登录")
    form.locator("select[name=criticality]").select_option("core")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=产品已添加")
    card = page.locator("article", has_text="商城")
    assert card.locator(".rows select[name=criticality] option:checked").inner_text() == "核心功能"
    checked(page, "story-01-product")
    page.goto(f"{base}/admin/users")
    for username, role, name in STAFF:
        new = page.locator("#create-user")
        new.locator("input[name=username]").fill(username)
        new.locator("input[name=display_name]").fill(name)
        new.locator("select[name=role]").select_option(role)
        new.locator("input[name=password]").fill(PASSWORD)
        new.locator("input[name=email]").fill(f"{username}@corp.example")
        new.locator("button[type=submit]").click()
        expect(page.locator("tr", has_text=username)).to_have_count(1)
    for username, _role, name in STAFF:
        assert name in page.locator("tr", has_text=username).inner_text()
    checked(page, "story-01-staff")
    admin.close()

    # 2. Two reports of a login outage arrive on the public form (on phones, no login).
    for i, (symptom, contact) in enumerate(((FIRST, "13800001111"), (SECOND, "13800002222"))):
        reporter = browser.new_context(locale="zh-CN", viewport=PHONE)
        page = reporter.new_page()
        page.goto(f"{base}/report?channel=app")
        page.fill("#symptom", symptom)
        page.fill("#scenario", "打开商城 App 输入账号密码点登录")
        page.select_option("#product", "mall")
        page.select_option("#function", "login")
        page.fill("#device_model", "iPhone 13")
        page.fill("#contact", contact)
        if i == 0:
            checked(page, "story-02-report-form-390", phone=True)
        page.click("button[type=submit]")
        page.wait_for_selector("#tracking-link")
        if i == 0:
            checked(page, "story-02-report-receipt-390", phone=True)
        reporter.close()

    # ... the agent registers the first as a new fault and links the duplicate from its candidates.
    agent = Person(browser, base, "agent2")
    page = agent.page
    page.goto(f"{base}/reports")
    page.wait_for_selector("table.reg-reports")
    assert FIRST in page.inner_text("main") and SECOND in page.inner_text("main")
    checked(page, "story-02-waiting")
    page.click(f"text={FIRST}")
    page.wait_for_selector("#register")
    page.fill("input[name=title]", "商城登录提示系统繁忙")
    checked(page, "story-02-register")
    page.click("#register button[type=submit]")
    page.wait_for_url(NUMBER)
    number = NUMBER.search(page.url).group(1)
    page.goto(f"{base}/reports")
    page.click(f"text={SECOND}")
    candidate = page.locator("li.reg-cand", has_text=number)
    candidate.wait_for()
    assert "商城登录提示系统繁忙" in candidate.inner_text()
    checked(page, "story-02-candidates")
    candidate.locator("button", has_text="关联到此故障").click()
    page.wait_for_url(re.compile(f"/faults/{number}$"))
    reports = page.inner_text("section[aria-labelledby=reports-h]")
    assert FIRST in reports and SECOND in reports
    checked(page, "story-02-linked")

    # 3. The PM records the recurrence check.
    pm = Person(browser, base, "pm2")
    page = pm.act(
        number,
        "start_analysis",
        {"recurrence": "new", "impact": "outage", "notes": "登录接口大面积报错，用户无法登录"},
        "分析分级中",
    )
    page.wait_for_selector("text=记录复发判断：新发问题")
    checked(page, "story-03-recurrence")

    # 4. The tech lead grades it P0 from the suggestion, naming the owners with the pickers.
    lead = Person(browser, base, "lead2")
    page = lead.fault(number)
    page.click("#act-grade summary")
    suggestion = page.inner_text("#act-grade .suggestion")
    assert re.search(r"系统建议级别：P[01]", suggestion), suggestion
    suggested = page.get_attribute("#act-grade form", "data-suggested")
    shot(page, "story-04-grade-form")
    fields: dict[str, str | list[str]] = {
        "severity": "P0",
        "owners.handling": "label:刘洋 · 研发工程师",
        "owners.verification": "label:陈静 · 测试工程师",
        "team_lead": "label:张伟 · 技术负责人",
        "team_members": ["刘洋 · 研发工程师", "陈静 · 测试工程师"],
    }
    if suggested != "P0":
        fields["reason"] = "登录是核心功能，全部用户无法登录"
    page = lead.act(number, "grade", fields, "问题定位中")
    assert page.inner_text(".fault-head .sev") == "P0 紧急"
    checked(page, "story-04-graded-p0")

    # 5. The developer records the cause.
    dev = Person(browser, base, "dev2")
    page = dev.act(
        number,
        "record_cause",
        {"cause": "登录服务连接池耗尽，请求超时", "category": "code_logic"},
        "制定解决方案",
    )
    checked(page, "story-05-cause")

    # 6. The PM proposes a plan, the lead rejects it, the PM proposes again, the lead approves.
    plan = {"kind": "emergency_patch", "description": "重启登录服务", "deadline": "2099-01-01T18:00"}
    page = pm.act(number, "propose_plan", plan, "方案评审中")
    checked(page, "story-06-plan")
    page = lead.act(
        number,
        "review_plan",
        {"approved": "false", "comments": "只重启治标不治本", "reviewers": "lead2"},
        "制定解决方案",
    )
    checked(page, "story-06-rejected")
    plan["description"] = "扩大连接池并修复连接泄漏，加超时告警"
    pm.act(number, "propose_plan", plan, "方案评审中")
    page = lead.act(
        number, "review_plan", {"approved": "true", "comments": "方案可行", "reviewers": "lead2, tester2"}, "修复中"
    )
    checked(page, "story-06-approved")

    # 7. The tester attaches two cases, the fix is marked ready, one case fails, then both pass.
    tester = Person(browser, base, "tester2")
    page = tester.act(
        number,
        "attach_cases",
        {
            "cases.0.key": "TC1",
            "cases.0.title": "正确密码登录",
            "cases.0.expected": "登录成功",
            "cases.1.key": "TC2",
            "cases.1.title": "并发 500 人同时登录",
            "cases.1.expected": "全部成功",
        },
        "修复中",
    )
    checked(page, "story-07-cases")
    page = dev.act(number, "mark_fix_ready", {"fix_version": "5.2.2"}, "验证测试中")
    failed = {"results.0.key": "TC1", "results.0.passed": "true", "results.1.key": "TC2", "results.1.passed": "false"}
    # A failed case reopens the fault to 问题定位中 (the lifecycle's reopen), not straight to 修复中:
    # the cause, the plan and its review are done again before the next fix.
    page = tester.act(number, "record_verification", failed, "问题定位中")
    assert "已重新打开 1 次" in page.inner_text("dl.facts")
    expect(page.locator(".timeline")).to_contain_text("记录验证结果：TC2 未通过，故障重新打开")
    checked(page, "story-07-verification-failed")
    dev.act(number, "record_cause", {"cause": "连接泄漏未修复完全", "category": "code_logic"}, "制定解决方案")
    pm.act(number, "propose_plan", plan, "方案评审中")
    lead.act(number, "review_plan", {"approved": "true", "comments": "可行", "reviewers": "lead2"}, "修复中")
    dev.act(number, "mark_fix_ready", {"fix_version": "5.2.3"}, "验证测试中")
    passed = {"results.0.key": "TC1", "results.0.passed": "true", "results.1.key": "TC2", "results.1.passed": "true"}
    page = tester.act(number, "record_verification", passed, "待用户确认")
    checked(page, "story-07-verified")

    # 8. The agent confirms: recovered (on a phone).
    agent.close()
    agent = Person(browser, base, "agent2", viewport=PHONE)
    page = agent.act(number, "confirm", {"outcome": "recovered"}, "发布中")
    checked(page, "story-08-confirmed-390", phone=True)

    # 9. The PM records a gray step, the full release, archives and writes the retrospective.
    page = pm.act(number, "record_gray_step", {"percentage": "10"}, "发布中")
    checked(page, "story-09-gray")
    page = pm.act(
        number, "release_full", {"version": "5.2.3", "announcement": "登录问题已修复，请升级至 5.2.3"}, "已解决"
    )
    expect(page.locator(".timeline")).to_contain_text("全量发布版本 5.2.3，上线公告")  # not the fault's row version
    checked(page, "story-09-released")
    page = pm.act(
        number,
        "archive",
        {
            "cause": "登录服务连接池耗尽",
            "solution": "扩大连接池并修复连接泄漏",
            "reporter_feedback": "已恢复",
            "satisfaction": "5",
        },
        "已归档",
    )
    checked(page, "story-09-archived")
    page = pm.act(
        number,
        "retrospect",
        {
            "analysis": "上线前没有压测登录并发",
            "actions.0.title": "登录服务上线前做并发压测",
            "actions.0.owner_id": "label:陈静 · 测试工程师",
            "actions.0.due": "2099-01-10",
            "article.title": "登录提示系统繁忙：连接池耗尽",
            "article.symptoms": "登录时一直提示系统繁忙",
            "article.cause": "登录服务连接池耗尽",
            "article.fix": "扩大连接池并修复连接泄漏",
            "article.tags": "登录, 连接池",
        },
    )
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("完成复盘")
    expect(timeline).to_contain_text("改进措施 1 项")
    expect(timeline).to_contain_text("知识库文章「登录提示系统繁忙：连接池耗尽」")
    checked(page, "story-09-retrospective")

    # 10. The knowledge base finds the article; the improvement is listed.
    page.goto(f"{base}/kb?q=连接池")
    card = page.locator(".kb-card", has_text="登录提示系统繁忙：连接池耗尽")
    expect(card).to_have_count(1)
    checked(page, "story-10-kb")
    card.locator("h2 a").click()
    page.wait_for_url("**/kb/*")
    assert page.locator(f"a.fno[href='/faults/{number}']").count() >= 1
    checked(page, "story-10-kb-article")
    phone = Person(browser, base, "tester2", viewport=PHONE)
    phone.page.goto(f"{base}/improvements?tab=all")
    row = phone.page.locator("table.improvements tbody tr", has_text="登录服务上线前做并发压测")
    expect(row).to_have_count(1)
    assert number in row.inner_text() and "2099-01-10" in row.inner_text()
    checked(phone.page, "story-10-improvements-390", phone=True)
    for person in (agent, pm, lead, dev, tester, phone):
        person.close()

"""Administration in a real browser against a demo serve: admin1 adds a product with a core
function and a staff member, each admin page reads in Chinese words with nothing scrolling
sideways at 390 px, and the template preview follows what is typed. Screenshots: admin-*.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot

pytestmark = [pytest.mark.slow]

PAGES = ["", "/users", "/users/agent1", "/products", "/types", "/calendar", "/templates", "/templates/progress/zh", "/synonyms", "/outbox"]  # fmt: skip


def test_an_admin_adds_a_product_with_a_core_function_and_a_staff_member(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, demo_console.base, "admin1")
    page.click("nav a[href='/admin']")
    page.wait_for_selector(".admin-tiles")
    shot(page, "admin-index")
    page.click("a[href='/admin/products']")
    form = page.locator("#add-product")
    form.locator("input[name=code]").fill("pay")
    form.locator("input[name=name]").fill("收银台")
    form.locator("input[name=function_code]").fill("checkout")
    form.locator("input[name=function_name]").fill("扫码支付")
    form.locator("select[name=criticality]").select_option("core")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=产品已添加")
    card = page.locator("article", has_text="收银台")
    assert card.locator("input[name=name][value='扫码支付']").count() == 1
    assert card.locator(".rows select[name=criticality] option:checked").inner_text() == "核心功能"
    shot(page, "admin-products")
    form.locator("input[name=code]").fill("bad code")
    form.locator("input[name=name]").fill("坏编码")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#product-code-error")
    assert "格式不正确" in page.inner_text("#product-code-error")
    shot(page, "admin-products-refused")

    page.goto(f"{demo_console.base}/admin/users")
    new = page.locator("#create-user")
    new.locator("input[name=username]").fill("agent7")
    new.locator("input[name=display_name]").fill("李娜")
    new.locator("select[name=role]").select_option("agent")
    new.locator("input[name=password]").fill("faultdesk-demo")
    new.locator("input[name=email]").fill("lina@corp.example")
    new.locator("button[type=submit]").click()
    page.wait_for_selector("text=账号已创建")
    row = page.locator("tr", has_text="agent7")
    assert "李娜" in row.inner_text() and "客服专员" in row.inner_text()
    shot(page, "admin-users")
    context.close()

    newcomer = browser.new_context(locale="zh-CN")
    their = newcomer.new_page()
    log_in(their, demo_console.base, "agent7")
    their.wait_for_selector("table.faults")
    their.goto(f"{demo_console.base}/admin")
    assert "无权访问" in their.inner_text("body")
    newcomer.close()


def test_every_admin_page_at_390px_reads_in_words_without_sideways_scroll(demo_console, browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    page = context.new_page()
    log_in(page, demo_console.base, "admin1")
    page.wait_for_selector("table.faults")
    for path in PAGES:
        page.goto(f"{demo_console.base}/admin{path}")
        page.wait_for_selector("h1")
        assert_no_sideways_scroll(page)
        assert_no_raw_codes(page)
        name = path.strip("/").replace("/", "-") or "index"
        shot(page, f"admin-390-{name}")
    context.close()


def test_the_template_preview_follows_what_is_typed(demo_console, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, demo_console.base, "admin1")
    page.wait_for_selector("table.faults")
    page.goto(f"{demo_console.base}/admin/templates/progress/zh")
    page.fill("textarea[name=body]", "故障 {{ number }} 影响 {{ users }} 位用户 <b>粗体</b>")
    page.locator("#preview", has_text="影响 120 位用户").wait_for()
    assert "<b>粗体</b>" in page.inner_text("#preview")  # shown as typed, not as markup
    page.fill("textarea[name=body]", "{% for %}")
    page.locator("#preview", has_text="模板有误").wait_for()
    shot(page, "admin-template-preview-refused")
    page.fill("textarea[name=body]", "故障 {{ number }} 正在处理")
    page.locator("#preview", has_text="231025-01-001 正在处理").wait_for()
    shot(page, "admin-template-preview")
    page.click("button[value=save]")
    page.wait_for_selector("text=模板已保存")
    context.close()

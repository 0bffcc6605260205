"""The dashboard in a real browser on the demo data: every chart draws a canvas beside its table,
at desktop width and at 390 px with nothing scrolling sideways, no raw code on the Chinese
screen and nothing refused by the CSP. Screenshots: dashboard-desktop.png, dashboard-phone.png."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot

pytestmark = [pytest.mark.slow]


@pytest.mark.parametrize(("name", "viewport"), [("desktop", {"width": 1280, "height": 900}), ("phone", PHONE)])
def test_the_dashboard_draws_its_charts(demo_console, browser, name, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    log_in(page, demo_console.base, "pm1")
    page.goto(f"{demo_console.base}/")
    page.locator("nav a[href='/dashboard']").click()
    page.wait_for_url("**/dashboard")
    page.select_option("select[name=period]", "year")
    page.locator(".dash-filters button[type=submit]").click()
    page.wait_for_url("**/dashboard?*period=year*")
    drawn = page.locator(".dash-chart:not(.empty)")
    assert drawn.count() >= 3, "the demo year has open faults, clocks and a trend"
    page.wait_for_function("document.querySelectorAll('.dash-chart:not(.empty) canvas').length >= 3")
    for i in range(drawn.count()):
        assert drawn.nth(i).locator("canvas").count() >= 1
    assert page.locator(".dash-table").count() >= 4
    assert int(page.inner_text("[data-figure=faults_in]")) > 0
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    shot(page, f"dashboard-{name}")
    assert not problems, problems
    context.close()

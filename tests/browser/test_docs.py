"""``/docs`` in a real browser, offline, with the CSP in force: Swagger UI from the vendored files
draws the API's operations (FastAPI's own page would fetch it from a CDN and start it inline)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.slow]


def test_swagger_ui_renders_the_operations_offline_under_the_csp(demo_console, browser):
    context = browser.new_context(offline=False)
    page = context.new_page()
    refused, outside = [], []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))

    def only_here(route):  # offline: anything not served by the console itself is refused
        if route.request.url.startswith(demo_console.base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    answer = page.goto(f"{demo_console.base}/docs")
    assert answer is not None and "script-src 'self'" in answer.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 20  # every operation of the API, not a blank page
    assert page.locator(".opblock-summary-path", has_text="/api/v1/faults").count() >= 1
    page.locator(".opblock-tag", has_text="known issues").first.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/v1/releases").first.click()
    page.wait_for_selector(".opblock.is-open .opblock-body")  # it expands: the bundle's scripts run
    shot(page, "docs")
    assert not outside, outside
    assert not refused, refused
    context.close()

"""The XSS payloads in a real browser: every text field written through the API with
``<script>alert(1)</script>``, ``"><img src=x onerror=alert(1)>`` and ``{{7*7}}``, then every
console page opened in chromium. No dialog may open, no injected element may reach the DOM, no
CSP violation may be reported (one would mean markup got through and only the policy stopped it),
and no ``{{7*7}}`` may read 49 where it was data."""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.browser.conftest import log_in, shot
from tests.integration.xss_helpers import CONSOLE_PAGES, EVALUATED, SHOWS_TEXT, seed

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def seeded(demo_console):
    token = demo_console.cli("token", "create", "admin1").strip().splitlines()[-1]
    admin = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=demo_console.base, timeout=60) as api:
        me = api.get("/api/v1/me", headers=admin).json()
        return seed(api, admin, user_id=me["id"], product="shop")


def test_no_payload_runs_or_is_evaluated_on_any_console_page(demo_console, browser, seeded):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    dialogs, violations = [], []

    def refuse(dialog):
        dialogs.append(f"{page.url}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", refuse)
    page.on(
        "console", lambda m: violations.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None
    )
    log_in(page, demo_console.base, "admin1")
    page.wait_for_url(f"{demo_console.base}/")
    opened = []
    for path in CONSOLE_PAGES:
        answer = page.goto(demo_console.base + seeded.fill(path))
        if answer is None or answer.status == 404:
            continue
        assert answer.status == 200, (path, answer.status)
        page.wait_for_load_state("networkidle")
        opened.append(path)
        assert page.locator("img[src='x']").count() == 0, path
        # no script but the site's own files (a JSON data block, the dashboard's figures, never runs)
        inline = "[...document.scripts].filter(s => !s.src && s.type !== 'application/json').length"
        assert page.evaluate(inline) == 0, path
        text = page.inner_text("body")
        assert EVALUATED not in text, path
        if path in SHOWS_TEXT:
            assert "<script>alert(1)</script>" in text and "丙{{7*7}}丁" in text, f"{path} does not show the text"
        if path == "/faults/{number}":
            shot(page, "xss-fault")
        if path == "/kb/{article_id}":
            shot(page, "xss-kb-article")
    assert {"/", "/kb", "/kb/{article_id}", "/improvements?tab=all", "/releases"} <= set(opened)
    assert not dialogs, dialogs
    assert not violations, violations
    context.close()

"""The console in a real browser (Debian's chromium driven by playwright, never a downloaded
browser), against a real `faultdesk serve`: login refused and throttled in Chinese, the fault list
in words, logout ending the session for good. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2 as httpx
import pytest

from tests.browser.conftest import assert_no_raw_codes, assert_no_sideways_scroll, log_in, shot, start_console
from tests.conftest import a_report

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("console")
    for running in start_console(home, demo=False, FAULTDESK_LOGIN_ACCOUNT_LIMIT="3/15 minutes"):
        running.cli("user", "create", "agent1", "--role", "agent", "--password", "correct-horse")
        running.cli("user", "create", "agent2", "--role", "agent", "--password", "correct-horse")
        token = running.cli("token", "create", "agent1").strip().splitlines()[-1]
        base = running.base
        rid = httpx.post(f"{base}/api/v1/reports", json=a_report(symptom="支付后页面一直转圈"), timeout=60).json()[
            "report"
        ]["id"]
        auth = {"Authorization": f"Bearer {token}"}
        res = httpx.post(
            f"{base}/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=auth, timeout=60
        )
        assert res.status_code == 201, res.text
        yield base


def test_an_agent_logs_in_sees_the_faults_in_words_and_logout_ends_the_session(console, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, console, "agent1", "correct-horse")
    page.wait_for_selector("table.faults")
    shot(page, "faults-390")
    assert_no_sideways_scroll(page)
    assert_no_raw_codes(page)
    text = page.inner_text("body")
    assert "支付后页面一直转圈" in text and "已登记" in text and "功能异常" in text
    assert "客服专员" in text and "agent1 · agent" not in text and "registered" not in text  # words, not codes
    cookies = context.cookies()
    page.click("text=退出")
    page.wait_for_selector("input[name=username]")
    replay = browser.new_context()
    replay.add_cookies(cookies)  # the cookie from before the logout, replayed
    again = replay.new_page()
    again.goto(f"{console}/")
    assert again.url.endswith("/login")  # the session ended on the server, not only in this browser
    replay.close()
    context.close()


def test_a_wrong_password_is_refused_and_guessing_is_throttled_in_chinese(console, browser):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    log_in(page, console, "agent2", "wrong-password")
    assert "用户名或密码错误" in page.inner_text("[role=alert]")
    shot(page, "login-refused")
    for _ in range(3):
        log_in(page, console, "agent2", "wrong-password")
    log_in(page, console, "agent2", "correct-horse")  # right, but the account now waits
    alert = page.inner_text("[role=alert]")
    shot(page, "login-throttled")
    assert "登录失败次数过多" in alert and "后再试" in alert and page.url.endswith("/login")
    context.close()

"""The console in a real browser (Debian's chromium driven by playwright, never a downloaded
browser), against a real `faultdesk serve`: login refused and throttled in Chinese, the fault list
in words, logout ending the session for good. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import a_report
from tests.integration.receivers import free_port
from tests.integration.waiting import serving, stop, wait_for

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "browser"
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def _cli(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BIN / "faultdesk"), *args], env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("console")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTDESK_")}
    env.update(FAULTDESK_HOME=str(home), FAULTDESK_RUN_WORKER="false", FAULTDESK_LOGIN_ACCOUNT_LIMIT="3/15 minutes")
    _cli(env, "init")
    _cli(env, "db", "upgrade")
    _cli(env, "user", "create", "agent1", "--role", "agent", "--password", "correct-horse")
    _cli(env, "user", "create", "agent2", "--role", "agent", "--password", "correct-horse")
    token = _cli(env, "token", "create", "agent1").strip().splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = home / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "faultdesk"), "serve", "--port", str(port), "--no-worker"], env=env, stdout=out, stderr=out
        )
    try:
        wait_for(lambda: serving(base), proc, log)
        rid = httpx.post(f"{base}/api/v1/reports", json=a_report(symptom="支付后页面一直转圈"), timeout=60).json()[
            "report"
        ]["id"]
        auth = {"Authorization": f"Bearer {token}"}
        res = httpx.post(
            f"{base}/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=auth, timeout=60
        )
        assert res.status_code == 201, res.text
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def _shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_agent_logs_in_sees_the_faults_in_words_and_logout_ends_the_session(console, browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    _log_in(page, console, "agent1", "correct-horse")
    page.wait_for_selector("table.faults")
    _shot(page, "faults-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scroll at 390 px
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
    _log_in(page, console, "agent2", "wrong-password")
    assert "用户名或密码错误" in page.inner_text("[role=alert]")
    _shot(page, "login-refused")
    for _ in range(3):
        _log_in(page, console, "agent2", "wrong-password")
    _log_in(page, console, "agent2", "correct-horse")  # right, but the account now waits
    alert = page.inner_text("[role=alert]")
    _shot(page, "login-throttled")
    assert "登录失败次数过多" in alert and "后再试" in alert and page.url.endswith("/login")
    context.close()

"""The console's security checks that are no one page's (issue #11 item 8), on both stores: login
throttling per account and per address says so on the page in Chinese and in English; a password
reset and a deactivation end the sessions the pages run on; the session cookie is HttpOnly and
SameSite=Lax, and Secure when FAULTDESK_COOKIE_SECURE is set; every console page carries the CSP
and loads no inline script."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from faultdesk.bootstrap import bootstrap
from faultdesk.entrypoints.api.app import create_app
from faultdesk.entrypoints.web.security import CONTENT_SECURITY_POLICY
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.conftest import FAST_PASSWORDS
from tests.integration.session_helpers import form, log_in, with_cookie
from tests.integration.xss_helpers import CONSOLE_PAGES, seed


class _Inline(HTMLParser):
    """What the CSP would refuse in a page: a script without ``src`` (a JSON data block aside), an ``on…`` handler, a ``style``
    attribute or element (attribute values are read as values, so escaped text cannot fool it)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        data_block = dict(attrs).get("type") == "application/json"  # data the page's script reads: never run
        if tag == "script" and "src" not in names and not data_block:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        self.found += [f"<{tag} {name}=…>" for name in names if name.startswith("on") or name == "style"]


def inline_parts(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


@pytest.fixture
def app_with(wiring, clock):
    made = []

    def make(**overrides):
        made.append(bootstrap(wiring.settings.with_overrides(**overrides), clock=clock, passwords=FAST_PASSWORDS))
        return create_app(wiring=made[-1])

    yield make
    for wired in made:
        wired.engine.dispose()


def attempt(browser: TestClient, username: str, password: str, **headers: str):
    return browser.post(
        "/login", data=form(browser, username=username, password=password), headers=headers, follow_redirects=False
    )


def alert_of(html: str) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', html)
    assert found, html[:2000]
    return found.group(1)


def test_throttled_logins_per_account_say_so_on_the_page_in_chinese_and_english(app_with, staff):
    app = app_with(login_account_limit="3/15 minutes")
    with TestClient(app, client=("198.51.100.1", 1)) as browser:
        assert [attempt(browser, "agent1", "wrong-pass").status_code for _ in range(3)] == [401] * 3
        zh = attempt(browser, "agent1", "correct-horse", **{"Accept-Language": "zh-CN"})
        assert zh.status_code == 429 and int(zh.headers["Retry-After"]) > 0
        assert re.fullmatch(r"登录失败次数过多，请 .+后再试", alert_of(zh.text)), alert_of(zh.text)
        assert 'name="username" value="agent1"' in zh.text  # the form is kept, not a bare error page
        en = attempt(browser, "agent1", "correct-horse", **{"Accept-Language": "en-GB,en;q=0.9"})
        assert en.status_code == 429 and alert_of(en.text).startswith("too many failed logins: try again in")
        assert "Log in" in en.text and "登录失败" not in en.text


def test_throttled_logins_per_address_say_so_on_the_page(app_with, staff):
    app = app_with(login_address_limit="3/15 minutes")
    with TestClient(app, client=("198.51.100.7", 1)) as office, TestClient(app, client=("198.51.100.8", 1)) as home:
        for name in ("nobody", "ghost", "agent9"):
            assert attempt(office, name, "wrong-pass").status_code == 401
        page = attempt(office, "pm1", "correct-horse")
        assert page.status_code == 429 and "登录失败次数过多" in alert_of(page.text)
        assert attempt(home, "pm1", "correct-horse").status_code == 303  # another address is not held


def test_a_password_reset_or_a_deactivation_sends_the_open_pages_to_the_login(client, staff):
    reset, gone = log_in(client, "agent1"), log_in(client, "tester1")
    for session in (reset, gone):
        assert client.get("/kb", headers=with_cookie(session), follow_redirects=False).status_code == 200
    assert client.post(
        "/api/v1/users/agent1/password", json={"password": "brand-new-pw"}, headers=staff["admin"]
    ).is_success
    assert client.post("/api/v1/users/tester1/deactivate", headers=staff["admin"]).is_success
    for session in (reset, gone):
        page = client.get("/improvements", headers=with_cookie(session), follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/improvements"
        htmx = client.get("/kb", headers={**with_cookie(session), "HX-Request": "true"}, follow_redirects=False)
        assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/login?next=/kb"


@pytest.mark.parametrize("secure", [False, True])
def test_the_session_cookie_is_httponly_lax_and_secure_when_configured(app_with, staff, secure):
    with TestClient(app_with(cookie_secure=secure), base_url="https://testserver") as browser:
        browser.get("/login")
        res = attempt(browser, "agent1", "correct-horse")
        assert res.status_code == 303
        cookies = res.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("faultdesk_session="))
        assert "HttpOnly" in session and "SameSite=lax" in session
        assert ("Secure" in session) is secure
        csrf = browser.get("/login", headers={"Cookie": ""}).headers.get("set-cookie", "")
        assert "faultdesk_csrf=" in csrf and "SameSite=strict" in csrf and ("Secure" in csrf) is secure


def test_the_setting_is_read_from_faultdesk_cookie_secure(monkeypatch):
    from faultdesk.config import Settings

    monkeypatch.setenv("FAULTDESK_COOKIE_SECURE", "true")
    assert Settings().cookie_secure is True
    monkeypatch.setenv("FAULTDESK_COOKIE_SECURE", "false")
    assert Settings().cookie_secure is False


def test_every_console_page_has_the_policy_and_no_inline_script_handler_or_style(client, staff):
    add_product(client.app.state.desk, "app", "App", [], actor=Actor.system())
    seeded = seed(client, staff["admin"], user_id=6, product="app")
    session = log_in(client, "admin1")
    checked = ["/login"]
    login = client.get("/login")
    pages = [
        (p, client.get(seeded.fill(p), headers={**with_cookie(session), "Accept": "text/html"})) for p in CONSOLE_PAGES
    ]
    for path, res in [("/login", login), *pages]:
        if res.status_code == 404:
            continue
        checked.append(path)
        assert res.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
        assert not inline_parts(res.text), (path, inline_parts(res.text))
    assert {"/login", "/", "/kb", "/kb/{article_id}", "/improvements?tab=all", "/releases"} <= set(checked)

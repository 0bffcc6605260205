"""The console's safety rails on both stores: CSRF on every state-changing request (a form or a
cookie-authenticated API call without the token is a 403), the security headers on every answer,
/docs served from local files, and the language each person chooses kept on their account."""

from __future__ import annotations

import re

from faultdesk.entrypoints.common.csrf import CSRF_COOKIE
from tests.conftest import a_report
from tests.integration.session_helpers import TEST_CSRF, form, log_in, with_cookie


def test_a_form_or_a_cookie_api_call_without_the_token_is_refused_with_403(client, staff):
    no_token = client.post("/login", data={"username": "agent1", "password": "correct-horse"})
    assert no_token.status_code == 403 and "安全令牌" in no_token.text
    client.cookies.set(CSRF_COOKIE, TEST_CSRF)
    wrong = client.post("/login", data={"username": "agent1", "password": "correct-horse", "csrf_token": "guess"})
    assert wrong.status_code == 403
    client.cookies.clear()
    session = log_in(client, "pm1")
    cookie_only = {"Cookie": with_cookie(session)["Cookie"]}
    body = {"channel": "web", "symptom": "首页白屏"}
    assert client.post("/api/v1/reports", json=body, headers=cookie_only).status_code == 403
    assert client.post("/api/v1/reports", json=body, headers=with_cookie(session)).status_code == 201
    assert client.get("/api/v1/me", headers=cookie_only).status_code == 200  # reading needs no token
    assert client.post("/logout", headers=cookie_only).status_code == 403  # not even logout
    assert client.post("/api/v1/reports", json=body, headers=staff["agent"]).status_code == 201  # bearer: no cookie
    assert client.post("/api/v1/reports", json=a_report()).status_code == 201  # the public: no credential


def test_every_answer_carries_a_policy_without_inline_scripts(client):
    for path in ("/login", "/api/v1/track/nothing", "/static/app.css", "/docs", "/no-such-page"):
        res = client.get(path, headers={"Accept": "text/html"})
        csp = res.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
        assert res.headers["x-content-type-options"] == "nosniff" and res.headers["referrer-policy"] == "no-referrer"
    page = client.get("/login").text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # every script is a file
    assert "/static/vendor/htmx/htmx.min.js" in page


def test_the_session_cookie_is_httponly_and_lax_and_the_csrf_cookie_strict(client, staff):
    client.get("/login")
    res = client.post("/login", data=form(client, username="agent1", password="correct-horse"), follow_redirects=False)
    cookies = res.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("faultdesk_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session


def test_docs_work_offline_from_the_vendored_swagger_ui(client):
    page = client.get("/docs").text
    assert "cdn" not in page.lower() and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/vendor/swagger-ui/swagger-ui.css").status_code == 200
    assert client.get("/static/js/docs.js").status_code == 200


def test_the_login_page_speaks_the_browsers_language_and_the_choice_is_kept_on_the_account(client, staff):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN"}).text
    session = log_in(client, "tester1")
    switched = client.post(
        "/language", data={"lang": "en", "csrf_token": TEST_CSRF}, headers=with_cookie(session), follow_redirects=False
    )
    assert switched.status_code == 303
    again = log_in(client, "tester1")  # a new session, a browser that asks for Chinese
    home = client.get("/", headers={**with_cookie(again), "Accept-Language": "zh-CN"})
    assert "Log out" in home.text and "退出" not in home.text


def test_a_page_that_does_not_exist_is_a_page_not_json(client, staff):
    session = log_in(client)
    res = client.get("/no-such-page", headers={**with_cookie(session), "Accept": "text/html"})
    assert res.status_code == 404 and "找不到页面" in res.text
    api = client.get("/api/v1/no-such", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "http_404"


def test_a_page_asked_for_without_a_session_goes_to_the_login_and_back(client, staff):
    res = client.get("/kb", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login?next=/kb"
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/login"
    back = client.post("/login", data=form(client, username="agent1", password="correct-horse", next="/kb"))
    assert back.url.path == "/kb"  # and back where the user was going
    away = client.post(
        "/login",
        data=form(client, username="agent1", password="correct-horse", next="//elsewhere.example/"),
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"  # never off this site


def test_a_refusal_names_the_role_and_the_permission_in_words(client, staff):
    path, body = "/api/v1/users/agent1/password", {"password": "a-new-long-password"}
    res = client.post(path, json=body, headers=staff["tester"])
    assert res.status_code == 403
    assert res.json()["error"]["message"] == "测试工程师无权管理用户"
    english = client.post(path, json=body, headers={**staff["tester"], "Accept-Language": "en"})
    assert english.json()["error"]["message"] == "a tester may not manage users"

"""Logging in through the web form and replaying a session cookie by hand."""

from __future__ import annotations

from typing import Any

from faultdesk.entrypoints.common.context import SESSION_COOKIE
from faultdesk.entrypoints.common.csrf import CSRF_COOKIE

TEST_CSRF = "test-csrf-token"  # what a page would have put in its forms and its cookie


def form(client, **fields: Any) -> dict[str, Any]:
    """A console form's fields with the CSRF token a page would carry (and its cookie in ``client``)."""
    token = client.cookies.get(CSRF_COOKIE)  # the one a page set, if the test opened one
    if token is None:
        token = TEST_CSRF
        client.cookies.set(CSRF_COOKIE, token)
    return {**fields, "csrf_token": token}


def log_in(client, username: str = "agent1", password: str = "correct-horse") -> str:
    res = client.post("/login", data=form(client, username=username, password=password), follow_redirects=False)
    assert res.status_code == 303, res.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    client.cookies.clear()  # every request below names its cookie itself
    return token


def with_cookie(token: str) -> dict[str, str]:
    """The headers a console page's script sends: the session and CSRF cookies and the token."""
    return {"Cookie": f"{SESSION_COOKIE}={token}; {CSRF_COOKIE}={TEST_CSRF}", "X-CSRF-Token": TEST_CSRF}


def refused_everywhere(client, token: str) -> bool:
    """401 on the API and a redirect to the login form on the web console."""
    api = client.get("/api/v1/me", headers=with_cookie(token))
    page = client.get("/", headers=with_cookie(token), follow_redirects=False)
    return api.status_code == 401 and page.status_code == 303 and page.headers["location"] == "/login"


def accepted(client, token: str) -> bool:
    return client.get("/api/v1/me", headers=with_cookie(token)).status_code == 200

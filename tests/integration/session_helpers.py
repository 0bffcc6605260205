"""Logging in through the web form and replaying a session cookie by hand."""

from __future__ import annotations

from faultdesk.entrypoints.common.context import SESSION_COOKIE


def log_in(client, username: str = "agent1", password: str = "correct-horse") -> str:
    res = client.post("/login", data={"username": username, "password": password}, follow_redirects=False)
    assert res.status_code == 303, res.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    client.cookies.clear()  # every request below names its cookie itself
    return token


def with_cookie(token: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={token}"}


def refused_everywhere(client, token: str) -> bool:
    """401 on the API and a redirect to the login form on the web console."""
    api = client.get("/api/v1/me", headers=with_cookie(token))
    page = client.get("/", headers=with_cookie(token), follow_redirects=False)
    return api.status_code == 401 and page.status_code == 303 and page.headers["location"] == "/login"


def accepted(client, token: str) -> bool:
    return client.get("/api/v1/me", headers=with_cookie(token)).status_code == 200

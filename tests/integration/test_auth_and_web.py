"""Staff sign-in: argon2 passwords, session cookies for the web, bearer tokens for the API."""

from __future__ import annotations

from sqlalchemy import select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.roles import Role
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_user
from tests.integration.session_helpers import form


def test_passwords_are_stored_as_argon2id_hashes(wiring):
    create_user(wiring.desk, "pm1", Role.PM, "correct-horse", actor=Actor.system())
    with wiring.engine.connect() as conn:
        stored = conn.execute(select(t.users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and "correct-horse" not in stored


def test_web_login_sets_a_session_that_the_api_accepts(client, wiring):
    create_user(wiring.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system(), display_name="王芳")
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    res = client.post("/login", data=form(client, username="agent1", password="correct-horse"), follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/"
    assert client.get("/api/v1/me").json() == {"id": 1, "username": "agent1", "role": "agent"}
    home = client.get("/")
    assert home.status_code == 200 and "暂无故障单" in home.text and "agent1" in home.text
    client.post("/logout", data=form(client))
    assert client.get("/api/v1/me").status_code == 401


def test_a_wrong_password_or_unknown_user_is_refused_alike(client, wiring):
    create_user(wiring.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system())
    wrong = client.post("/login", data=form(client, username="agent1", password="nope-nope"))
    unknown = client.post("/login", data=form(client, username="ghost", password="nope-nope"))
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert client.get("/api/v1/me").status_code == 401


def test_the_home_page_lists_registered_faults(client, staff):
    rid = client.post("/api/v1/reports", json={"channel": "web", "symptom": "首页轮播图错位"}).json()["report"]["id"]
    client.post("/api/v1/faults", json={"type_code": "03", "report_ids": [rid]}, headers=staff["agent"])
    client.post("/login", data=form(client, username="agent1", password="correct-horse"))
    home = client.get("/")
    assert "261125-03-001" in home.text and "首页轮播图错位" in home.text and "界面显示" in home.text


def test_health_answers_when_the_database_does(client, store):
    res = client.get("/healthz")
    assert res.status_code == 200 and res.json()["database"] == store.name


def test_health_says_503_when_the_database_is_gone(tmp_path):
    from fastapi.testclient import TestClient

    from faultdesk.config import Settings
    from faultdesk.entrypoints.api.app import create_app

    settings = Settings(
        home=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none", secret_key="k", run_worker=False
    )
    with TestClient(create_app(settings)) as c:
        res = c.get("/healthz")
    assert res.status_code == 503 and res.json()["status"] == "unavailable"


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/reports", "/api/v1/faults", "/api/v1/faults/{number}/timeline", "/api/v1/track/{token}"):
        assert path in paths

"""Web sessions live in the store: an old cookie opens nothing after logout, a password reset, a
deactivation or its idle timeout, on the API (401) and on the web pages (back to /login)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common.context import SESSION_COOKIE
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_user
from tests.integration.session_helpers import accepted, form, log_in, refused_everywhere, with_cookie


def agent(wiring) -> None:
    create_user(wiring.desk, "agent1", Role.AGENT, "correct-horse", actor=Actor.system())


def test_the_cookie_carries_only_a_random_token_and_the_store_only_its_digest(client, wiring):
    agent(wiring)
    first, second = log_in(client), log_in(client)
    assert first != second and "agent1" not in first and len(first) >= 32
    with wiring.engine.connect() as conn:
        ids = set(conn.execute(select(t.sessions.c.id)).scalars())
    assert ids == {wiring.desk.secrets.digest(first), wiring.desk.secrets.digest(second)}
    assert accepted(client, first) and accepted(client, second)


def test_an_old_cookie_replayed_after_logout_is_refused(client, wiring):
    agent(wiring)
    token, other = log_in(client), log_in(client)  # the same person on a second device
    res = client.post("/logout", headers=with_cookie(token), follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login"
    assert SESSION_COOKIE in res.headers["set-cookie"] and "Max-Age=0" in res.headers["set-cookie"]
    assert refused_everywhere(client, token)
    assert accepted(client, other)  # logout ends this session, not the person's others


def test_logging_in_again_ends_the_browsers_earlier_session(client, wiring):
    agent(wiring)
    earlier = log_in(client)
    res = client.post(
        "/login",
        data=form(client, username="agent1", password="correct-horse"),
        headers=with_cookie(earlier),
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert refused_everywhere(client, earlier)
    assert accepted(client, res.cookies.get(SESSION_COOKIE))


def test_a_made_up_or_tampered_cookie_opens_nothing(client, wiring):
    agent(wiring)
    token = log_in(client)
    assert refused_everywhere(client, "not-a-session")
    assert refused_everywhere(client, token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_session_unused_for_the_idle_timeout_ends(client, wiring, clock):
    agent(wiring)
    token = log_in(client)
    clock.advance(timedelta(hours=11, minutes=59))
    assert accepted(client, token)  # used: the idle timeout starts again from here
    clock.advance(timedelta(hours=11, minutes=59))
    assert accepted(client, token)
    clock.advance(timedelta(hours=12))
    assert refused_everywhere(client, token)


def test_a_session_never_used_again_ends_12_hours_after_login(client, wiring, clock):
    agent(wiring)
    token = log_in(client)
    clock.advance(timedelta(hours=12))
    assert refused_everywhere(client, token)


def test_a_session_ends_at_its_absolute_cap_however_busy(client, wiring, clock):
    agent(wiring)
    token = log_in(client)
    for _ in range(15):  # every 11 hours for 6 days 21 hours: never idle
        clock.advance(timedelta(hours=11))
        assert accepted(client, token)
    clock.advance(timedelta(hours=3))  # 7 days after login
    assert refused_everywhere(client, token)


def test_last_seen_is_recorded_at_most_once_a_minute(client, wiring, clock):
    agent(wiring)
    token = log_in(client)

    def last_seen():
        with wiring.engine.connect() as conn:
            return conn.execute(select(t.sessions.c.last_seen_at)).scalar_one()

    start = last_seen()
    clock.advance(timedelta(seconds=59))
    assert accepted(client, token) and accepted(client, token)
    assert last_seen() == start  # reads stay reads
    clock.advance(timedelta(seconds=1))
    assert accepted(client, token)
    assert last_seen() == start + timedelta(minutes=1)


def test_a_request_with_a_session_costs_one_indexed_read(client, wiring, clock):
    agent(wiring)
    token = log_in(client)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(wiring.engine, "before_cursor_execute", seen)
    try:
        assert accepted(client, token)
    finally:
        event.remove(wiring.engine, "before_cursor_execute", seen)
    touching = [s for s in statements if "sessions" in s]
    assert len(touching) == 1 and touching[0].startswith("SELECT")
    assert "WHERE sessions.id =" in touching[0]  # the primary key
    assert not any(s.startswith("SELECT") and "users" in s and s not in touching for s in statements)


def test_the_settings_choose_the_idle_timeout_and_the_cap(wiring, clock):
    from fastapi.testclient import TestClient

    from faultdesk.bootstrap import bootstrap
    from faultdesk.entrypoints.api.app import create_app
    from tests.conftest import FAST_PASSWORDS

    short = wiring.settings.with_overrides(session_idle_timeout_s=600, session_lifetime_s=3600)
    wired = bootstrap(short, clock=clock, passwords=FAST_PASSWORDS)
    agent(wired)
    try:
        with TestClient(create_app(wiring=wired)) as client:
            token = log_in(client)
            clock.advance(timedelta(minutes=9))
            assert accepted(client, token)
            clock.advance(timedelta(minutes=10))
            assert refused_everywhere(client, token)
            token = log_in(client)
            assert (
                "Max-Age=3600"
                in client.post(
                    "/login", data=form(client, username="agent1", password="correct-horse"), follow_redirects=False
                ).headers["set-cookie"]
            )
            for _ in range(6):
                clock.advance(timedelta(minutes=9))
                assert accepted(client, token)
            clock.advance(timedelta(minutes=6))
            assert refused_everywhere(client, token)
    finally:
        wired.engine.dispose()


def test_a_public_report_sent_with_an_ended_session_is_taken_as_public(client, wiring):
    from tests.conftest import a_report

    agent(wiring)
    token = log_in(client)
    client.post("/logout", headers=with_cookie(token))
    res = client.post("/api/v1/reports", json=a_report(), headers=with_cookie(token))
    assert res.status_code == 201 and res.json()["candidates"] is None  # no staff extras


def test_the_worker_forgets_sessions_past_their_cap(client, wiring, clock):
    from faultdesk.entrypoints.worker import tick

    agent(wiring)
    log_in(client)
    clock.advance(timedelta(days=6))
    log_in(client)
    clock.advance(timedelta(days=1, seconds=1))
    assert tick(wiring.desk, {})["sessions_forgotten"] == 1
    with wiring.engine.connect() as conn:
        assert len(conn.execute(select(t.sessions.c.id)).all()) == 1

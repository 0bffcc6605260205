"""Staff accounts: who may manage them, password resets and deactivations (each one transaction,
audited, ending every session of the user), from the API and the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.errors import NotPermitted, RuleViolation
from faultdesk.domain.roles import Role
from faultdesk.services import access, catalogue, staff
from faultdesk.services.records import Actor
from tests.conftest import NOW
from tests.integration.session_helpers import accepted, form, log_in, refused_everywhere


@pytest.mark.parametrize("name", ["system", "public", "System"])
def test_the_audit_trails_own_labels_are_not_usernames(wiring, name):
    with pytest.raises(RuleViolation, match="reserved"):
        staff.create_user(wiring.desk, name, Role.ADMIN, "correct-horse", actor=Actor.system())


def test_a_user_named_system_has_only_their_roles_rights(wiring):
    """Accounts made before the name was reserved: the name alone must not make the server."""
    with wiring.engine.begin() as conn:
        conn.execute(
            insert(t.users).values(
                username="system", display_name="s", role="agent", password_hash="x", active=True, created_at=NOW
            )
        )
    staff.create_user(wiring.desk, "admin1", Role.ADMIN, "correct-horse", actor=Actor.system())
    token = staff.create_token(wiring.desk, "system", actor=Actor.system())
    impostor = access.authenticate_token(wiring.desk, token)
    assert impostor.label == "system" and not impostor.is_system
    with pytest.raises(NotPermitted):
        staff.create_user(wiring.desk, "mole", Role.ADMIN, "correct-horse", actor=impostor)
    with pytest.raises(NotPermitted):
        staff.create_token(wiring.desk, "admin1", actor=impostor)
    with pytest.raises(NotPermitted):
        staff.set_user_timezone(wiring.desk, "admin1", "Europe/Berlin", actor=impostor)
    with pytest.raises(NotPermitted):
        catalogue.add_product(wiring.desk, "app", "App", [], actor=impostor)


def audit_actions(wiring, user_id: int) -> list[tuple[str, dict | None]]:
    a = t.audit_events.c
    with wiring.engine.connect() as conn:
        rows = conn.execute(
            select(a.action, a.after, a.actor_label)
            .where(a.entity == "user", a.entity_id == str(user_id))
            .order_by(a.id)
        )
        return [(action, after, by) for action, after, by in rows]


def test_a_password_reset_ends_every_session_of_the_user_at_once(client, wiring, staff):
    agent_id = access.authenticate_token(wiring.desk, staff["agent"]["Authorization"][7:]).id
    laptop, phone = log_in(client, "agent1"), log_in(client, "agent1")
    other = log_in(client, "pm1")
    res = client.post("/api/v1/users/agent1/password", json={"password": "brand-new-pw"}, headers=staff["admin"])
    assert res.status_code == 200, res.text
    assert res.json() == {"username": "agent1", "active": True, "sessions_ended": 2}
    assert refused_everywhere(client, laptop) and refused_everywhere(client, phone)
    assert accepted(client, other)  # someone else's session is theirs
    old = client.post("/login", data=form(client, username="agent1", password="correct-horse"), follow_redirects=False)
    assert old.status_code == 401
    assert accepted(client, log_in(client, "agent1", "brand-new-pw"))
    assert client.get("/api/v1/me", headers=staff["agent"]).status_code == 200  # API tokens are not passwords
    assert audit_actions(wiring, agent_id)[-1] == ("password_reset", {"sessions_ended": 2}, "admin1")


def test_a_deactivation_ends_the_users_sessions_tokens_and_logins(client, wiring, staff):
    agent_id = access.authenticate_token(wiring.desk, staff["agent"]["Authorization"][7:]).id
    session = log_in(client, "agent1")
    res = client.post("/api/v1/users/agent1/deactivate", headers=staff["admin"])
    assert res.status_code == 200, res.text
    assert res.json() == {"username": "agent1", "active": False, "sessions_ended": 1}
    assert refused_everywhere(client, session)
    assert client.get("/api/v1/me", headers=staff["agent"]).status_code == 401  # the bearer token too
    login = client.post(
        "/login", data=form(client, username="agent1", password="correct-horse"), follow_redirects=False
    )
    assert login.status_code == 401
    assert audit_actions(wiring, agent_id)[-1] == (
        "deactivated",
        {"active": False, "sessions_ended": 1},
        "admin1",
    )


def test_only_an_admin_manages_accounts_and_bad_requests_say_why(client, staff):
    body = {"password": "brand-new-pw"}
    for role in ("agent", "pm", "tech_lead", "developer", "tester"):
        assert client.post("/api/v1/users/agent1/password", json=body, headers=staff[role]).status_code == 403
        assert client.post("/api/v1/users/agent1/deactivate", headers=staff[role]).status_code == 403
    assert client.post("/api/v1/users/agent1/deactivate").status_code == 401
    missing = client.post("/api/v1/users/ghost/password", json=body, headers=staff["admin"])
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/users/ghost/deactivate", headers=staff["admin"]).status_code == 404
    short = client.post("/api/v1/users/agent1/password", json={"password": "short"}, headers=staff["admin"])
    assert short.status_code == 422 and short.json()["error"]["fields"][0]["field"] == "password"
    assert "8" in short.json()["error"]["fields"][0]["reason"]
    no_body = client.post("/api/v1/users/agent1/password", headers=staff["admin"])
    assert no_body.status_code == 422
    extra = client.post("/api/v1/users/agent1/password", json={**body, "role": "admin"}, headers=staff["admin"])
    assert extra.status_code == 422
    myself = client.post("/api/v1/users/admin1/deactivate", headers={**staff["admin"], "Accept-Language": "en"})
    assert myself.status_code == 422 and "your own account" in myself.json()["error"]["message"]
    assert client.get("/api/v1/me", headers=staff["agent"]).status_code == 200  # nothing was changed

"""Staff accounts: who may manage them, password resets and deactivations (each one transaction,
audited, ending every session of the user), from the API and the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from faultdesk.adapters.db import tables as t
from faultdesk.domain.errors import NotPermitted, RuleViolation
from faultdesk.domain.roles import Role
from faultdesk.services import access, catalogue, staff
from faultdesk.services.records import Actor
from tests.conftest import NOW


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

"""Staff users and their API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.domain.roles import Role
from faultdesk.services.records import (
    UserRecord,
)


def user_of(row: Any) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        password_hash=row.password_hash,
        active=row.active,
        created_at=row.created_at,
        email=row.email,
        timezone=row.timezone,
        language=row.language,
    )


# The users' columns in UserRecord's order, for lists read by position: the queue pages list every
# user on each view (the owner filter, the owners' names), and read by name (``user_of``) a row
# cost 12 µs, the 300 users of a desk 4 ms of the page's 30.
_USERS = select(*[t.users.c[f.name] for f in fields(UserRecord)])
_ROLES = {role.value: role for role in Role}


def _users(rows: Iterable[Any]) -> list[UserRecord]:
    """Users from rows of ``_USERS``."""
    return [UserRecord(uid, username, name, _ROLES[role], *rest) for uid, username, name, role, *rest in rows]


class SqlUsers:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        username: str,
        display_name: str,
        role: Role,
        password_hash: str,
        at: datetime,
        *,
        email: str | None = None,
        timezone: str | None = None,
    ) -> int:
        stmt = insert(t.users).values(
            username=username,
            display_name=display_name,
            role=role.value,
            password_hash=password_hash,
            email=email,
            timezone=timezone,
            active=True,
            created_at=at,
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def by_username(self, username: str) -> UserRecord | None:
        row = self.conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return user_of(row) if row else None

    def by_id(self, user_id: int) -> UserRecord | None:
        row = self.conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
        return user_of(row) if row else None

    def emails(self, user_ids: list[int]) -> dict[int, str]:
        """User id -> e-mail address, for those of the users who have one."""
        if not user_ids:
            return {}
        u = t.users.c
        rows = self.conn.execute(select(u.id, u.email).where(among(self.conn, u.id, user_ids), u.email.is_not(None)))
        return {user_id: email for user_id, email in rows}

    def add_token(self, user_id: int, name: str, token_hash: str, at: datetime) -> int:
        stmt = insert(t.api_tokens).values(user_id=user_id, name=name, token_hash=token_hash, created_at=at)
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def by_token_hash(self, token_hash: str) -> UserRecord | None:
        stmt = (
            select(t.users)
            .join(t.api_tokens, t.api_tokens.c.user_id == t.users.c.id)
            .where(t.api_tokens.c.token_hash == token_hash, t.api_tokens.c.revoked_at.is_(None))
        )
        row = self.conn.execute(stmt).first()
        return user_of(row) if row else None

    def all(self) -> list[UserRecord]:
        return _users(self.conn.execute(_USERS.order_by(t.users.c.id)).all())

    def with_role(self, role: Role) -> list[UserRecord]:
        rows = self.conn.execute(
            _USERS.where(t.users.c.role == role.value, t.users.c.active.is_(True)).order_by(t.users.c.id)
        )
        return _users(rows.all())

    def set_timezone(self, user_id: int, zone: str | None) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(timezone=zone))

    def set_language(self, user_id: int, language: str | None) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(language=language))

    def set_password(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(password_hash=password_hash))

    def deactivate(self, user_id: int) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(active=False))

    def set_role(self, user_id: int, role: Role) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(role=role.value))

    def set_email(self, user_id: int, email: str | None) -> None:
        self.conn.execute(update(t.users).where(t.users.c.id == user_id).values(email=email))

    def zones(self) -> dict[int, str]:
        """User id -> the zone of their working hours, for those who set one (staff: a small table)."""
        u = t.users.c
        return {
            user_id: zone
            for user_id, zone in self.conn.execute(select(u.id, u.timezone).where(u.timezone.is_not(None)))
        }

"""Web sessions: one row per login, read by primary key on every request that carries the cookie."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.user_store import user_of
from faultdesk.domain.sessions import StaffSession
from faultdesk.services.records import UserRecord

s = t.sessions.c
# The session and its user in one indexed read: the price of every request with a cookie.
_LOOKUP = select(
    t.users,
    s.id.label("session_id"),
    s.created_at.label("session_created_at"),
    s.last_seen_at,
    s.expires_at,
    s.ended_at,
).join(t.users, t.users.c.id == s.user_id)


class SqlSessions:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, session: StaffSession) -> None:
        self.conn.execute(insert(t.sessions), asdict(session))  # the columns are the dataclass's fields

    def with_user(self, session_id: str) -> tuple[StaffSession, UserRecord] | None:
        row = self.conn.execute(_LOOKUP.where(s.id == session_id)).first()
        if row is None:
            return None
        session = StaffSession(
            row.session_id, row.id, row.session_created_at, row.last_seen_at, row.expires_at, row.ended_at
        )
        return session, user_of(row)

    def touch(self, session_id: str, at: datetime) -> None:
        self.conn.execute(update(t.sessions).where(s.id == session_id, s.ended_at.is_(None)).values(last_seen_at=at))

    def end(self, session_id: str, at: datetime) -> bool:
        done = self.conn.execute(update(t.sessions).where(s.id == session_id, s.ended_at.is_(None)).values(ended_at=at))
        return bool(done.rowcount)

    def end_all_of(self, user_id: int, at: datetime) -> int:
        done = self.conn.execute(
            update(t.sessions).where(s.user_id == user_id, s.ended_at.is_(None), s.expires_at > at).values(ended_at=at)
        )
        return int(done.rowcount)

    def forget_expired_before(self, cutoff: datetime) -> int:
        return int(self.conn.execute(delete(t.sessions).where(s.expires_at < cutoff)).rowcount)

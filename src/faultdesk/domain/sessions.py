"""Web sessions of staff: when one is still good (issue 10.5: a session ends when it is ended).

The cookie carries a random token; the store keeps its digest with the times below. A session is
good until it is ended (logout, a password reset, a deactivation), until it has been idle too
long, or until its absolute cap, whichever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class StaffSession:
    id: str  # the digest of the cookie's token; the token itself is never stored
    user_id: int
    created_at: datetime
    last_seen_at: datetime  # recorded at most once per SessionPolicy.touch_every
    expires_at: datetime  # the absolute cap, fixed when the session starts
    ended_at: datetime | None = None


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(hours=12)
    lifetime: timedelta = timedelta(days=7)
    # Recording every request's time would turn each read into a write; a minute's slack on a
    # 12-hour idle timeout is not worth that.
    touch_every: timedelta = timedelta(minutes=1)

    def start(self, session_id: str, user_id: int, now: datetime) -> StaffSession:
        return StaffSession(session_id, user_id, now, now, now + self.lifetime)

    def is_live(self, session: StaffSession, now: datetime) -> bool:
        """Not ended, not past its cap, and used within the idle timeout (from the last recorded use)."""
        return session.ended_at is None and now < session.expires_at and now < session.last_seen_at + self.idle

    def needs_touch(self, session: StaffSession, now: datetime) -> bool:
        return now - session.last_seen_at >= self.touch_every

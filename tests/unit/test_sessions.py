"""When a web session is still good: the pure rules behind the store's rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from faultdesk.domain.sessions import SessionPolicy

START = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
POLICY = SessionPolicy(idle=timedelta(hours=12), lifetime=timedelta(days=7))


def test_a_new_session_is_live_until_idle_for_the_timeout():
    session = POLICY.start("digest", 1, START)
    assert session.expires_at == START + timedelta(days=7)
    assert POLICY.is_live(session, START + timedelta(hours=12) - timedelta(microseconds=1))
    assert not POLICY.is_live(session, START + timedelta(hours=12))


def test_an_ended_session_is_never_live_again():
    session = POLICY.start("digest", 1, START)
    ended = replace(session, ended_at=START)
    assert not POLICY.is_live(ended, START)


def test_last_seen_is_recorded_once_a_minute_at_most():
    session = POLICY.start("digest", 1, START)
    assert not POLICY.needs_touch(session, START + timedelta(seconds=59))
    assert POLICY.needs_touch(session, START + timedelta(minutes=1))


@given(seen_after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_no_use_keeps_a_session_past_its_cap(seen_after):
    session = POLICY.start("digest", 1, START)
    seen = replace(session, last_seen_at=START + seen_after)
    assert not POLICY.is_live(seen, START + timedelta(days=7))

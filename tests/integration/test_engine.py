"""The engines' waits: the defaults production has always had, and the settings that change them."""

from __future__ import annotations

from sqlalchemy import text

from faultdesk.bootstrap import engine_for
from faultdesk.config import Settings
from tests.conftest import TEST_SECRET


def _waits(settings: Settings) -> tuple[float, int | None]:
    engine = engine_for(settings)
    try:
        with engine.connect() as conn:
            busy = conn.execute(text("PRAGMA busy_timeout")).scalar() if engine.dialect.name == "sqlite" else None
        return engine.pool.timeout(), busy
    finally:
        engine.dispose()


def test_by_default_a_request_waits_as_long_as_it_always_did(store, tmp_path, monkeypatch):
    monkeypatch.delenv("FAULTDESK_DB_POOL_TIMEOUT_S", raising=False)
    monkeypatch.delenv("FAULTDESK_SQLITE_BUSY_TIMEOUT_S", raising=False)
    settings = Settings(home=tmp_path, database_url=store.url, secret_key=TEST_SECRET)
    assert _waits(settings) == ((60, 30_000) if store.name == "sqlite" else (30, None))


def test_the_waits_come_from_the_environment(store, tmp_path, monkeypatch):
    monkeypatch.setenv("FAULTDESK_DB_POOL_TIMEOUT_S", "600")
    monkeypatch.setenv("FAULTDESK_SQLITE_BUSY_TIMEOUT_S", "90.5")
    settings = Settings(home=tmp_path, database_url=store.url, secret_key=TEST_SECRET)
    assert _waits(settings) == ((600, 90_500) if store.name == "sqlite" else (600, None))

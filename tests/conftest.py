"""Shared fixtures: a migrated store per test (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.migrate import upgrade
from faultdesk.adapters.db.tables import metadata
from faultdesk.adapters.passwords import Argon2Passwords
from faultdesk.bootstrap import Wiring, bootstrap
from faultdesk.config import Settings
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.roles import Role
from faultdesk.services.catalogue import ensure_default_fault_types
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor
from faultdesk.services.staff import create_token, create_user

PG_URL = os.environ.get("FAULTDESK_TEST_POSTGRES_URL", "")
STORES = ["sqlite", "postgresql"]
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TEST_SECRET = "test-secret-key-not-for-production"
# Cheap Argon2 parameters: the tests check behaviour, not brute-force resistance.
FAST_PASSWORDS = Argon2Passwords(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))
from tests.waits import JOB_S as JOB_S  # noqa: E402  (re-exported: integration tests import them from here)
from tests.waits import WAIT_S as WAIT_S  # noqa: E402

PATIENT = {"db_pool_timeout_s": JOB_S, "sqlite_busy_timeout_s": JOB_S}  # Settings fields
PATIENT_ENV = {"FAULTDESK_DB_POOL_TIMEOUT_S": str(JOB_S), "FAULTDESK_SQLITE_BUSY_TIMEOUT_S": str(JOB_S)}

# Property tests check properties, not speed: no per-example deadline, no "too slow" health check.
hypothesis_settings.register_profile("faultdesk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("faultdesk")


def admin_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of this run's own (per xdist worker), migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("FAULTDESK_TEST_POSTGRES_URL is not set")
    name = f"fdtest_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"
    server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url(PG_URL, name)
    engine = make_engine(url, pool_size=4)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test copies the file, which is far faster than migrating again."""
    path = tmp_path_factory.mktemp("template") / "faultdesk.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@dataclass
class Store:
    name: str
    url: str


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database")
        engine = make_engine(url, pool_size=1)
        _truncate_all(engine)
        engine.dispose()
        return Store("postgresql", url)
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "faultdesk.db"
    shutil.copy(template, path)
    return Store("sqlite", f"sqlite:///{path}")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def settings(store: Store, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=store.url,
        secret_key=TEST_SECRET,
        run_worker=False,
        db_pool_size=8,
        intake_rate_limit="100000/minute",  # the rate-limit tests set their own
        track_rate_limit="100000/minute",
        **PATIENT,  # many threads may queue for the pool (SQLite: one connection)
    )


@pytest.fixture
def wiring(settings: Settings, clock: FixedClock) -> Iterator[Wiring]:
    wired = bootstrap(settings, clock=clock, passwords=FAST_PASSWORDS)
    ensure_default_fault_types(wired.desk)
    yield wired
    wired.engine.dispose()


@pytest.fixture
def client(wiring: Wiring) -> Iterator[TestClient]:
    from faultdesk.entrypoints.api.app import create_app

    with TestClient(create_app(wiring=wiring), client=("203.0.113.7", 50000)) as c:
        yield c


def create_staff(desk: Desk, *, emails: bool = False) -> dict[str, dict[str, str]]:
    """One user per role (ids 1…6 in Role order); role name -> Authorization header."""
    headers: dict[str, dict[str, str]] = {}
    for role in Role:
        name = f"{role.value}1"
        email = f"{name}@corp.example" if emails else None
        create_user(desk, name, role, "correct-horse", actor=Actor.system(), email=email)
        headers[role.value] = {"Authorization": f"Bearer {create_token(desk, name, actor=Actor.system())}"}
    return headers


@pytest.fixture
def staff(wiring: Wiring) -> dict[str, dict[str, str]]:
    return create_staff(wiring.desk)


def a_report(**overrides: object) -> dict[str, object]:
    """A valid public report body; override any field."""
    body: dict[str, object] = {
        "channel": "app",
        "symptom": "登录页面点击忘记密码后提示系统繁忙",
        "scenario": "用户在登录页面‘忘记密码’时提交手机号",
        "occurred_at": "2026-11-25T09:40:00+08:00",
        "device_model": "iPhone 13",
        "os_version": "iOS 16.4",
        "app_version": "5.2.1",
        "network": "wifi",
        "reporter_id": "u-1001",
        "contact": "13812341234",
    }
    body.update(overrides)
    return body

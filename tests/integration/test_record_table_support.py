"""A second, empty desk on the same kind of store, for the import round trip."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.migrate import upgrade
from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.roles import Role
from faultdesk.services.catalogue import ensure_default_fault_types
from faultdesk.services.records import Actor
from tests.conftest import FAST_PASSWORDS, NOW, PATIENT, PG_URL, TEST_SECRET, admin_url, create_staff


@contextmanager
def empty_desk_client(request: Any, tmp_path: Any) -> Iterator[tuple[TestClient, dict[str, Any], Any]]:
    store = request.getfixturevalue("store")
    server = None
    name = ""
    if store.name == "postgresql":
        name = f"fdtest_rt_{uuid.uuid4().hex[:8]}"
        server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = admin_url(PG_URL, name)
        engine = make_engine(url, pool_size=2)
        upgrade(engine)
        engine.dispose()
    else:
        path = tmp_path / "empty" / "faultdesk.db"
        path.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    settings = Settings(
        home=tmp_path / "empty", database_url=url, secret_key=TEST_SECRET, run_worker=False, db_pool_size=4, **PATIENT
    )
    wiring = bootstrap(settings, clock=FixedClock(NOW), passwords=FAST_PASSWORDS)
    ensure_default_fault_types(wiring.desk)
    from faultdesk.entrypoints.api.app import create_app

    try:
        with TestClient(create_app(wiring=wiring)) as client:
            staff: dict[str, Any] = dict(create_staff(wiring.desk))
            staff["admin_actor"] = Actor(len(Role), "admin1", Role.ADMIN)
            yield client, staff, wiring
    finally:
        wiring.engine.dispose()
        if server is not None:
            with server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()

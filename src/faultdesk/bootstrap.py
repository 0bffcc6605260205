"""The one place where settings become engines, clocks and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from faultdesk.adapters.crypto import Vault
from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.uow import SqlUnitOfWork
from faultdesk.adapters.passwords import Argon2Passwords
from faultdesk.adapters.templating import JinjaRenderer
from faultdesk.config import Settings
from faultdesk.domain.clock import Clock, SystemClock
from faultdesk.domain.severity import SeverityRules
from faultdesk.services.desk import Desk
from faultdesk.services.ports import PasswordHasher


@dataclass(frozen=True)
class Wiring:
    settings: Settings
    engine: Engine
    desk: Desk


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    passwords: PasswordHasher | None = None,
) -> Wiring:
    engine = engine or make_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
    desk = Desk(
        uow=partial(SqlUnitOfWork, engine),
        clock=clock or SystemClock(),
        secrets=Vault(settings.resolved_secret_key()),
        passwords=passwords or Argon2Passwords(),
        numbers=settings.numbers,
        timezone=settings.timezone,
        renderer=JinjaRenderer(),
        severity_rules=SeverityRules(settings.severity_p1_users, settings.severity_p0_users),
    )
    return Wiring(settings, engine, desk)

"""A Desk on the in-memory twins (services/memory.py): no database, a FixedClock, the real
templates. Each test gets an empty store, the default fault types and one user per role."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from faultdesk.adapters.rate_limits import MemoryRateCounters
from faultdesk.adapters.templating import JinjaRenderer
from faultdesk.domain.calendars import BusinessCalendar
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.numbering import NumberFormat
from faultdesk.domain.reports import Channel, Network, ReportDraft
from faultdesk.domain.roles import Role
from faultdesk.services.access import actor_of
from faultdesk.services.catalogue import ensure_default_fault_types
from faultdesk.services.desk import Desk
from faultdesk.services.faults import FaultRegistration, RegisteredFault, register_fault
from faultdesk.services.intake import SubmittedReport, submit_report
from faultdesk.services.known_issue_index import KnownIssueLibrary
from faultdesk.services.memory import MemoryDatabase, MemorySecrets, PlainPasswords, memory_index_factory
from faultdesk.services.records import Actor, StoredMessage
from faultdesk.services.staff import create_user

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 on a Wednesday in Shanghai
RENDERER = JinjaRenderer()  # one for the run: it compiles each template once


def memory_desk(
    clock: FixedClock, db: MemoryDatabase, *, channels: frozenset[str] = frozenset({"email", "webhook"})
) -> Desk:
    """The Desk bootstrap would build, on the twins: Shanghai 09:00-18:00 without holidays, the
    default number format, clock policy and severity rules."""
    desk = Desk(
        uow=db.unit_of_work,
        clock=clock,
        secrets=MemorySecrets(),
        passwords=PlainPasswords(),
        numbers=NumberFormat.parse("default"),
        timezone="Asia/Shanghai",
        renderer=RENDERER,
        known_issues=KnownIssueLibrary(memory_index_factory),
        rate_counters=MemoryRateCounters(clock),  # the real in-process counters: plain Python
        calendar=BusinessCalendar("Asia/Shanghai"),
        channels=channels,
    )
    ensure_default_fault_types(desk)
    return desk


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def db() -> MemoryDatabase:
    return MemoryDatabase()


@pytest.fixture
def desk(db: MemoryDatabase, clock: FixedClock) -> Desk:
    return memory_desk(clock, db)


@pytest.fixture
def staff(desk: Desk) -> dict[Role, Actor]:
    """One user per role, ids 1…6 in Role order, each with an e-mail address."""
    return {
        role: actor_of(
            create_user(
                desk, f"{role.value}1", role, "correct-horse", actor=Actor.system(), email=f"{role.value}1@corp.example"
            )
        )
        for role in Role
    }


def a_draft(**overrides: Any) -> ReportDraft:
    """A valid report from the app (tests/conftest.py's a_report, as the services take it)."""
    fields: dict[str, Any] = {
        "channel": Channel.APP,
        "symptom": "登录页面点击忘记密码后提示系统繁忙",
        "scenario": "用户在登录页面‘忘记密码’时提交手机号",
        "occurred_at": datetime(2026, 11, 25, 1, 40, tzinfo=UTC),
        "device_model": "iPhone 13",
        "os_version": "iOS 16.4",
        "app_version": "5.2.1",
        "network": Network.WIFI,
        "reporter_id": "u-1001",
        "contact": "13812341234",
    }
    return ReportDraft(**(fields | overrides))


def submit(desk: Desk, **overrides: Any) -> SubmittedReport:
    return submit_report(desk, a_draft(**overrides), actor=Actor.public(), client="203.0.113.7")


def register(desk: Desk, by: Actor, *report_ids: int, type_code: str = "01") -> RegisteredFault:
    return register_fault(desk, FaultRegistration(type_code=type_code, report_ids=list(report_ids)), actor=by)


def outbox(desk: Desk, kind: str | None = None) -> list[StoredMessage]:
    """Every committed message in the outbox (of one kind), in the order queued."""
    with desk.uow() as uow:
        queued = uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=10_000)
    return [m for m in queued if kind is None or m.kind == kind]

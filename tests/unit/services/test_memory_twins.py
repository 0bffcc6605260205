"""The in-memory twins keep the SQL stores' promises that use cases rely on (services/memory.py)."""

from __future__ import annotations

import ast
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.matching.documents import DocumentKind, MatchDocument
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, start_clock
from faultdesk.services.memory import (
    IntegrityError,
    MemoryAttachmentFiles,
    MemoryDatabase,
    MemoryKnownIssueSearch,
    MemoryNotifier,
    MemorySecrets,
    MemoryUnitOfWork,
    PlainPasswords,
)
from faultdesk.services.ports import (
    AttachmentFiles,
    ChannelDown,
    DeliveryFailed,
    Envelope,
    KnownIssueSearch,
    Notifier,
    PasswordHasher,
    Secrets,
    UnitOfWork,
)
from faultdesk.services.records import FaultChanges, FaultFilter, Outgoing, ReportFilter
from tests.unit.services.conftest import NOW, register, submit

UNIT_TESTS = Path(__file__).parents[1]


def test_the_twins_are_the_ports():
    uow: UnitOfWork = MemoryUnitOfWork(MemoryDatabase())
    notifier: Notifier = MemoryNotifier()
    search: KnownIssueSearch = MemoryKnownIssueSearch()
    secrets: Secrets = MemorySecrets()
    passwords: PasswordHasher = PlainPasswords()
    files: AttachmentFiles = MemoryAttachmentFiles()
    assert all((uow, notifier, search, secrets, passwords, files))


def test_unit_tests_need_no_database():
    """STYLE C12: nothing under tests/unit imports sqlalchemy, the SQL adapters or the DB fixtures."""
    banned = ("sqlalchemy", "faultdesk.adapters.db", "faultdesk.bootstrap", "tests.conftest", "tests.integration")
    offenders = []
    for path in sorted(UNIT_TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(banned)]
    assert offenders == []


# ---- the unit of work -------------------------------------------------------------------------


def test_commit_keeps_the_changes_and_leaving_without_it_undoes_them(desk):
    with desk.uow() as uow:
        uow.catalogue.add_product("pay", "支付")
        uow.commit()
        uow.catalogue.add_product("login", "登录")  # after the commit: needs another one
    with desk.uow() as uow:
        uow.catalogue.add_product("search", "搜索")
    with pytest.raises(RuntimeError), desk.uow() as uow:
        uow.catalogue.add_product("cart", "购物车")
        raise RuntimeError("the use case failed")
    with desk.uow() as uow:
        assert [uow.catalogue.product_id(c) for c in ("pay", "login", "search", "cart")] == [1, None, None, None]


def test_a_unit_of_work_sees_what_was_committed_before_it_began_and_its_own_changes(db):
    with db.unit_of_work() as early, db.unit_of_work() as late:
        early.catalogue.add_product("pay", "支付")
        assert late.catalogue.product_id("pay") is None  # not committed
        early.commit()
        assert late.catalogue.product_id("pay") is None  # began before the commit
        late.catalogue.add_product("login", "登录")
        late.commit()  # publishes its own rows only: the other's commit stays
    with db.unit_of_work() as uow:
        assert (uow.catalogue.product_id("pay"), uow.catalogue.product_id("login")) == (1, 2)


def test_unique_keys_are_kept(desk, staff):
    with desk.uow() as uow, pytest.raises(IntegrityError):
        uow.users.add("agent1", "again", Role.AGENT, "x", NOW)


def test_a_serial_counts_up_per_scope_and_a_rolled_back_one_is_given_back(desk):
    with desk.uow() as uow:
        assert [uow.faults.next_serial("2026-11-25"), uow.faults.next_serial("2026-11-25")] == [1, 2]
        assert uow.faults.next_serial("2026-11-26") == 1
        uow.commit()
    with desk.uow() as uow:
        assert uow.faults.next_serial("2026-11-25") == 3  # not committed
    with desk.uow() as uow:
        assert uow.faults.next_serial("2026-11-25") == 3


# ---- reports and faults -------------------------------------------------------------------------


def test_link_takes_only_free_reports_and_unlink_only_from_their_fault(desk, staff):
    linked, free = submit(desk).report.id, submit(desk, reporter_id="u-2").report.id
    fault = register(desk, staff[Role.AGENT], linked).fault
    other = register(desk, staff[Role.AGENT], submit(desk, reporter_id="u-3").report.id).fault
    with desk.uow() as uow:
        assert uow.reports.link([linked, free, free, 999], other.id) == 1
        assert uow.reports.faults_of([linked, free]) == {linked: fault.id, free: other.id}
        assert not uow.reports.unlink(linked, other.id) and uow.reports.unlink(free, other.id)
        assert uow.reports.move(fault.id, other.id) == 1
        assert [r.fault_number for r in uow.reports.for_fault(other.id)] == [other.number, other.number]


def test_update_is_a_compare_and_set_on_the_version(desk, staff):
    fault = register(desk, staff[Role.AGENT], submit(desk).report.id).fault
    later = NOW + timedelta(minutes=5)
    with desk.uow() as uow:
        changes = FaultChanges(status=FaultStatus.TRIAGING, severity=Severity.P0, related_fault_id=None)
        assert uow.faults.update(fault.id, 1, changes, later)
        stale = FaultChanges(status=FaultStatus.LOCATING)
        assert not uow.faults.update(fault.id, 1, stale, later)  # someone else got there first
        seen = uow.faults.by_id(fault.id)
    assert seen is not None and (seen.status, seen.severity, seen.version, seen.updated_at) == (
        FaultStatus.TRIAGING,
        Severity.P0,
        2,
        later,
    )


def test_fault_and_report_lists_filter_sort_and_page_as_the_sql_stores_do(desk, staff):
    for i in range(5):
        channel = Channel.WEB if i % 2 else Channel.APP
        register(desk, staff[Role.AGENT], submit(desk, channel=channel, reporter_id=f"u-{i}").report.id)
    register(desk, staff[Role.AGENT], submit(desk, channel=Channel.HOTLINE).report.id, type_code="03")
    submit(desk, channel=Channel.MINI_PROGRAM)  # waiting at intake
    with desk.uow() as uow:
        page = uow.faults.search(FaultFilter(sort="number", page=2, page_size=2))
        assert page.total == 6 and [f.number for f in page.items] == ["261125-01-003", "261125-01-004"]
        assert [f.id for f in uow.faults.search(FaultFilter()).items] == [6, 5, 4, 3, 2, 1]  # newest first, by id
        assert uow.faults.search(FaultFilter(type_code=["03"])).total == 1
        assert uow.faults.search(FaultFilter(channel=[Channel.WEB, Channel.HOTLINE])).total == 3
        assert uow.faults.search(FaultFilter(status=[FaultStatus.ARCHIVED])).total == 0
        assert uow.faults.search(FaultFilter(registered_to=NOW)).total == 0
        waiting = uow.reports.search(ReportFilter(linked=False))
        assert waiting.total == 1 and waiting.items[0].channel is Channel.MINI_PROGRAM
        assert uow.reports.search(ReportFilter(type_code=["03"])).total == 1
        assert uow.reports.search(ReportFilter(sort="-id", page_size=1)).items[0].id == 7
        with pytest.raises(KeyError):
            uow.faults.search(FaultFilter(sort="colour"))


# ---- clocks and the outbox ----------------------------------------------------------------------


def test_due_clocks_are_claimed_soonest_first_up_to_the_limit(desk):
    with desk.uow() as uow:
        for minutes in (30, 10, 20):
            clock = start_clock(
                ClockKind.VERIFY, None, NOW, desk.policy, desk.calendar, due_at=NOW + timedelta(minutes=minutes)
            )
            uow.clocks.add(replace(clock, next_fire_at=clock.due_at))
        assert [r.id for r in uow.clocks.claim_due(NOW + timedelta(minutes=25), limit=5)] == [2, 3]
        assert [r.id for r in uow.clocks.claim_due(NOW + timedelta(hours=1), limit=2)] == [2, 3]
        assert uow.clocks.claim_due(NOW, limit=5) == []


def test_a_claimed_message_is_leased_until_its_lease_runs_out(desk):
    with desk.uow() as uow:
        uow.outbox.add(Outgoing("m-1", "email", "user:1", "progress", "s", "b", NOW, NOW))
        [claimed] = uow.outbox.claim(NOW, timedelta(seconds=60), limit=10)
        assert (claimed.state, claimed.attempts) == ("sending", 0)
        assert uow.outbox.claim(NOW + timedelta(seconds=59), timedelta(seconds=60), limit=10) == []
        [again] = uow.outbox.claim(NOW + timedelta(seconds=61), timedelta(seconds=60), limit=10)  # its worker died
        assert again.message_id == "m-1"
        uow.outbox.mark_failed(again.id, "x" * 600, None)
        [dead] = uow.outbox.listing(state="dead", report_id=None, fault_id=None, limit=10)
        assert (dead.attempts, len(dead.last_error or "")) == (1, 500)
        assert uow.outbox.retry(dead.id, NOW) and not uow.outbox.retry(dead.id, NOW)
        with pytest.raises(ValueError, match="naive"):
            uow.outbox.add(Outgoing("m-2", "email", "user:1", "progress", "s", "b", NOW.replace(tzinfo=None), NOW))


# ---- the other ports -----------------------------------------------------------------------------


def test_the_notifier_fails_as_it_is_told_and_records_the_rest():
    notifier = MemoryNotifier()
    notifier.fail("bad@example.com")
    with pytest.raises(DeliveryFailed) as refused:
        notifier.send(Envelope("m1", "progress", "bad@example.com", "s", "b"))
    assert not isinstance(refused.value, ChannelDown)
    notifier.send(Envelope("m2", "progress", "good@example.com", "s", "b"))
    notifier.fail(error=ChannelDown)
    with pytest.raises(ChannelDown):
        notifier.send(Envelope("m3", "progress", "good@example.com", "s", "b"))
    assert [e.message_id for e in notifier.sent] == ["m2"] and len(notifier.tried) == 3


def test_the_known_issue_search_ranks_similar_documents_and_skips_the_query_itself():
    index = MemoryKnownIssueSearch()
    index.add(MatchDocument("1", DocumentKind.REPORT, "支付页面点击付款后闪退"))
    index.add(MatchDocument("2", DocumentKind.REPORT, "登录页面忘记密码提示系统繁忙"))
    index.add(MatchDocument("3", DocumentKind.KB, "登录时提示系统繁忙"))
    stored = MatchDocument("2", DocumentKind.REPORT, "忘记密码时提示系统繁忙")  # a stored report, checked again
    assert [h.key for h in index.search(stored, now=NOW)] == [(DocumentKind.KB, "3")]
    new = replace(stored, id="new")
    assert [h.key for h in index.search(new, now=NOW)] == [(DocumentKind.REPORT, "2"), (DocumentKind.KB, "3")]
    assert [h.key for h in index.search(new, now=NOW, kinds=[DocumentKind.KB])] == [(DocumentKind.KB, "3")]
    assert index.search(new, now=NOW, exclude=[(DocumentKind.KB, "3"), (DocumentKind.REPORT, "2")]) == []
    assert index.remove((DocumentKind.KB, "3")) and (DocumentKind.KB, "3") not in index
    assert not index.remove((DocumentKind.KB, "3"))


def test_test_secrets_round_trip_and_never_hold_the_clear_text():
    secrets = MemorySecrets()
    cipher = secrets.encrypt("13812341234")
    assert b"13812341234" not in cipher and secrets.decrypt(cipher) == "13812341234"
    with pytest.raises(ValueError):
        secrets.decrypt(b"gAAAA-a-fernet-token")
    assert secrets.new_token("fdt_") != secrets.new_token("fdt_")
    passwords = PlainPasswords()
    assert passwords.verify(passwords.hash("correct-horse"), "correct-horse")
    assert not passwords.verify(passwords.hash("correct-horse"), "wrong")

"""The known-issue index kept between runs (KnownIssueLibrary.save / its restore on the first
catch-up), on the in-memory twins: a restart reads only what changed since the snapshot, and a
snapshot that does not describe this database as it is now is not used."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from faultdesk.domain.clock import FixedClock
from faultdesk.domain.matching.documents import DocumentKey
from faultdesk.domain.roles import Role
from faultdesk.services import known_issues
from faultdesk.services.desk import Desk
from faultdesk.services.known_issue_index import KnownIssueLibrary
from faultdesk.services.memory import MemoryDatabase, MemoryKnownIssueSearch, memory_index_factory
from faultdesk.services.ports import IndexSnapshot
from tests.unit.services.conftest import memory_desk, register, submit


class KeptSnapshots:
    """An IndexSnapshots that keeps the last one in memory."""

    def __init__(self) -> None:
        self.kept: IndexSnapshot | None = None

    def save(self, snapshot: IndexSnapshot) -> None:
        self.kept = snapshot

    def load(self) -> IndexSnapshot | None:
        return self.kept


def library(snapshots: KeptSnapshots, analysed: list[DocumentKey]) -> KnownIssueLibrary:
    """A library whose indexes note each document they analyse."""

    def factory(terms: list[str], groups: list[list[str]]) -> MemoryKnownIssueSearch:
        index = memory_index_factory(terms, groups)
        add = index.add
        index.add = lambda doc: (analysed.append(doc.key), add(doc))[1]  # type: ignore[method-assign]
        return index

    return KnownIssueLibrary(factory, snapshots)


def documents(desk: Desk) -> set[DocumentKey]:
    with desk.uow() as uow:
        index = desk.known_issues.catch_up(uow)
    assert isinstance(index, MemoryKnownIssueSearch)
    return set(index.documents)


def test_a_restart_reads_only_what_changed_since_the_snapshot(desk, staff):
    kept, first = KeptSnapshots(), []
    desk = dataclasses.replace(desk, known_issues=library(kept, first))
    register(desk, staff[Role.AGENT], submit(desk).report.id)
    before = documents(desk)
    assert len(first) == len(before) >= 2  # the fault and its report, analysed once
    assert desk.known_issues.save() and not desk.known_issues.save()  # nothing new: not written again

    again: list[DocumentKey] = []
    restarted = dataclasses.replace(desk, known_issues=library(kept, again))
    assert documents(restarted) == before and again == []  # restored, nothing analysed again
    register(restarted, staff[Role.AGENT], submit(restarted, symptom="支付页面白屏").report.id)
    after = documents(restarted)
    assert len(after) == len(before) + 2 and len(again) == 2  # only the new fault and its report
    assert restarted.known_issues.save()


def test_a_snapshot_of_another_database_or_other_synonyms_is_not_used(desk, staff, clock):
    kept = KeptSnapshots()
    desk = dataclasses.replace(desk, known_issues=library(kept, []))
    register(desk, staff[Role.AGENT], submit(desk).report.id)
    documents(desk)
    assert desk.known_issues.save()

    # Another database (say, an older backup restored): its last fault is not the one the snapshot read.
    other_clock = FixedClock(clock.now() + timedelta(hours=1))
    other = memory_desk(other_clock, MemoryDatabase())
    other = dataclasses.replace(other, known_issues=library(kept, analysed := []))
    agent = {u.role: u for u in _staff(other)}[Role.AGENT]
    register(other, agent, submit(other, symptom="支付页面白屏").report.id)
    assert documents(other) and len(analysed) == len(documents(other))  # built from its own data

    # New synonyms analyse text otherwise: the snapshot is not used either.
    same = dataclasses.replace(desk, known_issues=library(kept, rebuilt := []))
    known_issues.set_synonyms(desk, [["闪退", "崩溃"]], actor=staff[Role.ADMIN])
    assert documents(same) and rebuilt  # analysed again


def _staff(desk: Desk):  # type: ignore[no-untyped-def]
    from faultdesk.services.access import actor_of
    from faultdesk.services.records import Actor
    from faultdesk.services.staff import create_user

    return [actor_of(create_user(desk, f"{r.value}1", r, "correct-horse", actor=Actor.system())) for r in Role]


def test_a_snapshot_made_with_other_product_terms_is_not_used(desk, staff):
    from faultdesk.services.catalogue import add_product
    from faultdesk.services.records import Actor

    kept = KeptSnapshots()
    desk = dataclasses.replace(desk, known_issues=library(kept, []))
    register(desk, staff[Role.AGENT], submit(desk).report.id)
    documents(desk)
    assert desk.known_issues.save()
    add_product(desk, "wallet", "钱包", [], actor=Actor.system())  # a new term for the segmenter
    restarted = dataclasses.replace(desk, known_issues=library(kept, analysed := []))
    assert documents(restarted) and len(analysed) == len(documents(restarted))

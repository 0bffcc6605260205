"""This process's known-issue index and how far it has read the database (the index itself is an
adapter behind the KnownIssueSearch port). Kept apart from the use cases in known_issues.py so
the Desk can hold it without importing them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from faultdesk.domain.matching.documents import DocumentKind, MatchDocument, fault_document, report_document
from faultdesk.services.ports import IndexFactory, IndexSnapshot, IndexSnapshots, KnownIssueSearch, UnitOfWork
from faultdesk.services.records import (
    FaultView,
    KbArticleRecord,
    ReleaseRecord,
    ReportView,
)

BATCH = 5000


def fault_doc(f: FaultView) -> MatchDocument:
    """A stored fault for the index: what it is known as (its known-issue note, and the public
    title and status written for end users, in their words) is its body."""
    return fault_document(f, body=" ".join(x for x in (f.known_issue, f.public_title, f.public_status) if x))


def kb_doc(a: KbArticleRecord) -> MatchDocument:
    return MatchDocument(
        id=str(a.id),
        kind=DocumentKind.KB,
        title=a.title,
        scenario=a.symptoms,
        body=" ".join(x for x in (a.cause, a.fix, a.workaround or "", " ".join(a.tags)) if x),
        created_at=a.created_at,
    )


def release_doc(r: ReleaseRecord) -> MatchDocument:
    return MatchDocument(
        id=str(r.id),
        kind=DocumentKind.RELEASE,
        title=f"{r.product_code} {r.version} {r.known_issues or ''}".strip(),
        body=r.notes,
        app_version=r.version,
        product=r.product_code,
        created_at=r.created_at,
    )


@dataclass
class KnownIssueLibrary:
    """The process's index and how far it has read the database."""

    factory: IndexFactory
    snapshots: IndexSnapshots | None = None  # kept between runs: a restart reads only what changed
    index: KnownIssueSearch | None = None
    synonyms_version: int = -1
    product_terms: list[str] = field(default_factory=list)
    indexed_reports: set[int] = field(default_factory=set)
    last_kb: int = 0
    last_release: int = 0
    faults_after: tuple[datetime, int] | None = None  # the last fault read: (updated_at, id)
    saved_after: tuple[tuple[datetime, int] | None, int, int, int] | None = None  # what the last save held
    lock: threading.Lock = field(default_factory=threading.Lock)

    def catch_up(self, uow: UnitOfWork) -> KnownIssueSearch:
        with self.lock:
            groups, version = uow.knowledge.synonyms()
            if self.index is None and self.snapshots is not None:
                self._restore(uow, self.snapshots.load(), version)
            if self.index is None or version != self.synonyms_version:
                # Synonyms change how text is indexed: a new list means a fresh index.
                self.product_terms = uow.knowledge.product_terms()
                self.index = self.factory(self.product_terms, groups)
                self.synonyms_version = version
                self.last_kb = self.last_release = 0
                self.indexed_reports = set()
                self.faults_after = None
            index = self.index
            initial = self.faults_after is None
            while True:
                faults = uow.faults.changed_since(self.faults_after, BATCH)
                for f in faults:
                    index.add(fault_doc(f))  # replaces the earlier version of the fault
                    if not initial:  # linking a report changes its fault: its new reports show up here
                        new = [i for i in uow.reports.ids_of_fault(f.id) if i not in self.indexed_reports]
                        self._add_reports(index, uow.reports.by_ids(new))
                if not faults:
                    break
                self.faults_after = (faults[-1].updated_at, faults[-1].id)
                if len(faults) < BATCH:
                    break
            if initial:  # a fresh index reads every linked report once, in id order
                last = 0
                while batch := uow.reports.since(last, BATCH):
                    self._add_reports(index, [r for r in batch if r.fault_id is not None])
                    last = batch[-1].id
            # Every batch until none is left: one batch a call would leave a large knowledge base
            # being read 5,000 articles a search, for as many searches as it takes.
            while articles := uow.knowledge.articles_since(self.last_kb, BATCH):
                for article in articles:
                    index.add(kb_doc(article))
                self.last_kb = articles[-1].id
            while releases := uow.knowledge.releases_since(self.last_release, BATCH):
                for release in releases:
                    index.add(release_doc(release))
                self.last_release = releases[-1].id
            return index

    def _restore(self, uow: UnitOfWork, snapshot: IndexSnapshot | None, version: int) -> None:
        """The index as a snapshot left it, when it was built from this database as it is now:
        the same synonyms and product terms, and the last fault it read still as it read it (a
        database restored from a backup, or another one, has not)."""
        if snapshot is None or snapshot.synonyms_version != version:
            return
        last = uow.faults.by_id(snapshot.faults_after[1])
        if last is None or last.updated_at != snapshot.faults_after[0]:
            return
        terms = uow.knowledge.product_terms()
        if terms != snapshot.product_terms:
            return
        groups, _ = uow.knowledge.synonyms()
        index = self.factory(terms, groups)
        index.load_state(snapshot.index_state)
        self.index, self.synonyms_version, self.product_terms = index, version, terms
        self.faults_after, self.last_kb, self.last_release = (
            snapshot.faults_after,
            snapshot.last_kb,
            snapshot.last_release,
        )
        self.indexed_reports = set(snapshot.indexed_reports)
        self.saved_after = self._watermarks()

    def _watermarks(self) -> tuple[tuple[datetime, int] | None, int, int, int]:
        return (self.faults_after, self.last_kb, self.last_release, len(self.indexed_reports))

    def save(self) -> bool:
        """Keep the index for the next run, if it read anything since the last save (the worker
        does, now and then, and the server as it stops). Answers whether it wrote."""
        with self.lock:
            if self.snapshots is None or self.index is None or self.faults_after is None:
                return False
            if self._watermarks() == self.saved_after:
                return False
            snapshot = IndexSnapshot(
                synonyms_version=self.synonyms_version,
                product_terms=list(self.product_terms),
                faults_after=self.faults_after,
                last_kb=self.last_kb,
                last_release=self.last_release,
                indexed_reports=frozenset(self.indexed_reports),
                index_state=self.index.copy_state(),
            )
            self.saved_after = self._watermarks()
        self.snapshots.save(snapshot)  # pickled and written outside the lock: searches go on
        return True

    def _add_reports(self, index: KnownIssueSearch, reports: list[ReportView]) -> None:
        for r in reports:
            index.add(report_document(r))
            self.indexed_reports.add(r.id)

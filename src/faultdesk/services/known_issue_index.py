"""This process's known-issue index and how far it has read the database (the index itself is an
adapter behind the KnownIssueSearch port). Kept apart from the use cases in known_issues.py so
the Desk can hold it without importing them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from faultdesk.domain.matching.documents import DocumentKind, MatchDocument, fault_document, report_document
from faultdesk.services.ports import IndexFactory, KnownIssueSearch, UnitOfWork
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
    index: KnownIssueSearch | None = None
    synonyms_version: int = -1
    indexed_reports: set[int] = field(default_factory=set)
    last_kb: int = 0
    last_release: int = 0
    faults_after: tuple[datetime, int] | None = None  # the last fault read: (updated_at, id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def catch_up(self, uow: UnitOfWork) -> KnownIssueSearch:
        with self.lock:
            groups, version = uow.knowledge.synonyms()
            if self.index is None or version != self.synonyms_version:
                # Synonyms change how text is indexed: a new list means a fresh index.
                self.index = self.factory(uow.knowledge.product_terms(), groups)
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

    def _add_reports(self, index: KnownIssueSearch, reports: list[ReportView]) -> None:
        for r in reports:
            index.add(report_document(r))
            self.indexed_reports.add(r.id)

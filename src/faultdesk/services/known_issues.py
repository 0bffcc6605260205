"""Known-issue matching (stage 2's "is this a known or recurring fault?"), answered at intake.

Each process keeps an in-memory index of faults, the reports linked to them, knowledge-base
articles and release notes, and catches up from the database before every search (changed
faults by ``updated_at`` with their newly linked reports, new articles and releases by id): a
report counts as soon as it is committed to a fault, several API processes stay consistent, and
a restart rebuilds from the database. Reports still waiting at intake are not indexed — they are
no known issue yet — so intake does not pay for indexing; a report being matched is added for
the length of its search only. Hits on reports and
articles are mapped to their faults; each candidate carries a confidence (its lexical score
over the query's score against itself) and the reasons: matching terms and fields.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import Conflict, NotFound, RuleViolation
from faultdesk.domain.matching.candidates import MatchCandidate
from faultdesk.domain.matching.documents import (
    DocumentKind,
    MatchDocument,
    MatchField,
    report_document,
)
from faultdesk.domain.roles import Permission
from faultdesk.services import promises
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import (
    Actor,
    AuditEvent,
    FaultFilter,
    FaultView,
    ReleaseRecord,
    ReportView,
)


@dataclass(frozen=True)
class Candidate:
    kind: str  # fault / kb / release
    fault_number: str | None
    title: str
    state: str | None
    confidence: float  # 0–1: the candidate's lexical score over the query's against itself
    terms: list[str]
    fields: list[str]
    reasons: list[str]
    via: str  # what matched: "fault", "report 12", "kb 3", "release 5"
    fault_id: int | None = None


def candidates_for(desk: Desk, uow: UnitOfWork, report: ReportView, *, k: int = 5) -> list[Candidate]:
    """The best known issues for a stored report, best first (one entry per fault)."""
    hits, self_score = search(desk, uow, report_document(report))
    if not hits:
        return []
    report_ids = [int(h.id) for h in hits if h.kind is DocumentKind.REPORT]
    report_fault = uow.reports.faults_of(report_ids)
    kb = {a.id: a for a in uow.knowledge.articles_by_ids([int(h.id) for h in hits if h.kind is DocumentKind.KB])}
    releases = {
        r.id: r for r in uow.knowledge.releases_by_ids([int(h.id) for h in hits if h.kind is DocumentKind.RELEASE])
    }
    fault_ids: set[int] = {int(h.id) for h in hits if h.kind is DocumentKind.FAULT} | set(report_fault.values())
    faults = {f.id: f for f in uow.faults.by_ids(sorted(fault_ids))}
    by_number = {f.number: f for f in faults.values()}
    best: dict[str, Candidate] = {}
    for hit in hits:
        terms = [m.term for m in hit.score.matches[:8]]
        fields = sorted({f.value for m in hit.score.matches for f in m.fields})
        score = confidence(hit, self_score)
        if score <= 0:
            continue  # only the device or version matched: not evidence of the same fault
        fault: FaultView | None = None
        kind, title, via = hit.kind.value, "", f"{hit.kind.value} {hit.id}"
        if hit.kind is DocumentKind.FAULT:
            fault, via = faults.get(int(hit.id)), "fault"
        elif hit.kind is DocumentKind.REPORT:
            fault_id = report_fault.get(int(hit.id))
            if fault_id is None:
                continue  # an earlier report still waiting at intake: not a known issue yet
            fault = faults.get(fault_id)
        elif hit.kind is DocumentKind.KB:
            article = kb.get(int(hit.id))
            if article is None:
                continue
            fault = by_number.get(article.fault_number or "") or None
            title = article.title
        elif hit.kind is DocumentKind.RELEASE:
            release = releases.get(int(hit.id))
            if release is None:
                continue
            title = f"{release.product_code} {release.version}: {release.known_issues or release.notes[:80]}"
        if fault is not None:
            while fault.merged_into and fault.merged_into in by_number:
                fault = by_number[fault.merged_into]
            kind, title = "fault", fault.title
        key = fault.number if fault else f"{kind}:{hit.id}"
        if key in best and best[key].confidence >= score:
            continue
        best[key] = Candidate(
            kind=kind,
            fault_number=fault.number if fault else None,
            title=title or (fault.title if fault else str(hit.id)),
            state=fault.status.value if fault else None,
            confidence=score,
            terms=terms,
            fields=fields,
            reasons=hit.score.reasons(),
            via=via,
            fault_id=fault.id if fault else None,
        )
    return sorted(best.values(), key=lambda c: -c.confidence)[:k]


def search(desk: Desk, uow: UnitOfWork, query: MatchDocument) -> tuple[list[MatchCandidate], float]:
    """The index's hits for a query document, and the query's content score against itself (what
    a hit's confidence is measured by: ``confidence(hit, self_score)``)."""
    index = desk.known_issues.catch_up(uow)
    passing = query.key not in index  # a waiting report, or typed text: in the index only for this search
    if passing:
        index.add(query)
    try:
        hits = index.search(query, now=desk.clock.now(), k=40)  # its own key is excluded by the index
        # Confidence compares what the report *says* (title, scenario, description), not the phone
        # it was sent from: device and version fields match between unrelated reports all the time.
        # The report's score against itself: the indexed report found by a copy under another id.
        probe = replace(query, id="self-probe")
        own = [h for h in index.search(probe, now=desk.clock.now(), k=5, kinds=[query.kind]) if h.key == query.key]
    finally:
        if passing:
            index.remove(query.key)
    if not hits:
        return [], 0.0
    return hits, _content(own[0]) if own else max(_content(h) for h in hits)


def confidence(hit: MatchCandidate, self_score: float) -> float:
    return round(min(1.0, _content(hit) / self_score) if self_score else 0.0, 3)


_CONTENT_FIELDS = {MatchField.TITLE, MatchField.SCENARIO, MatchField.BODY}


def _content(hit: MatchCandidate) -> float:
    return sum(m.contribution for m in hit.score.matches if _CONTENT_FIELDS.intersection(m.fields))


def report_candidates(desk: Desk, report_id: int, *, actor: Actor, k: int = 5) -> list[Candidate]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        report = uow.reports.get(report_id)
        if report is None:
            raise NotFound(f"no report {report_id}", f"反馈 {report_id} 不存在")
        return candidates_for(desk, uow, report, k=k)


def auto_link_new_reports(desk: Desk, *, limit: int = 50) -> int:
    """Worker job: link waiting reports whose best match is an open fault above the threshold
    (audited as the system; undo by unlinking). Returns how many were linked.

    Each report is matched in a short transaction of its own and the links are written in a
    last one: on SQLite every transaction holds the one writer, so a long matching pass would
    stall intake.
    """
    from faultdesk.services import impact

    with desk.uow() as uow:
        waiting = uow.reports.unmatched(limit)
        anything_open = (
            bool(waiting) and uow.faults.search(FaultFilter(status=list(lc.OPEN_STATES), page_size=1)).total > 0
        )
    if not waiting:
        return 0
    chosen: list[tuple[ReportView, Candidate]] = []
    for report in waiting if anything_open else []:
        with desk.uow() as uow:
            best = next((c for c in candidates_for(desk, uow, report, k=3) if c.fault_id and c.state in _OPEN), None)
        if best is not None and best.confidence >= desk.auto_link_confidence:
            chosen.append((report, best))
    now = desk.clock.now()
    linked = 0
    with desk.uow() as uow:
        touched: set[int] = set()
        for report, best in chosen:
            assert best.fault_id is not None
            if uow.reports.link([report.id], best.fault_id) != 1:
                continue  # an agent linked it meanwhile
            touched.add(best.fault_id)
            linked += 1
            uow.audit.record(
                AuditEvent(
                    now,
                    Actor.system(),
                    "report",
                    str(report.id),
                    "auto_linked",
                    fault_id=best.fault_id,
                    before={"fault": None},
                    after={"fault": best.fault_number, "confidence": best.confidence, "terms": best.terms},
                )
            )
        for fault_id in touched:
            impact.recount(desk, uow, fault_id, now)
        uow.reports.mark_matched([r.id for r in waiting], now)
        uow.commit()
    return linked


_OPEN = {s.value for s in lc.OPEN_STATES}
_CLOSED_DONE = {lc.S.RESOLVED.value, lc.S.ARCHIVED.value}


def recurrence_of(desk: Desk, uow: UnitOfWork, reports: list[ReportView]) -> Candidate | None:
    """A resolved or archived fault this new fault repeats (复发), if the match is confident."""
    for report in reports[:3]:
        for c in candidates_for(desk, uow, report, k=5):
            if c.state in _CLOSED_DONE and c.confidence >= desk.auto_link_confidence:
                return c
    return None


def add_release(
    desk: Desk, product: str, version: str, released_on: date, notes: str, known_issues: str | None, *, actor: Actor
) -> ReleaseRecord:
    require(actor, Permission.MANAGE_CATALOGUE)
    now = desk.clock.now()
    with desk.uow() as uow:
        note = promises.ReleaseNote(product, version, released_on, notes, known_issues)
        release_id = promises.record_release(desk, uow, note, actor, now)  # the P2 promises kept
        if release_id is None:
            raise Conflict("this product already has that version", "该产品已有此版本")
        [record] = uow.knowledge.releases_by_ids([release_id])
        uow.commit()
    return record


def set_synonyms(desk: Desk, groups: list[list[str]], *, actor: Actor) -> int:
    """Replace the synonym list; every process rebuilds its index on its next search."""
    require(actor, Permission.MANAGE_CATALOGUE)
    cleaned = [[w.strip() for w in g if w.strip()] for g in groups]
    if any(len(g) < 2 for g in cleaned):
        raise RuleViolation.one("groups", "each group needs two or more words", "每组至少两个词")
    now = desk.clock.now()
    with desk.uow() as uow:
        version = uow.knowledge.set_synonyms(cleaned, now)
        uow.audit.record(AuditEvent(now, actor, "synonyms", "1", "replaced", after={"groups": cleaned}))
        uow.commit()
    return version


def synonyms(desk: Desk, *, actor: Actor) -> list[list[str]]:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.knowledge.synonyms()[0]

"""Public known issues and deflection on the report form (issue 12.2).

An agent, PM or admin marks a fault public with a title and status written for end users
(``publish`` / ``withdraw``, audited). While a reporter types the symptom, ``suggestions`` asks the
known-issue index (the same search as staff's candidates) and answers the public faults and the
knowledge-base articles it finds — public words only: a fault's internal title never leaves here.
"这就是我遇到的问题" files the report through the intake service as following the fault (``join``,
in intake's transaction): linked, counted in the fault's affected users, its updates sent to the
reporter too. Suggestions shown and followed are counted with their time (``deflection_counts``).

Knowledge-base articles are the staff's (cause and fix written for engineers; ``/kb`` is behind
the login), so the form shows an article's title, symptoms and workaround only, without a link,
and only when the fault it came from is public: an agent chose to speak of that problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import STATUS_WORDS, FaultStatus
from faultdesk.domain.matching.documents import DocumentKind, MatchDocument
from faultdesk.domain.public_issues import (
    SUGGEST_MAX_CHARS,
    SUGGEST_MIN_CHARS,
    followable,
    public_words,
    publishable,
)
from faultdesk.domain.roles import Permission
from faultdesk.services import clocks, impact, known_issues, promises
from faultdesk.services.access import fault_by_number, require
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, DeflectionEvent, FaultChanges, FaultView, ReportView

SHOWN, FOLLOWED = "shown", "followed"
MIN_CONFIDENCE = 0.2  # below it a suggestion is more noise than help
MAX_ISSUES, MAX_ARTICLES = 3, 3


# ---- staff: marking a fault public --------------------------------------------------------------


def publish(
    desk: Desk, number: str, title: str | None, status: str | None, *, actor: Actor, if_match: int | None = None
) -> FaultView:
    """Make the fault a public known issue, or change its public words (audited)."""
    require(actor, Permission.PUBLISH_KNOWN_ISSUE)
    words = public_words(title, status)
    return _set(desk, number, words.title, words.status, actor=actor, if_match=if_match, action="published")


def withdraw(desk: Desk, number: str, *, actor: Actor, if_match: int | None = None) -> FaultView:
    """The fault is internal again: the form stops suggesting it (its followers stay linked)."""
    require(actor, Permission.PUBLISH_KNOWN_ISSUE)
    return _set(desk, number, None, None, actor=actor, if_match=if_match, action="unpublished")


def _set(
    desk: Desk, number: str, title: str | None, status: str | None, *, actor: Actor, if_match: int | None, action: str
) -> FaultView:
    now = desk.clock.now()
    with desk.uow() as uow:
        view = fault_by_number(uow, number, if_match=if_match)
        if title is not None and view.status is FaultStatus.DUPLICATE:
            raise Conflict(
                f"fault {number} was merged into {view.merged_into}: publish that one",
                f"故障单 {number} 已合并到 {view.merged_into}，请公开该故障单",
            )
        if title is not None and not publishable(view.status):
            zh, en = STATUS_WORDS[view.status]
            raise Conflict(
                f"fault {number} was closed without a fix ({en}): there is no known issue to publish",
                f"故障单 {number} 未经修复即已关闭（{zh}），没有可公开的已知问题",
            )
        if (view.public_title, view.public_status) == (title, status):
            return view  # nothing to change: no audit event, no new version
        if not uow.faults.update(view.id, view.version, FaultChanges(public_title=title, public_status=status), now):
            raise Conflict("the fault changed meanwhile: reload and retry", "故障单已被他人修改，请刷新后重试")
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "fault",
                number,
                action,
                fault_id=view.id,
                before={"public_title": view.public_title, "public_status": view.public_status},
                after={"public_title": title, "public_status": status},
            )
        )
        fresh = uow.faults.by_id(view.id)
        assert fresh is not None
        uow.commit()
    return fresh


# ---- the report form: suggestions ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicIssue:
    """A public known issue as a reporter sees it: public words, the number to follow it by."""

    key: str  # "f{id}": what the form says it has counted already
    number: str
    title: str
    status_text: str
    status: FaultStatus


@dataclass(frozen=True)
class PublicArticle:
    key: str  # "k{id}"
    title: str
    symptoms: str
    workaround: str | None


@dataclass(frozen=True)
class Suggestions:
    issues: list[PublicIssue]
    articles: list[PublicArticle]

    @property
    def empty(self) -> bool:
        return not self.issues and not self.articles


NONE = Suggestions([], [])


def _followable(fault: FaultView) -> bool:
    return followable(fault.status, public=fault.is_public, waiting_release=fault.waiting_release)


def suggestions(desk: Desk, text: str, *, counted: frozenset[str] = frozenset()) -> Suggestions:
    """What the report form suggests for the symptom typed so far (from its third character).
    Each suggestion shown is counted once per form: ``counted`` holds the keys the form has had."""
    text = text.strip()[:SUGGEST_MAX_CHARS]
    if len(text) < SUGGEST_MIN_CHARS:
        return NONE
    now = desk.clock.now()
    query = MatchDocument(id="deflection", kind=DocumentKind.REPORT, title=text, created_at=now)
    with desk.uow() as uow:
        hits, self_score = known_issues.search(desk, uow, query)
        hits = [h for h in hits if known_issues.confidence(h, self_score) >= MIN_CONFIDENCE]
        if not hits:
            return NONE
        report_fault = uow.reports.faults_of([int(h.id) for h in hits if h.kind is DocumentKind.REPORT])
        articles = {
            a.id: a for a in uow.knowledge.articles_by_ids([int(h.id) for h in hits if h.kind is DocumentKind.KB])
        }
        fault_ids = {int(h.id) for h in hits if h.kind is DocumentKind.FAULT} | set(report_fault.values())
        faults = {f.id: f for f in uow.faults.by_ids(sorted(fault_ids))}
        numbers = {a.fault_number for a in articles.values() if a.fault_number} - {f.number for f in faults.values()}
        by_number = {f.number: f for f in faults.values()} | {n: f for n in numbers if (f := uow.faults.by_number(n))}
        issues: dict[int, PublicIssue] = {}
        shown: dict[int, PublicArticle] = {}
        for hit in hits:  # best first
            fault: FaultView | None = None
            if hit.kind is DocumentKind.FAULT:
                fault = faults.get(int(hit.id))
            elif hit.kind is DocumentKind.REPORT and (fault_id := report_fault.get(int(hit.id))):
                fault = faults.get(fault_id)
            elif hit.kind is DocumentKind.KB and (article := articles.get(int(hit.id))):
                source = by_number.get(article.fault_number or "")
                if source is not None and source.is_public and len(shown) < MAX_ARTICLES:
                    shown.setdefault(
                        article.id, PublicArticle(f"k{article.id}", article.title, article.symptoms, article.workaround)
                    )
                continue
            fault = _survivor(uow, fault)
            if fault is not None and _followable(fault) and fault.id not in issues and len(issues) < MAX_ISSUES:
                assert fault.public_title is not None and fault.public_status is not None
                issues[fault.id] = PublicIssue(
                    f"f{fault.id}", fault.number, fault.public_title, fault.public_status, fault.status
                )
        found = Suggestions(list(issues.values()), list(shown.values()))
        events = [
            DeflectionEvent(SHOWN, now, fault_id=fault_id)
            for fault_id, issue in issues.items()
            if issue.key not in counted
        ] + [DeflectionEvent(SHOWN, now, article_id=i) for i, a in shown.items() if a.key not in counted]
        if events:
            uow.knowledge.record_deflections(events)
            uow.commit()
    return found


def _survivor(uow: UnitOfWork, fault: FaultView | None) -> FaultView | None:
    """A merged fault's reporters follow the fault it was merged into."""
    for _ in range(10):  # a merge chain is short; never loop on bad data
        if fault is None or not fault.merged_into:
            return fault
        fault = uow.faults.by_number(fault.merged_into)
    return None


# ---- the report form: following a public fault ------------------------------------------------------


def join(desk: Desk, uow: UnitOfWork, report: ReportView, number: str, now: datetime) -> FaultView | None:
    """Inside intake's transaction: the just-stored report follows the public fault ``number``
    (linked, its register clock met, the affected users recounted, a reporter joining a P2 that
    waits on its version told the promise). None: that fault is no longer followable — the
    report stays a report of its own, waiting like any other."""
    fault = _survivor(uow, uow.faults.by_number(number))
    if fault is None or not _followable(fault) or uow.reports.link([report.id], fault.id) != 1:
        return None
    clocks.meet_register(uow, [report.id], now)
    counted = impact.recount(desk, uow, fault.id, now)
    uow.audit.record(
        AuditEvent(
            now,
            Actor(None, f"reporter:{report.id}", None),
            "report",
            str(report.id),
            "followed_known_issue",
            fault_id=fault.id,
            before={"fault": None},
            after={"fault": fault.number, "affected_users": counted.affected_users},
        )
    )
    uow.knowledge.record_deflections([DeflectionEvent(FOLLOWED, now, fault_id=fault.id, report_id=report.id)])
    linked = uow.reports.get(report.id)
    assert linked is not None
    promises.tell_new_follower(desk, uow, counted, linked, now)
    return counted


def joined(desk: Desk, token: str) -> PublicIssue | None:
    """The public issue a report was filed as following (the receipt says so), if it is one."""
    with desk.uow() as uow:
        report = uow.reports.by_token_hash(desk.secrets.digest(token))
        if report is None or report.fault_id is None:
            return None
        fault = uow.faults.by_id(report.fault_id)
        if fault is None or not fault.is_public:
            return None
        followed = [e for e in uow.audit.about("report", str(report.id)) if e.action == "followed_known_issue"]
    if not followed:
        return None
    assert fault.public_title is not None and fault.public_status is not None
    return PublicIssue(f"f{fault.id}", fault.number, fault.public_title, fault.public_status, fault.status)


# ---- counts for the reports ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeflectionCounts:
    shown: int  # suggestions shown on the report form (each once per form)
    followed: int  # reports filed as following a public known issue

    @property
    def rate(self) -> float | None:
        """Followed per suggestion shown; None before anything was shown."""
        return round(self.followed / self.shown, 4) if self.shown else None


def deflection_counts(
    desk: Desk, *, actor: Actor, since: datetime | None = None, until: datetime | None = None
) -> DeflectionCounts:
    """Suggestions shown and followed at ``since`` ≤ time < ``until``: one call per period charted
    (staff, or the server itself: the reports' own jobs)."""
    if not actor.is_system:
        require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return DeflectionCounts(
            uow.knowledge.count_deflections(SHOWN, since, until),
            uow.knowledge.count_deflections(FOLLOWED, since, until),
        )

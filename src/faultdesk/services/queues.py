"""The staff's queues (UI.md ``/``): my work, each stage, each severity and the clocks' queues,
with their counts, filters, text search, sort and pages, each row with the clock that matters.

Every count is one SQL count (the stage and severity tabs one GROUP BY over their index); a page
reads its faults, then the clocks not met of those faults only, so a page costs the same with a
hundred faults or a hundred thousand."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from faultdesk.domain import queues as q
from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.faults import FaultStatus, FaultType, Severity
from faultdesk.domain.lifecycle import OPEN_STATES, Stage
from faultdesk.domain.matching.documents import DocumentKind, MatchDocument
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.catalogue import MAX_PRODUCTS
from faultdesk.services.desk import KEPT_PRODUCTS, KEPT_TYPES, KEPT_USERS, Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import (
    Actor,
    ClockQueue,
    ClockRow,
    ClockWindow,
    FaultFilter,
    FaultView,
    Page,
    ProductRecord,
    ReportFilter,
    TextMatch,
    UserRecord,
    WorkOf,
)

# The tabs' counts are shared for this long by everyone's views and rows refreshes (my work: by
# each person's), unless a commit in this process changed faults, clocks or reports: a desk of
# fifty agents refreshing every 15 s would otherwise count every tab three times a second.
COUNTS_TTL_S = 10
SOON_S = 3600  # "breaching soon": a running clock due within the hour (UI.md: amber below 1 h)
SEARCH_DEPTH = 200  # a text search finds at most this many faults: the index's best
NUMBER_LIKE = re.compile(r"[0-9][0-9-]*")


class Queue(StrEnum):
    MINE = "mine"
    ALL = "all"
    STAGE1 = "stage1"
    STAGE2 = "stage2"
    STAGE3 = "stage3"
    STAGE4 = "stage4"
    STAGE5 = "stage5"
    STAGE6 = "stage6"
    P0 = "P0"
    P1 = "P1"
    P2 = "P2"
    UNGRADED = "ungraded"
    BREACHING = "breaching"
    BREACHED = "breached"
    PAUSED = "paused"


STAGE_QUEUES = {
    Queue.STAGE1: q.QueueStage.INTAKE,
    Queue.STAGE2: q.QueueStage.ANALYSIS,
    Queue.STAGE3: q.QueueStage.HANDLING,
    Queue.STAGE4: q.QueueStage.COMMUNICATION,
    Queue.STAGE5: q.QueueStage.VERIFICATION,
    Queue.STAGE6: q.QueueStage.ARCHIVE,
}
SEVERITY_QUEUES = {Queue.P0: Severity.P0, Queue.P1: Severity.P1, Queue.P2: Severity.P2, Queue.UNGRADED: None}
CLOCK_QUEUES = {
    Queue.BREACHING: ClockQueue.BREACHING,
    Queue.BREACHED: ClockQueue.BREACHED,
    Queue.PAUSED: ClockQueue.PAUSED,
}

# Whose name a row shows: the owner of the stage the fault is in.
OWNER_STAGE: dict[FaultStatus, Stage] = {
    FaultStatus.REGISTERED: Stage.INTAKE,
    FaultStatus.TRIAGING: Stage.ANALYSIS,
    FaultStatus.LOCATING: Stage.HANDLING,
    FaultStatus.PLANNING: Stage.HANDLING,
    FaultStatus.PLAN_REVIEW: Stage.HANDLING,
    FaultStatus.FIXING: Stage.HANDLING,
    FaultStatus.VERIFYING: Stage.VERIFICATION,
    FaultStatus.AWAITING_CONFIRMATION: Stage.VERIFICATION,
    FaultStatus.RELEASING: Stage.VERIFICATION,
    FaultStatus.RESOLVED: Stage.ARCHIVE,
    FaultStatus.ARCHIVED: Stage.ARCHIVE,
}


@dataclass(frozen=True)
class QueueQuery:
    """One view of a queue, as its URL says it (the web page parses and bounds each value)."""

    queue: Queue = Queue.MINE
    status: list[FaultStatus] = field(default_factory=list)
    severity: list[Severity] = field(default_factory=list)
    ungraded: bool = False
    type_code: list[str] = field(default_factory=list)
    product: list[str] = field(default_factory=list)
    channel: list[Channel] = field(default_factory=list)
    owner: str | None = None  # a username
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    text: str | None = None
    sort: str = "-registered_at"
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class QueueRow:
    fault: FaultView
    clock: ClockRow | None  # the clock that matters: the earliest not met
    owner: str | None  # the display name of the current stage's owner


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int
    page: int  # after clamping to the last page
    pages: int
    page_size: int
    counts: dict[Queue, int]  # every tab's
    waiting_reports: int
    users: list[UserRecord]
    types: list[FaultType]
    products: list[ProductRecord]  # the product filter picks one by name


def open_queue(desk: Desk, query: QueueQuery, *, actor: Actor) -> QueuePage:
    """A page of a queue: its rows, the clock that matters of each, and every tab's count."""
    require(actor, Permission.VIEW)
    now = desk.clock.now()
    with desk.uow() as uow:
        # The filters' choices, kept with the tabs' counts (and cleared with them by a commit that
        # writes staff, types or products): three reads every page and every refresh otherwise.
        kept = desk.queue_counts
        users = kept.get(KEPT_USERS, uow.users.all)
        types = kept.get(KEPT_TYPES, uow.catalogue.fault_types)
        products = kept.get(KEPT_PRODUCTS, lambda: uow.catalogue.products(MAX_PRODUCTS))
        flt = _filter(desk, uow, query, users, actor, now)
        page = uow.faults.search(flt)
        pages = max(1, -(-page.total // query.page_size))
        if query.page > pages:  # past the end (the queue shrank, or a hand-typed URL): the last page
            page = uow.faults.search(replace(flt, page=pages))
        clocks: dict[int, ClockRow] = {}
        for row in uow.clocks.not_met_of_faults([f.id for f in page.items]):
            if row.fault_id is not None:
                clocks.setdefault(row.fault_id, row)  # soonest due first
        names = {u.id: u.display_name for u in users}
        rows = [QueueRow(f, clocks.get(f.id), _owner(f, names)) for f in page.items]
        tab_counts, waiting = _counts(desk, uow, actor, now, known=_counted_already(query, page.total))
    return QueuePage(
        rows, page.total, min(query.page, pages), pages, query.page_size, tab_counts, waiting, users, types, products
    )


def list_view(desk: Desk, query: QueueQuery, *, actor: Actor) -> Page[FaultView]:
    """A page of a queue view's faults without the console's extras (the API's list): the same
    faults, in the same order, as ``open_queue`` shows."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        users = desk.queue_counts.get(KEPT_USERS, uow.users.all) if query.owner else []  # an owner filter's
        return uow.faults.search(_filter(desk, uow, query, users, actor, desk.clock.now()))


def _owner(f: FaultView, names: dict[int, str]) -> str | None:
    stage = OWNER_STAGE.get(f.status)
    user_id = f.owners.get(stage.value) if stage else None
    if user_id is None and f.team and f.status in OPEN_STATES:
        user_id = f.team.get("lead")
    return names.get(int(user_id)) if user_id is not None else None


def work_of(actor: Actor) -> WorkOf:
    assert actor.id is not None
    turns = tuple((t.status, t.severities) for t in q.turns_of(actor.role))
    return WorkOf(actor.id, q.UNFINISHED, turns)


def queue_filter(queue: Queue, actor: Actor, now: datetime) -> FaultFilter:
    """The faults of one tab, before the user's own filters."""
    if queue is Queue.MINE:
        return FaultFilter(work_of=work_of(actor))
    if queue in STAGE_QUEUES:
        stage = STAGE_QUEUES[queue]
        if stage is q.QueueStage.COMMUNICATION:
            return FaultFilter(clocks=ClockWindow(ClockQueue.OWED_REPLY, now))
        return FaultFilter(status=sorted(q.STAGE_STATUSES[stage]))
    if queue in SEVERITY_QUEUES:  # the faults still open at this severity
        sev = SEVERITY_QUEUES[queue]
        open_states = sorted(OPEN_STATES)
        return FaultFilter(status=open_states, severity=[] if sev is None else [sev], ungraded=sev is None)
    if queue in CLOCK_QUEUES:
        return FaultFilter(clocks=ClockWindow(CLOCK_QUEUES[queue], now, SOON_S))
    return FaultFilter()


def _filter(
    desk: Desk, uow: UnitOfWork, query: QueueQuery, users: list[UserRecord], actor: Actor, now: datetime
) -> FaultFilter:
    base = queue_filter(query.queue, actor, now)
    status, nothing = query.status or base.status, False
    if base.status and query.status:  # the tab's states narrowed by the chosen ones: both must hold
        status = [s for s in query.status if s in base.status]
        nothing = not status
    owner_id = None
    if query.owner:
        found = next((u for u in users if u.username == query.owner), None)
        if found is None:
            raise RuleViolation.one("owner", "no such person", "没有这个人")
        owner_id = found.id
    severity, ungraded = base.severity, base.ungraded
    if query.severity or query.ungraded:
        if base.severity or base.ungraded:  # a severity tab and a severity filter: both must hold
            severity = [s for s in query.severity if s in base.severity]
            ungraded = query.ungraded and base.ungraded
            nothing = nothing or not (severity or ungraded)
        else:
            severity, ungraded = query.severity, query.ungraded
    text = _text_match(desk, uow, query.text) if query.text else None
    flt = replace(
        base,
        status=status,
        severity=severity,
        ungraded=ungraded,
        type_code=query.type_code,
        product=query.product,
        channel=query.channel,
        owner_id=owner_id,
        registered_from=query.registered_from,
        registered_to=query.registered_to,
        text=text,
        sort=query.sort,
        page=query.page,
        page_size=query.page_size,
    )
    return replace(flt, text=TextMatch()) if nothing else flt  # an empty TextMatch matches nothing


def _text_match(desk: Desk, uow: UnitOfWork, text: str) -> TextMatch:
    """A number (or its start) is looked up by number; words in the known-issue index, which
    segments Chinese and English alike and holds each fault and the reports linked to it."""
    text = text.strip()
    if NUMBER_LIKE.fullmatch(text):
        return TextMatch(number_prefix=text)
    index = desk.known_issues.catch_up(uow)
    probe = MatchDocument(id="queue-search", kind=DocumentKind.REPORT, title=text, scenario=text)
    hits = index.search(probe, now=desk.clock.now(), k=SEARCH_DEPTH, kinds=[DocumentKind.FAULT, DocumentKind.REPORT])
    hits = [h for h in hits if h.score.matches]  # a shared word, not only a shared time or product
    fault_ids = {int(h.id) for h in hits if h.kind is DocumentKind.FAULT}
    report_ids = [int(h.id) for h in hits if h.kind is DocumentKind.REPORT]
    fault_ids.update(uow.reports.faults_of(report_ids).values())
    return TextMatch(fault_ids=tuple(sorted(fault_ids)))


# The tabs counted one query each (the others come from one GROUP BY).
_COUNTED_ALONE = frozenset({Queue.MINE, Queue.STAGE4, *CLOCK_QUEUES})


def _counted_already(query: QueueQuery, total: int) -> dict[Queue, int]:
    """A tab viewed with none of the user's filters: its page's total is its count already."""
    plain = QueueQuery()
    unfiltered = replace(query, sort=plain.sort, page=plain.page, page_size=plain.page_size)
    return (
        {query.queue: total}
        if query.queue in _COUNTED_ALONE and unfiltered == replace(plain, queue=query.queue)
        else {}
    )


def _counts(
    desk: Desk, uow: UnitOfWork, actor: Actor, now: datetime, *, known: dict[Queue, int]
) -> tuple[dict[Queue, int], int]:
    """Every tab's count and the waiting reports', from the desk's short cache when it keeps them.
    Uncached, the tab on screen (``known``: counted by its page) is not counted a second time."""
    cache = desk.queue_counts
    skip = {} if cache.keeps else known  # a kept count serves the other tabs' views too
    shared = cache.get("tabs", lambda: _shared_counts(uow, actor, now, skip))
    waiting = cache.get("waiting", lambda: uow.reports.search(ReportFilter(linked=False, page_size=1)).total)
    counts = shared | known
    if Queue.MINE not in known:
        mine = queue_filter(Queue.MINE, actor, now)
        counts[Queue.MINE] = cache.get(("mine", actor.id, actor.role), lambda: uow.faults.count(mine))
    return counts, waiting


def _shared_counts(uow: UnitOfWork, actor: Actor, now: datetime, skip: dict[Queue, int]) -> dict[Queue, int]:
    """The tabs that count the same for everyone: one GROUP BY for the stages and severities, one
    count each for stage 4 and the clocks' queues (but those in ``skip``)."""
    tally = uow.faults.tally()
    counts: dict[Queue, int] = {Queue.ALL: sum(tally.values())}
    for tab, stage in STAGE_QUEUES.items():
        if stage is not q.QueueStage.COMMUNICATION:
            counts[tab] = sum(n for (status, _), n in tally.items() if status in q.STAGE_STATUSES[stage])
    for tab, sev in SEVERITY_QUEUES.items():
        counts[tab] = sum(n for (status, s), n in tally.items() if s is sev and status in OPEN_STATES)
    for tab in (Queue.STAGE4, *CLOCK_QUEUES):
        if tab not in skip:
            window = queue_filter(tab, actor, now).clocks  # (the same for every actor)
            assert window is not None
            counts[tab] = uow.faults.count_with_clocks(window)
    return counts


def view_filter(desk: Desk, query: QueueQuery, *, actor: Actor) -> FaultFilter:
    """The whole filter of a queue view (its tab, the user's choices, its text search): what
    "export this view" exports, every page of it."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return _filter(desk, uow, query, desk.queue_counts.get(KEPT_USERS, uow.users.all), actor, desk.clock.now())

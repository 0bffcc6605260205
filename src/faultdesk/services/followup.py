"""Reading the follow-up of faults (stage 6 and after): knowledge-base articles, improvement actions
by owner and by lateness, and the releases with their notes. Each list is one LIMITed page and its
count, so the console stays fast however many faults the desk has seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import NotFound
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor, ImprovementRecord, KbArticleRecord, Page, ReleaseRecord, page_bounds

MINE, OVERDUE, ALL = "mine", "overdue", "all"
IMPROVEMENT_TABS = (MINE, OVERDUE, ALL)


def may_set_improvement_status(actor: Actor, item: ImprovementRecord) -> bool:
    """Its owner closes an improvement action, or whoever runs retrospectives (PM, admin)."""
    return actor.label == item.owner or actor.role in lc.ROLES[lc.Action.RETROSPECT]


def kb_article(desk: Desk, article_id: int, *, actor: Actor) -> KbArticleRecord:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        found = uow.knowledge.articles_by_ids([article_id])
    if not found:
        raise NotFound(f"no knowledge-base article {article_id}", f"知识库文章 {article_id} 不存在")
    return found[0]


def local_today(desk: Desk) -> date:
    """Today in the organisation's zone: an action due today is not late until tomorrow there."""
    return desk.clock.now().astimezone(ZoneInfo(desk.timezone)).date()


@dataclass(frozen=True)
class _Scope:
    owner_id: int | None
    status: lc.ActionStatus | None
    due_before: date | None


def _scope(tab: str, actor: Actor, today: date) -> _Scope:
    if tab == MINE:
        return _Scope(actor.id or 0, None, None)  # id 0 names nobody: the system owns nothing
    if tab == OVERDUE:
        return _Scope(None, lc.ActionStatus.OPEN, today)  # open and due before today
    return _Scope(None, None, None)


def improvement_page(
    desk: Desk, tab: str, *, actor: Actor, page: int = 1, page_size: int = 50
) -> tuple[Page[ImprovementRecord], dict[str, int]]:
    """One tab's page of improvement actions (soonest due first) and the count of every tab."""
    require(actor, Permission.VIEW)
    today = local_today(desk)
    offset, limit = page_bounds(page, page_size)
    with desk.uow() as uow:

        def count_tabs() -> dict[str, int]:
            scopes = {name: _scope(name, actor, today) for name in IMPROVEMENT_TABS}
            return {
                name: uow.knowledge.count_improvements(owner_id=s.owner_id, status=s.status, due_before=s.due_before)
                for name, s in scopes.items()
            }

        # The tabs' counts, the shown tab's total among them, are kept a few seconds like the queue
        # tabs' (desk.queue_counts; a commit here that writes improvement actions clears them):
        # counting "all" each time cost PostgreSQL ~8 ms at 150,000 actions.
        counts = desk.queue_counts.get(("improvements", actor.id, today), count_tabs)
        s = _scope(tab, actor, today)
        items = uow.knowledge.improvement_rows(
            owner_id=s.owner_id, status=s.status, due_before=s.due_before, offset=offset, limit=limit
        )
    return Page(items, counts[tab], page, page_size), counts


def improvement(desk: Desk, improvement_id: int, *, actor: Actor) -> ImprovementRecord:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        item = uow.knowledge.improvement(improvement_id)
    if item is None:
        raise NotFound(f"no improvement action {improvement_id}", f"改进措施 {improvement_id} 不存在")
    return item


def release_page(desk: Desk, *, actor: Actor, page: int = 1, page_size: int = 20) -> Page[ReleaseRecord]:
    """Releases newest first (by release day), with their notes and known issues."""
    require(actor, Permission.VIEW)
    offset, limit = page_bounds(page, page_size)
    with desk.uow() as uow:
        items, total = uow.knowledge.release_page(offset, limit)
    return Page(items, total, page, page_size)

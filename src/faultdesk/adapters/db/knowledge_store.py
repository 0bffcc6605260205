"""Knowledge: improvement actions, knowledge-base articles, releases and synonyms."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.ids import among
from faultdesk.domain.errors import Conflict
from faultdesk.domain.lifecycle import ActionStatus, KbArticle
from faultdesk.services.records import (
    Actor,
    DeflectionEvent,
    ImprovementRecord,
    KbArticleRecord,
    ReleaseRecord,
)

_r, _f, _p, _pf = t.reports, t.faults, t.products, t.product_functions
_owner = t.users.alias("owner")
_ia = t.improvement_actions


def _article(x: Any) -> KbArticleRecord:
    return KbArticleRecord(
        x.id, x.number, x.title, x.symptoms, x.cause, x.fix, x.workaround, list(x.tags or []), x.created_at
    )


def _release(x: Any) -> ReleaseRecord:
    return ReleaseRecord(x.id, x.code, x.version, x.released_on, x.notes, x.known_issues, x.created_at)


class SqlKnowledge:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_improvement(self, fault_id: int, title: str, owner_id: int, due: date, at: datetime) -> int:
        stmt = insert(_ia).values(
            fault_id=fault_id, title=title, owner_id=owner_id, due=due, status="open", created_at=at, updated_at=at
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def _improvements(self) -> Select[Any]:
        return (
            select(_ia, _f.c.number, _owner.c.username, _owner.c.display_name)
            .join(_f, _f.c.id == _ia.c.fault_id)
            .join(_owner, _owner.c.id == _ia.c.owner_id)
        )

    @staticmethod
    def _improvement(x: Any) -> ImprovementRecord:
        return ImprovementRecord(
            x.id,
            x.number,
            x.title,
            x.username,
            x.due,
            ActionStatus(x.status),
            x.created_at,
            x.updated_at,
            x.display_name,
        )

    def improvements(
        self,
        *,
        fault_id: int | None,
        status: ActionStatus | None,
        owner_id: int | None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[ImprovementRecord]:
        stmt = self._improvements()
        if fault_id is not None:
            stmt = stmt.where(_ia.c.fault_id == fault_id)
        if status is not None:
            stmt = stmt.where(_ia.c.status == status.value)
        if owner_id is not None:
            stmt = stmt.where(_ia.c.owner_id == owner_id)
        stmt = stmt.order_by(_ia.c.due, _ia.c.id).offset(offset).limit(limit)
        return [self._improvement(x) for x in self.conn.execute(stmt)]

    def improvement(self, improvement_id: int) -> ImprovementRecord | None:
        row = self.conn.execute(self._improvements().where(_ia.c.id == improvement_id)).first()
        return self._improvement(row) if row else None

    def set_improvement_status(self, improvement_id: int, status: ActionStatus, at: datetime) -> None:
        self.conn.execute(update(_ia).where(_ia.c.id == improvement_id).values(status=status.value, updated_at=at))

    def _improvement_where(
        self, owner_id: int | None, status: ActionStatus | None, due_before: date | None
    ) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if owner_id is not None:
            where.append(_ia.c.owner_id == owner_id)
        if status is not None:
            where.append(_ia.c.status == status.value)
        if due_before is not None:
            where.append(_ia.c.due < due_before)
        return where

    def improvement_rows(
        self, *, owner_id: int | None, status: ActionStatus | None, due_before: date | None, offset: int, limit: int
    ) -> list[ImprovementRecord]:
        where = self._improvement_where(owner_id, status, due_before)
        stmt = self._improvements().where(*where).order_by(_ia.c.due, _ia.c.id).offset(offset).limit(limit)
        return [self._improvement(x) for x in self.conn.execute(stmt)]

    def count_improvements(self, *, owner_id: int | None, status: ActionStatus | None, due_before: date | None) -> int:
        where = self._improvement_where(owner_id, status, due_before)
        return int(self.conn.execute(select(func.count()).select_from(_ia).where(*where)).scalar_one())

    def add_article(self, fault_id: int | None, article: KbArticle, actor: Actor, at: datetime) -> int:
        stmt = insert(t.kb_articles).values(
            fault_id=fault_id,
            title=article.title,
            symptoms=article.symptoms,
            cause=article.cause,
            fix=article.fix,
            workaround=article.workaround,
            tags=list(article.tags),
            created_by=actor.id,
            created_at=at,
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def search_articles(self, query: str | None, limit: int) -> list[KbArticleRecord]:
        """Every word of the query must appear in some field (substring match: works for Chinese).

        A stop-gap until the known-issue index (segmentation, ranking) serves the knowledge base too.
        """
        k = t.kb_articles
        haystack = func.lower(
            k.c.title + " " + k.c.symptoms + " " + k.c.cause + " " + k.c.fix + " " + func.coalesce(k.c.workaround, "")
        )
        stmt = select(k, _f.c.number).outerjoin(_f, _f.c.id == k.c.fault_id)
        for word in (query or "").lower().split():
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(haystack.like(f"%{escaped}%", escape="\\"))
        rows = self.conn.execute(stmt.order_by(k.c.id.desc()).limit(limit))
        return [_article(x) for x in rows]

    def articles_since(self, last_id: int, limit: int) -> list[KbArticleRecord]:
        k = t.kb_articles
        rows = self.conn.execute(
            select(k, _f.c.number)
            .outerjoin(_f, _f.c.id == k.c.fault_id)
            .where(k.c.id > last_id)
            .order_by(k.c.id)
            .limit(limit)
        )
        return [_article(x) for x in rows]

    def add_release(
        self,
        product_id: int,
        version: str,
        released_on: date,
        notes: str,
        known_issues: str | None,
        actor: Actor,
        at: datetime,
    ) -> int:
        stmt = insert(t.releases).values(
            product_id=product_id,
            version=version,
            released_on=released_on,
            notes=notes,
            known_issues=known_issues,
            created_by=actor.id,
            created_at=at,
        )
        try:
            return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]
        except IntegrityError as exc:
            raise Conflict("this product already has that version", "该产品已有此版本") from exc

    def articles_by_ids(self, ids: list[int]) -> list[KbArticleRecord]:
        k = t.kb_articles
        rows = self.conn.execute(
            select(k, _f.c.number).outerjoin(_f, _f.c.id == k.c.fault_id).where(among(self.conn, k.c.id, ids))
        )
        return [_article(x) for x in rows]

    def releases_by_ids(self, ids: list[int]) -> list[ReleaseRecord]:
        return self._releases(among(self.conn, t.releases.c.id, ids), len(ids))

    def releases_since(self, last_id: int, limit: int) -> list[ReleaseRecord]:
        return self._releases(t.releases.c.id > last_id, limit)

    def _releases(self, where: ColumnElement[bool], limit: int) -> list[ReleaseRecord]:
        rel = t.releases
        rows = self.conn.execute(
            select(rel, _p.c.code).join(_p, _p.c.id == rel.c.product_id).where(where).order_by(rel.c.id).limit(limit)
        )
        return [_release(x) for x in rows]

    def release_page(self, offset: int, limit: int) -> tuple[list[ReleaseRecord], int]:
        rel = t.releases
        stmt = (
            select(rel, _p.c.code)
            .join(_p, _p.c.id == rel.c.product_id)
            .order_by(rel.c.released_on.desc(), rel.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        total = self.conn.execute(select(func.count()).select_from(rel)).scalar_one()
        return [_release(x) for x in self.conn.execute(stmt)], int(total)

    def synonyms(self) -> tuple[list[list[str]], int]:
        row = self.conn.execute(select(t.synonym_lists).where(t.synonym_lists.c.id == 1)).first()
        return (list(row.groups), int(row.version)) if row else ([], 0)

    def set_synonyms(self, groups: list[list[str]], at: datetime) -> int:
        _, version = self.synonyms()
        values = {"groups": groups, "version": version + 1, "updated_at": at}
        if version:
            self.conn.execute(update(t.synonym_lists).where(t.synonym_lists.c.id == 1).values(**values))
        else:
            self.conn.execute(insert(t.synonym_lists).values(id=1, **values))
        return version + 1

    def product_terms(self) -> list[str]:
        names = self.conn.execute(select(_p.c.name)).scalars()
        functions = self.conn.execute(select(_pf.c.name)).scalars()
        return [*names, *functions]

    def has_release(self, version: str, product_code: str | None) -> bool:
        r = t.releases
        stmt = select(r.c.id).where(r.c.version == version)
        if product_code is not None:
            stmt = stmt.join(_p, _p.c.id == r.c.product_id).where(_p.c.code == product_code)
        return self.conn.execute(stmt.limit(1)).first() is not None

    def record_deflections(self, events: list[DeflectionEvent]) -> None:
        if events:
            rows = [
                {
                    "kind": e.kind,
                    "at": e.at,
                    "fault_id": e.fault_id,
                    "article_id": e.article_id,
                    "report_id": e.report_id,
                }
                for e in events
            ]
            self.conn.execute(insert(t.deflection_events), rows)

    def count_deflections(self, kind: str, since: datetime | None, until: datetime | None) -> int:
        d = t.deflection_events
        stmt = select(func.count()).select_from(d).where(d.c.kind == kind)
        if since is not None:
            stmt = stmt.where(d.c.at >= since)
        if until is not None:
            stmt = stmt.where(d.c.at < until)
        return int(self.conn.execute(stmt).scalar_one())

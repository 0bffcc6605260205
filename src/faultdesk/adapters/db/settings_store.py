"""The organisation's settings: calendar overrides, announced years, edited message templates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, insert, select, update

from faultdesk.adapters.db import tables as t


class SqlSettings:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def overrides(self) -> tuple[list[date], list[date], list[int]]:
        days = list(self.conn.execute(select(t.calendar_days)))
        years = list(self.conn.execute(select(t.calendar_years.c.year)).scalars())
        return [d.day for d in days if d.kind == "holiday"], [d.day for d in days if d.kind == "workday"], years

    def set_day(self, day: date, kind: str, note: str | None, at: datetime) -> None:
        cd = t.calendar_days
        if self.conn.execute(select(cd.c.day).where(cd.c.day == day)).first():
            self.conn.execute(update(cd).where(cd.c.day == day).values(kind=kind, note=note, created_at=at))
        else:
            self.conn.execute(insert(cd).values(day=day, kind=kind, note=note, created_at=at))

    def announce_year(self, year: int, at: datetime) -> None:
        cy = t.calendar_years
        if not self.conn.execute(select(cy.c.year).where(cy.c.year == year)).first():
            self.conn.execute(insert(cy).values(year=year, announced_at=at))

    def template(self, key: str, lang: str) -> tuple[str, str] | None:
        mt = t.message_templates
        row = self.conn.execute(select(mt).where(mt.c.key == key, mt.c.lang == lang)).first()
        return (row.subject, row.body) if row else None

    def set_template(self, key: str, lang: str, subject: str, body: str, at: datetime) -> None:
        mt = t.message_templates
        if self.template(key, lang):
            self.conn.execute(
                update(mt).where(mt.c.key == key, mt.c.lang == lang).values(subject=subject, body=body, updated_at=at)
            )
        else:
            self.conn.execute(insert(mt).values(key=key, lang=lang, subject=subject, body=body, updated_at=at))

    def days(self, since: date, limit: int) -> list[tuple[date, str, str | None]]:
        cd = t.calendar_days
        stmt = select(cd.c.day, cd.c.kind, cd.c.note).where(cd.c.day >= since).order_by(cd.c.day).limit(limit)
        return [(r.day, r.kind, r.note) for r in self.conn.execute(stmt)]

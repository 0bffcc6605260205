"""The organisation's settings that staff administer: calendar days, announced years, message
templates. Each change takes effect in this process at once (the settings cache is cleared)."""

from __future__ import annotations

from datetime import date

from faultdesk.domain import sla
from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.roles import Permission
from faultdesk.domain.sla import ClockState
from faultdesk.services import messages
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.message_texts import DEFAULTS
from faultdesk.services.records import Actor, AuditEvent


def set_calendar_day(desk: Desk, day: date, kind: str, note: str | None, *, actor: Actor) -> None:
    require(actor, Permission.MANAGE_USERS)
    if kind not in ("holiday", "workday"):
        raise RuleViolation.one("kind", "is holiday or workday", "须为 holiday 或 workday")
    now = desk.clock.now()
    with desk.uow() as uow:
        uow.settings.set_day(day, kind, note, now)
        uow.audit.record(
            AuditEvent(now, actor, "calendar", day.isoformat(), "day_set", after={"kind": kind, "note": note})
        )
        uow.commit()
    desk.settings_cache.clear()  # this process counts with the new day at once; others within the cache's TTL


def announce_year(desk: Desk, year: int, *, actor: Actor) -> None:
    require(actor, Permission.MANAGE_USERS)
    now = desk.clock.now()
    with desk.uow() as uow:
        uow.settings.announce_year(year, now)
        uow.audit.record(AuditEvent(now, actor, "calendar", str(year), "year_announced"))
        uow.commit()
    desk.settings_cache.clear()


def calendar_warnings(desk: Desk, *, actor: Actor) -> list[str]:
    """Running clocks that reach into a year whose official arrangement is not yet known."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        cal = messages.calendar(desk, uow)
        # What is left to count runs from now to the latest due time: one index look-up, not a
        # scan of the running clocks (past years' arrangements are known).
        latest = uow.clocks.latest_due(ClockState.RUNNING, sla.Mode.BUSINESS)
        years = cal.unknown_years(desk.clock.now(), latest) if latest else []
    return [
        f"clocks run into {y}, whose holiday arrangement is not announced yet / {y} 年节假日安排尚未公布，时钟可能不准"
        for y in years
    ]


def set_template(desk: Desk, key: str, lang: str, subject: str, body: str, *, actor: Actor) -> None:
    require(actor, Permission.MANAGE_USERS)
    if key not in DEFAULTS:
        raise RuleViolation.one("key", f"unknown template; known: {', '.join(DEFAULTS)}", "未知模板")
    if lang not in ("zh", "en"):
        raise RuleViolation.one("lang", "is zh or en", "须为 zh 或 en")
    try:
        for template in (subject, body):
            desk.renderer.render(template, messages.SAMPLE_CONTEXT)
    except Exception as exc:  # a template that does not compile must not reach the outbox
        raise RuleViolation.one("body", f"does not render: {exc}", f"模板无法渲染：{exc}") from exc
    now = desk.clock.now()
    with desk.uow() as uow:
        uow.settings.set_template(key, lang, subject, body, now)
        uow.audit.record(
            AuditEvent(now, actor, "template", f"{key}/{lang}", "edited", after={"subject": subject, "body": body})
        )
        uow.commit()
    desk.settings_cache.clear()

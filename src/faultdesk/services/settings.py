"""The organisation's settings that staff administer: calendar days, announced years, message
templates. Each change takes effect in this process at once (the settings cache is cleared)."""

from __future__ import annotations

from dataclasses import dataclass
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
    _rendered(desk, subject, body)
    now = desk.clock.now()
    with desk.uow() as uow:
        uow.settings.set_template(key, lang, subject, body, now)
        uow.audit.record(
            AuditEvent(now, actor, "template", f"{key}/{lang}", "edited", after={"subject": subject, "body": body})
        )
        uow.commit()
    desk.settings_cache.clear()


def _rendered(desk: Desk, subject: str, body: str) -> tuple[str, str]:
    """Both texts rendered on the sample context, or a 422 naming the one that does not render
    (a template that does not compile must not reach the outbox)."""
    out: list[str] = []
    for field, template in (("subject", subject), ("body", body)):
        try:
            out.append(desk.renderer.render(template, messages.SAMPLE_CONTEXT))
        except Exception as exc:  # the bounded sandbox's refusals, syntax errors, unknown filters
            raise RuleViolation.one(field, f"does not render: {exc}", f"模板无法渲染：{exc}") from exc
    return out[0], out[1]


def preview_template(desk: Desk, subject: str, body: str, *, actor: Actor) -> tuple[str, str]:
    """What a template would send, on the sample fault (the same sandbox as the messages)."""
    require(actor, Permission.MANAGE_USERS)
    return _rendered(desk, subject, body)


@dataclass(frozen=True)
class TemplateText:
    key: str
    lang: str
    subject: str
    body: str
    edited: bool  # an admin's text rather than the default


def template_texts(desk: Desk, *, actor: Actor) -> list[TemplateText]:
    """Every message template in both languages, as it is sent now."""
    require(actor, Permission.MANAGE_USERS)
    out: list[TemplateText] = []
    with desk.uow() as uow:
        for key, langs in DEFAULTS.items():
            for lang in ("zh", "en"):
                edited = uow.settings.template(key, lang)
                subject, body = edited or langs.get(lang) or langs["zh"]
                out.append(TemplateText(key, lang, subject, body, edited is not None))
    return out


@dataclass(frozen=True)
class CalendarView:
    days: list[tuple[date, str, str | None]]  # (day, holiday/workday, note), from ``since`` on
    announced_years: list[int]
    warnings: list[str]


def calendar_view(desk: Desk, since: date, *, actor: Actor, limit: int = 200) -> CalendarView:
    """The organisation's own days from ``since`` on, the years entered, and the warnings."""
    require(actor, Permission.MANAGE_USERS)
    with desk.uow() as uow:
        days = uow.settings.days(since, limit)
        years = sorted(uow.settings.overrides()[2])
    return CalendarView(days, years, calendar_warnings(desk, actor=actor))

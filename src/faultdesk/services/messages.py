"""Composing messages into the outbox, in the same transaction as the change that causes them."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from faultdesk.domain.calendars import BusinessCalendar, add_business_time, calendar_with
from faultdesk.domain.delivery import single_line
from faultdesk.domain.faults import Severity
from faultdesk.domain.reporter_status import status_words
from faultdesk.domain.reports import ContactKind
from faultdesk.domain.roles import Role
from faultdesk.services.desk import Desk
from faultdesk.services.message_texts import DEFAULTS, STATUS_ZH
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import AboutFault, Outgoing, ReportView

ROBOTS = ("dingtalk", "feishu", "wecom", "webhook")
log = logging.getLogger("faultdesk.messages")


def calendar(desk: Desk, uow: UnitOfWork) -> BusinessCalendar:
    """The official calendar with this organisation's overrides."""

    def load() -> BusinessCalendar:
        holidays, workdays, years = uow.settings.overrides()
        return calendar_with(desk.calendar, holidays=holidays, workdays=workdays, announced_years=years)

    return desk.settings_cache.get("calendar", load)


def render(desk: Desk, uow: UnitOfWork, key: str, context: dict[str, Any]) -> tuple[str, str]:
    lang = desk.language
    default = DEFAULTS[key].get(lang) or DEFAULTS[key]["zh"]
    edited = desk.settings_cache.get(("template", key, lang), lambda: uow.settings.template(key, lang))
    if edited:
        try:
            return single_line(desk.renderer.render(edited[0], context)), desk.renderer.render(edited[1], context)
        except Exception:  # an admin's template must never lose a message: fall back to ours
            log.exception("template %s/%s failed; using the default", key, lang)
    # A subject is one line whatever the fault's title holds (a title may be a reporter's symptom).
    return single_line(desk.renderer.render(default[0], context)), desk.renderer.render(default[1], context)


# Every variable any template may use, with a sample value: edited templates are tried on it.
SAMPLE_CONTEXT: dict[str, Any] = {
    "symptom": "登录页面忘记密码提示错误",
    "tracking_hint": "http://127.0.0.1:8000/t/Zb3kQ9x2LmN4pR7sT1vW8yA5cE6gH0jK",
    "tracking_link": "http://127.0.0.1:8000/t/Zb3kQ9x2LmN4pR7sT1vW8yA5cE6gH0jK",
    "number": "231025-01-001",
    "title": "忘记密码提示错误",
    "public_title": "部分用户点「忘记密码」时提示错误",
    "status": "fixing",
    "status_zh": "修复中",
    "reporter_status_zh": "修复中",
    "reporter_status_en": "Being fixed",
    "severity": "P1",
    "users": 120,
    "text": "已完成问题定位，正在修复中",
    "eta": "今日18:00前",
    "reason": "用户操作不当",
    "lead": "张伟",
    "before": "P2",
    "after": "P1",
    "clock": "grade",
    "clock_zh": "分析分级",
    "due": "2026-11-25 18:00",
    "level": 1,
    "type": "功能异常",
    "link": "http://127.0.0.1:8000/api/v1/faults/231025-01-001",
    "version": "5.2.2",
    "announcement": "忘记密码提示错误已修复，请升级至 5.2.2",
}


# Message ids need uniqueness, not secrecy: a generator of our own, seeded from the system and
# again in a forked child (nobody's random.seed() reaches it), spares the system call uuid4 makes
# for each of a tick's 500 notices.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)


def new_message_id() -> str:
    """128 random bits in hex: the stable id every delivery attempt of a message carries."""
    return f"{_ids.getrandbits(128):032x}"


def _outgoing(
    desk: Desk,
    uow: UnitOfWork,
    key: str,
    context: dict[str, Any],
    *,
    channel: str,
    recipient: str,
    now: datetime,
    not_before: datetime | None = None,
    fault_id: int | None = None,
    report_id: int | None = None,
) -> Outgoing:
    subject, body = render(desk, uow, key, context)
    state = SHOWN if channel == TRACKING_PAGE else "pending"
    return Outgoing(
        message_id=new_message_id(),
        channel=channel,
        recipient=recipient,
        kind=key,
        subject=subject,
        body=body,
        not_before=not_before or now,
        created_at=now,
        fault_id=fault_id,
        report_id=report_id,
        state=state,
    )


def tracking_link(desk: Desk, token: str) -> str:
    """The reporter's own page (``/t/{token}``) at ``FAULTDESK_PUBLIC_URL``: what the receipt carries."""
    return f"{desk.public_url.rstrip('/')}/t/{token}"


# The "channel" of a message nobody can send: kept in the outbox as already there (state
# ``SHOWN``), never claimed by the worker, and read by the reporter on their tracking page.
TRACKING_PAGE = "page"
SHOWN = "shown"


def reporter_channel(desk: Desk, report: ReportView) -> str | None:
    if report.contact_kind is ContactKind.EMAIL:
        return "email"
    if report.contact_kind is ContactKind.PHONE and "sms" in desk.channels:
        return "sms"
    return None


def to_reporter(
    desk: Desk, uow: UnitOfWork, report: ReportView, key: str, context: dict[str, Any], now: datetime
) -> int:
    """A message to one reporter; answers 1 when it goes out by a channel, 0 when the reporter can
    only read it on their tracking page (no usable contact: it is kept there, ``TRACKING_PAGE``)."""
    channel = reporter_channel(desk, report)
    uow.outbox.add(
        _outgoing(
            desk,
            uow,
            key,
            context,
            channel=channel or TRACKING_PAGE,
            recipient=f"report:{report.id}",
            now=now,
            fault_id=report.fault_id,
            report_id=report.id,
        )
    )
    return 0 if channel is None else 1


def to_reporters(
    desk: Desk, uow: UnitOfWork, fault: AboutFault, key: str, context: dict[str, Any], now: datetime
) -> int:
    """Every reporter of the fault once (a reporter with several reports hears once)."""
    seen: set[str] = set()
    sent = 0
    for report in uow.reports.for_fault(fault.id):
        who = report.reporter_id or f"report:{report.id}"
        if who in seen:
            continue
        seen.add(who)
        sent += to_reporter(desk, uow, report, key, {**reporter_context(desk, fault), **context}, now)
    return sent


@lru_cache(maxsize=64)
def in_zone(cal: BusinessCalendar, zone: str) -> BusinessCalendar:
    """The organisation's working days, with working hours read in another zone."""
    return replace(cal, zone=zone)


@lru_cache(maxsize=64)
def working_from(now: datetime, cal: BusinessCalendar) -> datetime:
    """The first working instant at or after ``now``: a tick asks it once per notice, for one ``now``."""
    return add_business_time(now, timedelta(0), cal)


def staff_for(uow: UnitOfWork, fault: AboutFault, who: str, stage: str | None = None) -> list[int]:
    """Resolve a chain entry (owner / tech_lead / admin / team) to user ids."""
    if who == "owner":
        owner = fault.owners.get(stage or "") if stage else None
        owner = owner or next(iter(fault.owners.values()), None)
        if owner is None and fault.team:
            owner = fault.team.get("lead")
        if owner is not None:
            return [int(owner)]
        return [fault.registered_by_id] if fault.registered_by_id is not None else []
    if who == "team" and fault.team:
        return [int(fault.team["lead"]), *map(int, fault.team.get("members", []))]
    if who == "tech_lead" and fault.team and fault.team.get("lead"):
        return [int(fault.team["lead"])]
    role = {"tech_lead": Role.TECH_LEAD, "admin": Role.ADMIN, "pm": Role.PM}.get(who)
    return [u.id for u in uow.users.with_role(role)] if role else []


def on_duty(uow: UnitOfWork, fault: AboutFault) -> list[int]:
    """Who hears of a new fault at once (信息同步): its owners if it has any, else every active
    product manager and tech lead."""
    if fault.owners:
        return list(dict.fromkeys(int(user_id) for user_id in fault.owners.values()))
    return [u.id for role in (Role.PM, Role.TECH_LEAD) for u in uow.users.with_role(role)]


def release_audience(uow: UnitOfWork, fault: AboutFault) -> list[int]:
    """Who reads a full release's announcement: the fault's owners and special team, and every
    active agent, product manager and tech lead (the agents answer the users who call about it)."""
    team = staff_for(uow, fault, "team") if fault.team else []
    everyone = [u.id for role in (Role.AGENT, Role.PM, Role.TECH_LEAD) for u in uow.users.with_role(role)]
    return list(dict.fromkeys([*(int(i) for i in fault.owners.values()), *team, *everyone]))


def staff_link(desk: Desk, fault: AboutFault) -> str:
    """Where staff open the fault (``FAULTDESK_PUBLIC_URL``); the reporters never get it."""
    return f"{desk.public_url.rstrip('/')}/api/v1/faults/{fault.number}"


def to_staff(
    desk: Desk,
    uow: UnitOfWork,
    fault: AboutFault,
    user_ids: Iterable[int],
    key: str,
    context: dict[str, Any],
    now: datetime,
    *,
    robots: bool = False,
) -> int:
    """Staff hear by e-mail (and the group robots, for the loud notices). P1/P2 notices wait for
    the recipient's working hours (in their own zone, if they set one; the robots' are the
    organisation's); a P0 goes out at once (Zammad #4432)."""
    p0 = fault.severity is Severity.P0
    cal = calendar(desk, uow)
    zones = {} if p0 else desk.settings_cache.get("staff_zones", uow.users.zones)
    not_before = now if p0 else working_from(now, cal)
    ctx = {**fault_context(fault), **context}
    sent = 0
    for user_id in dict.fromkeys(user_ids):
        zone = zones.get(user_id)
        uow.outbox.add(
            _outgoing(
                desk,
                uow,
                key,
                ctx,
                channel="email",
                recipient=f"user:{user_id}",
                now=now,
                not_before=working_from(now, in_zone(cal, zone)) if zone else not_before,
                fault_id=fault.id,
            )
        )
        sent += 1
    if robots:
        for robot in ROBOTS:
            if robot in desk.channels:
                uow.outbox.add(
                    _outgoing(
                        desk,
                        uow,
                        key,
                        ctx,
                        channel=robot,
                        recipient=f"robot:{robot}",
                        now=now,
                        not_before=not_before,
                        fault_id=fault.id,
                    )
                )
                sent += 1
    return sent


def severity_raised(
    desk: Desk, uow: UnitOfWork, fault: AboutFault, before: Severity, after: Severity, reason: str, now: datetime
) -> int:
    """A raised severity reaches the handling owner and the tech lead, and the group robots."""
    owners = staff_for(uow, fault, "owner", "handling") + staff_for(uow, fault, "tech_lead")
    ctx = {"before": before.name, "after": after.name, "reason": reason}
    return to_staff(desk, uow, fault, owners, "severity_raised", ctx, now, robots=True)


def fault_context(fault: AboutFault) -> dict[str, Any]:
    return {
        "number": fault.number,
        "title": fault.title,
        "status": fault.status.value,
        "status_zh": STATUS_ZH.get(fault.status.value, fault.status.value),
        # a reporter's words for it (UI.md: reporters never see the staff's stage names)
        "reporter_status_zh": status_words(fault.status, "zh")[0],
        "reporter_status_en": status_words(fault.status, "en")[0],
        "severity": fault.severity.name if fault.severity is not None else "",
        "users": fault.impact_users,
    }


# What a reporter's message calls the fault when it is not public: its title is internal.
NEUTRAL_TITLE = {"zh": "您反馈的问题", "en": "the problem you reported"}


def reporter_context(desk: Desk, fault: AboutFault) -> dict[str, Any]:
    """The fault as a reporter's message may name it: ``title`` is the public title when the
    fault is a public known issue, else a neutral wording — never the staff's internal title,
    whatever an admin's edited template asks for (issue 12: internal titles never leak)."""
    public = fault.public_title
    neutral = NEUTRAL_TITLE.get(desk.language, NEUTRAL_TITLE["zh"])
    return {**fault_context(fault), "title": public or neutral, "public_title": public or ""}

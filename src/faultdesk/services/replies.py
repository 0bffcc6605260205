"""What the fault page's reply form starts from: the template's texts for the first reply, the
progress updates and the closing message (as the admins edited them, else ours), and whether
each reporter can be reached at all (a contact for which a channel is configured)."""

from __future__ import annotations

from dataclasses import dataclass

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import OPEN_STATES
from faultdesk.domain.reports import ContactKind
from faultdesk.domain.roles import Permission
from faultdesk.domain.sla import first_reply_owed
from faultdesk.services import messages
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor, FaultView, ReportView

# Canned progress updates in the template's words (stage 4's examples), per language.
CANNED: dict[str, dict[str, str]] = {
    "located": {
        "zh": "已完成问题定位，正在修复中，预计今日 18:00 前上线。",
        "en": "We have found the cause and are fixing it; the fix should be live before 18:00 today.",
    },
    "next_release": {
        "zh": "问题已确认，计划下个版本修复，上线后将通知您。",
        "en": "The problem is confirmed and will be fixed in the next release; we will tell you when it ships.",
    },
}


@dataclass(frozen=True)
class Draft:
    key: str  # first_reply / closing / located / next_release
    text: str


@dataclass(frozen=True)
class Reach:
    """Whether a report's reporter hears an update, and why not."""

    report_id: int
    channel: str | None  # email / sms, or None: cannot be reached
    why_not: str | None  # "no_contact" / "no_sms": the page says it in words


def draft_keys(status: FaultStatus, *, first_reply_owed: bool) -> list[str]:
    """The drafts a fault's reply box offers, the one it starts from first: the first reply while
    it is owed (never again once sent), progress while the fault is worked on, the closing message
    once it is closed (no "we are fixing it" on an archived fault)."""
    if status not in OPEN_STATES:
        return ["closing"]
    return [*(["first_reply"] if first_reply_owed else []), *CANNED, "closing"]


def drafts(desk: Desk, fault: FaultView, *, actor: Actor) -> list[Draft]:
    """The reply texts to start from, rendered for this fault in the reporters' language (the
    desk's; edited templates win)."""
    require(actor, Permission.MESSAGE_REPORTERS)
    context = {**messages.reporter_context(desk, fault), "eta": None, "text": ""}
    out: list[Draft] = []
    with desk.uow() as uow:
        owed = first_reply_owed(r.clock for r in uow.clocks.of_fault(fault.id))
        for key in draft_keys(fault.status, first_reply_owed=owed):
            if key in CANNED:
                out.append(Draft(key, CANNED[key].get(desk.language) or CANNED[key]["zh"]))
            else:
                _subject, body = messages.render(desk, uow, key, context)
                out.append(Draft(key, body))
    return out


def reach(desk: Desk, reports: list[ReportView]) -> list[Reach]:
    """Each report's way to its reporter (``messages.reporter_channel``), in words' codes."""
    out = []
    for report in reports:
        channel = messages.reporter_channel(desk, report)
        why = None
        if channel is None:
            why = "no_sms" if report.contact_kind is ContactKind.PHONE else "no_contact"
        out.append(Reach(report.id, channel, why))
    return out

"""Reports (反馈): one end user's submission, and the intake rules that guard it (stage 1)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from faultdesk.domain.errors import FieldProblem, RuleViolation


class Channel(StrEnum):
    APP = "app"
    WEB = "web"
    MINI_PROGRAM = "mini_program"
    HOTLINE = "hotline"
    OFFLINE = "offline"


class Network(StrEnum):
    WIFI = "wifi"
    CELLULAR_5G = "5g"
    CELLULAR_4G = "4g"
    CELLULAR_3G = "3g"
    WIRED = "wired"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"


# Mainland mobile numbers (optionally +86), and landlines written 0xx(x)-xxxxxxx(x).
_MOBILE = re.compile(r"^(?:\+?86[- ]?)?(1[3-9]\d{9})$")
_LANDLINE = re.compile(r"^(0\d{2,3})-?(\d{7,8})$")
_EMAIL = re.compile(
    r"^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]{1,63})+$"
)


@dataclass(frozen=True)
class Contact:
    """How to reach a reporter. Confidential: stored encrypted, shown masked (DESIGN §2)."""

    kind: ContactKind
    value: str

    @classmethod
    def parse(cls, raw: str) -> Contact:
        text = raw.strip().replace(" ", "") if "@" not in raw else raw.strip()
        if m := _MOBILE.match(text):
            return cls(ContactKind.PHONE, m.group(1))
        if _LANDLINE.match(text):
            return cls(ContactKind.PHONE, text)
        if len(text) <= 254 and _EMAIL.match(text):
            local, _, domain = text.partition("@")
            return cls(ContactKind.EMAIL, f"{local}@{domain.lower()}")
        raise RuleViolation.one(
            "contact",
            "must be a mobile number (e.g. 13812341234), a landline (010-12345678) or an e-mail address",
            "须为手机号（如 13812341234）、座机（如 010-12345678）或电子邮箱",
        )

    def masked(self) -> str:
        """``138****1234`` and ``z***@example.com``: enough to recognise, not to use."""
        if self.kind is ContactKind.EMAIL:
            local, _, domain = self.value.partition("@")
            return f"{local[:1]}***@{domain}"
        digits = self.value
        if len(digits) <= 7:
            return digits[:1] + "*" * (len(digits) - 1)
        return f"{digits[:3]}****{digits[-4:]}"


@dataclass(frozen=True, kw_only=True)
class ReportDetails:
    """What a reporter tells of the fault (the template's 故障信息), as told. The one field list
    that the draft, the admitted report and the stored view share: a new report field is added
    here, in the API schema (``ReportFields``) and in the table with its migration — nowhere else."""

    symptom: str
    scenario: str | None = None
    occurred_at: datetime | None = None
    device_model: str | None = None
    os_version: str | None = None
    app_version: str | None = None
    network: Network | None = None
    reporter_id: str | None = None
    description: str | None = None


DETAIL_FIELDS = tuple(f.name for f in fields(ReportDetails))


def details_of(source: ReportDetails) -> dict[str, Any]:
    """The reporter's own fields of a draft, report or view, by name."""
    return {name: getattr(source, name) for name in DETAIL_FIELDS}


@dataclass(frozen=True, kw_only=True)
class ReportDraft(ReportDetails):
    """A submission as it arrives, before the intake rules have looked at it: the one input shape
    of intake, whichever entry point (API, web form, CLI, demo) it came through."""

    channel: Channel
    received_at: datetime | None = None
    contact: str | None = None  # as typed; parsed and encrypted at intake
    product: str | None = None  # catalogue codes
    function: str | None = None

    def fingerprint(self) -> str:
        """Same draft, same digest: an Idempotency-Key retry must carry the same report."""
        return hashlib.sha256(json.dumps(asdict(self), default=str, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class Report(ReportDetails):
    """A report the intake rules admitted: times in UTC, the contact parsed."""

    channel: Channel
    received_at: datetime
    contact: Contact | None = None
    product_code: str | None = None
    function_code: str | None = None
    id: int | None = None
    fault_id: int | None = None
    created_by: int | None = None  # staff user who took it by phone/offline; None for the public form


# Clients' clocks drift; a report "from the future" by less than this is accepted as now.
CLOCK_SKEW = timedelta(minutes=5)


# How far back a report may say it arrived: older ones would breach their register clock at once.
REPORT_WINDOW = timedelta(days=30)


def check_report_times(
    received_at: datetime, occurred_at: datetime | None, now: datetime, window: timedelta = REPORT_WINDOW
) -> None:
    """A report cannot arrive in the future nor longer ago than ``window``, and the fault cannot
    happen after it was reported."""
    problems: list[FieldProblem] = []
    if received_at > now + CLOCK_SKEW:
        problems.append(FieldProblem("received_at", "is in the future", "不能晚于当前时间"))
    elif received_at < now - window:
        days = window.days
        problems.append(FieldProblem("received_at", f"is more than {days} days ago", f"不能早于 {days} 天前"))
    if occurred_at is not None:
        if occurred_at > now + CLOCK_SKEW:
            problems.append(FieldProblem("occurred_at", "is in the future", "不能晚于当前时间"))
        elif occurred_at > received_at + CLOCK_SKEW:
            problems.append(
                FieldProblem("occurred_at", "is after the time the report was received", "故障发生时间不能晚于反馈时间")
            )
    if problems:
        raise RuleViolation(problems)

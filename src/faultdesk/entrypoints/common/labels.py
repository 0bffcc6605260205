"""The pages' words for every code (../shared/UI.md): states, roles, severities and clock kinds in
Chinese and English, the same word for the same thing on every page. Staff words only: reporters
see their own plain status words, and messages keep theirs in services/message_texts.py."""

from __future__ import annotations

from typing import Any

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind

Language = str  # "zh" or "en"

STATUS: dict[FaultStatus, tuple[str, str]] = {
    FaultStatus.REGISTERED: ("已登记", "registered"),
    FaultStatus.TRIAGING: ("分析分级中", "analysing and grading"),
    FaultStatus.LOCATING: ("问题定位中", "locating the cause"),
    FaultStatus.PLANNING: ("制定解决方案", "planning the fix"),
    FaultStatus.PLAN_REVIEW: ("方案评审中", "plan under review"),
    FaultStatus.FIXING: ("修复中", "fixing"),
    FaultStatus.VERIFYING: ("验证测试中", "verifying"),
    FaultStatus.AWAITING_CONFIRMATION: ("待用户确认", "awaiting the reporter"),  # the reporter's word is 待您确认
    FaultStatus.RELEASING: ("发布中", "releasing"),
    FaultStatus.RESOLVED: ("已解决", "resolved"),
    FaultStatus.ARCHIVED: ("已归档", "archived"),
    FaultStatus.DUPLICATE: ("已合并", "merged"),
    FaultStatus.NOT_A_FAULT: ("非故障", "not a fault"),
    FaultStatus.CANNOT_REPRODUCE: ("无法复现", "cannot reproduce"),
}

ROLE: dict[Role, tuple[str, str]] = {
    Role.AGENT: ("客服专员", "customer-service agent"),
    Role.PM: ("产品经理", "product manager"),
    Role.TECH_LEAD: ("技术负责人", "tech lead"),
    Role.DEVELOPER: ("研发工程师", "developer"),
    Role.TESTER: ("测试工程师", "tester"),
    Role.ADMIN: ("管理员", "administrator"),
}

SEVERITY: dict[Severity, tuple[str, str]] = {
    Severity.P0: ("P0 紧急", "P0 critical"),
    Severity.P1: ("P1 重要", "P1 major"),
    Severity.P2: ("P2 一般", "P2 minor"),
}

CLOCK: dict[ClockKind, tuple[str, str]] = {
    ClockKind.REGISTER: ("登记", "registration"),
    ClockKind.GRADE: ("分析分级", "grading"),
    ClockKind.FIRST_REPLY: ("首次回复", "first reply"),
    ClockKind.RESPONSE: ("响应", "response"),
    ClockKind.UPDATE: ("进度同步", "progress update"),
    ClockKind.VERIFY: ("验证", "verification"),
    ClockKind.ARCHIVE: ("归档", "archive"),
    ClockKind.RETROSPECT: ("复盘", "retrospective"),
    ClockKind.IMPROVEMENT: ("改进措施", "improvement action"),
}

CHANNEL: dict[Channel, tuple[str, str]] = {
    Channel.APP: ("App", "app"),
    Channel.WEB: ("网站", "website"),
    Channel.MINI_PROGRAM: ("小程序", "mini-program"),
    Channel.HOTLINE: ("客服热线", "support hotline"),
    Channel.OFFLINE: ("线下", "in person"),
}

_BY_TYPE: dict[type, dict[Any, tuple[str, str]]] = {
    FaultStatus: STATUS,
    Channel: CHANNEL,
    Role: ROLE,
    Severity: SEVERITY,
    ClockKind: CLOCK,
}


def label(code: FaultStatus | Role | Severity | ClockKind | Channel | None, lang: Language = "zh") -> str:
    """The word for a code in ``lang``; ``None`` is a fault not graded yet."""
    if code is None:
        return "未分级" if lang == "zh" else "not graded"
    zh, en = _BY_TYPE[type(code)][code]
    return zh if lang == "zh" else en

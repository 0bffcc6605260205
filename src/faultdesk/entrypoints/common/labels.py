"""The pages' words for every code (../shared/UI.md): states, roles, severities and clock kinds in
Chinese and English, the same word for the same thing on every page. Staff words only: reporters
see their own plain status words, and messages keep theirs in services/message_texts.py."""

from __future__ import annotations

from enum import Enum
from typing import Any

from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.domain.reports import Channel, Network
from faultdesk.domain.roles import ROLE_WORDS, Role
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

ROLE: dict[Role, tuple[str, str]] = ROLE_WORDS  # the domain keeps the template's words for its people

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

# ---- administration (the admin pages) ----------------------------------------------------------

CRITICALITY: dict[Criticality, tuple[str, str]] = {
    Criticality.CORE: ("核心功能", "core function"),
    Criticality.MAIN: ("主要功能", "main function"),
    Criticality.MINOR: ("次要功能", "minor function"),
}

# Text codes (not enums) the admin pages show: look them up with ``word(TABLE, code, lang)``.
CALENDAR_DAY: dict[str, tuple[str, str]] = {
    "holiday": ("节假日（休息）", "holiday (day off)"),
    "workday": ("工作日（调休上班）", "working day (swapped weekend)"),
}

TEMPLATE_KEY: dict[str, tuple[str, str]] = {
    "receipt": ("受理回执（致用户）", "receipt (to the reporter)"),
    "first_reply": ("首次反馈（致用户）", "first reply (to the reporter)"),
    "progress": ("进度同步（致用户）", "progress update (to the reporter)"),
    "progress_auto": ("自动进度同步（致用户）", "automatic progress update (to the reporter)"),
    "closing": ("闭环沟通（致用户）", "closing message (to the reporter)"),
    "closed": ("关闭说明（致用户）", "closed without a fix (to the reporter)"),
    "registered": ("新故障登记（致员工）", "fault registered (to staff)"),
    "p0_opened": ("P0 紧急响应（致员工）", "P0 opened (to staff)"),
    "severity_raised": ("级别上调（致员工）", "severity raised (to staff)"),
    "release_announced": ("发布公告（致员工）", "release announced (to staff)"),
    "fix_released": ("修复已发布（致用户）", "fix released (to the reporter)"),
    "clock_warning": ("时限预警（致员工）", "clock warning (to staff)"),
    "clock_breach": ("时限超时（致员工）", "clock breached (to staff)"),
    "update_reminder": ("进度同步提醒（致员工）", "update reminder (to staff)"),
}

NOTIFY_CHANNEL: dict[str, tuple[str, str]] = {  # where a message goes (not a report's channel)
    "email": ("电子邮件", "e-mail"),
    "sms": ("短信", "text message"),
    "webhook": ("网络回调", "webhook"),
    "dingtalk": ("钉钉群机器人", "DingTalk robot"),
    "feishu": ("飞书群机器人", "Feishu robot"),
    "wecom": ("企业微信群机器人", "WeCom robot"),
}

MESSAGE_STATE: dict[str, tuple[str, str]] = {
    "pending": ("待发送", "pending"),
    "sending": ("发送中", "sending"),
    "sent": ("已发送", "sent"),
    "dead": ("发送失败（死信）", "failed (dead letter)"),
}

LANGUAGE: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}


def word(table: dict[str, tuple[str, str]], code: str, lang: Language = "zh") -> str:
    """The word for a text code in one of the tables above; an unknown code shows as itself."""
    found = table.get(code)
    if found is None:
        return code
    return found[0] if lang == "zh" else found[1]


IMPROVEMENT_STATUS: dict[ActionStatus, tuple[str, str]] = {
    ActionStatus.OPEN: ("进行中", "open"),
    ActionStatus.DONE: ("已完成", "done"),
    ActionStatus.DROPPED: ("已放弃", "dropped"),
}

NETWORK: dict[Network, tuple[str, str]] = {
    Network.WIFI: ("WiFi", "Wi-Fi"),
    Network.CELLULAR_5G: ("5G", "5G"),
    Network.CELLULAR_4G: ("4G", "4G"),
    Network.CELLULAR_3G: ("3G", "3G"),
    Network.WIRED: ("有线网络", "wired"),
    Network.OFFLINE: ("无网络", "no connection"),
    Network.UNKNOWN: ("不清楚", "not sure"),
}

CHANNEL: dict[Channel, tuple[str, str]] = {
    Channel.APP: ("App 内反馈", "in the app"),
    Channel.WEB: ("网页", "web"),
    Channel.MINI_PROGRAM: ("小程序", "mini program"),
    Channel.HOTLINE: ("客服热线", "hotline"),
    Channel.OFFLINE: ("线下", "in person"),
}

_BY_TYPE: dict[type, dict[Any, tuple[str, str]]] = {
    FaultStatus: STATUS,
    Role: ROLE,
    Severity: SEVERITY,
    ClockKind: CLOCK,
    Criticality: CRITICALITY,
    ActionStatus: IMPROVEMENT_STATUS,
    Network: NETWORK,
    Channel: CHANNEL,
}


def label(code: Enum | None, lang: Language = "zh") -> str:
    """The word for a code in ``lang``; ``None`` is a fault not graded yet."""
    if code is None:
        return "未分级" if lang == "zh" else "not graded"
    zh, en = _BY_TYPE[type(code)][code]
    return zh if lang == "zh" else en

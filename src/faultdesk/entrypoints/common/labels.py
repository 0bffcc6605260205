"""The pages' words for every code (../shared/UI.md): states, roles, severities and clock kinds in
Chinese and English, the same word for the same thing on every page. Staff words only: reporters
see their own plain status words, and messages keep theirs in services/message_texts.py."""

from __future__ import annotations

from typing import Any

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import STATUS_WORDS, Criticality, FaultStatus, Severity
from faultdesk.domain.matching.documents import DocumentKind, MatchField
from faultdesk.domain.reports import Channel, ContactKind, Network
from faultdesk.domain.roles import ROLE_WORDS, Role
from faultdesk.domain.severity import Impact
from faultdesk.domain.sla import ClockKind, ClockState

Language = str  # "zh" or "en"

STATUS: dict[FaultStatus, tuple[str, str]] = STATUS_WORDS  # the domain's, read by its messages too

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

# ---- the fault page: actions, their fields and the values they take ------------------------

ACTION: dict[lc.Action, tuple[str, str]] = dict(lc.ACTION_WORDS)  # one table, read by the 409 too

STAGE: dict[lc.Stage, tuple[str, str]] = {
    lc.Stage.INTAKE: ("故障接收与初步登记", "intake and registration"),
    lc.Stage.ANALYSIS: ("故障分析与分级", "analysis and grading"),
    lc.Stage.HANDLING: ("跨部门协同处理", "handling"),
    lc.Stage.COMMUNICATION: ("用户沟通与进度同步", "reporter updates"),
    lc.Stage.VERIFICATION: ("故障解决与验证", "verification and release"),
    lc.Stage.ARCHIVE: ("闭环归档与复盘", "archive and retrospective"),
}

PLAN_KIND: dict[lc.PlanKind, tuple[str, str]] = {
    lc.PlanKind.EMERGENCY_PATCH: ("紧急修复上线", "emergency patch"),
    lc.PlanKind.WORKAROUND: ("临时规避方案", "workaround"),
    lc.PlanKind.NEXT_ITERATION: ("纳入下个迭代", "next iteration"),
}

CAUSE: dict[lc.CauseCategory, tuple[str, str]] = {
    lc.CauseCategory.CODE_LOGIC: ("代码逻辑错误", "code logic error"),
    lc.CauseCategory.INTERFACE_TIMEOUT: ("接口超时", "interface timeout"),
    lc.CauseCategory.THIRD_PARTY: ("第三方服务异常", "third-party service failure"),
    lc.CauseCategory.CONFIGURATION: ("配置错误", "configuration error"),
    lc.CauseCategory.DATA: ("数据问题", "data problem"),
    lc.CauseCategory.REQUIREMENT_GAP: ("需求遗漏", "requirement gap"),
    lc.CauseCategory.OTHER: ("其他", "other"),
}

RECURRENCE: dict[lc.Recurrence, tuple[str, str]] = {
    lc.Recurrence.NEW: ("新发问题", "new"),
    lc.Recurrence.RECURRENCE: ("复发性问题", "recurring"),
    lc.Recurrence.KNOWN_ISSUE: ("已知问题", "known issue"),
}

IMPACT: dict[Impact, tuple[str, str]] = {
    Impact.OUTAGE: ("功能完全不可用", "fully unavailable"),
    Impact.PARTIAL: ("功能部分异常", "partly broken"),
    Impact.COSMETIC: ("轻微异常", "slightly wrong"),
}

IMPROVEMENT_STATUS: dict[lc.ActionStatus, tuple[str, str]] = {
    lc.ActionStatus.OPEN: ("进行中", "open"),
    lc.ActionStatus.DONE: ("已完成", "done"),
    lc.ActionStatus.DROPPED: ("已放弃", "dropped"),
}

CLOCK_STATE: dict[ClockState, tuple[str, str]] = {
    ClockState.RUNNING: ("计时中", "running"),
    ClockState.PAUSED: ("已暂停", "paused"),
    ClockState.MET: ("已达成", "met"),
    ClockState.BREACHED: ("已超时", "breached"),
}

REPORT_CHANNEL: dict[Channel, tuple[str, str]] = {
    Channel.APP: ("应用内（App）", "app"),
    Channel.WEB: ("网站", "website"),
    Channel.MINI_PROGRAM: ("小程序", "mini-program"),
    Channel.HOTLINE: ("客服热线", "hotline"),
    Channel.OFFLINE: ("线下反馈", "in person"),
}

CONTACT_KIND: dict[ContactKind, tuple[str, str]] = {
    ContactKind.PHONE: ("手机号", "phone"),
    ContactKind.EMAIL: ("邮箱", "e-mail"),
}

# The confirm action's outcomes (the reporter's 恢复了 / 仍有问题).
OUTCOME: dict[str, tuple[str, str]] = {
    "recovered": ("已恢复", "recovered"),
    "still_broken": ("仍有问题", "still broken"),
}

# Where a message went (the outbox's channels) and how far it got.
DELIVERY_CHANNEL: dict[str, tuple[str, str]] = {
    "email": ("邮件", "e-mail"),
    "sms": ("短信", "SMS"),
    "dingtalk": ("钉钉群", "DingTalk group"),
    "feishu": ("飞书群", "Feishu group"),
    "wecom": ("企业微信群", "WeCom group"),
    "webhook": ("Webhook", "webhook"),
    "page": ("查询页", "tracking page"),
}
DELIVERY_STATE: dict[str, tuple[str, str]] = {
    "pending": ("待发送", "waiting to be sent"),
    "sending": ("发送中", "being sent"),
    "sent": ("已送达", "delivered"),
    "dead": ("发送失败", "failed"),
    "shown": ("无法联系，仅在查询页显示", "cannot be reached: on the tracking page only"),
}
MESSAGE_KIND: dict[str, tuple[str, str]] = {
    "receipt": ("受理回执", "receipt"),
    "first_reply": ("首次反馈", "first reply"),
    "progress": ("进度同步", "progress update"),
    "progress_auto": ("自动进度同步", "automatic progress update"),
    "closing": ("闭环沟通", "closing message"),
    "closed": ("关闭通知", "closing notice"),
    "registered": ("新故障通知", "new-fault notice"),
    "p0_opened": ("P0 紧急通知", "P0 alert"),
    "severity_raised": ("级别调整通知", "severity notice"),
    "release_announced": ("上线公告", "release announcement"),
    "fix_released": ("修复上线通知", "fix released notice"),
    "fix_planned": ("修复版本预告", "fix version promise"),
    "fix_shipped": ("修复版本上线通知", "fix version out notice"),
    "clock_warning": ("即将超时提醒", "due-soon warning"),
    "clock_breach": ("超时升级通知", "breach escalation"),
    "update_reminder": ("进度同步提醒", "update reminder"),
    "reporter_added": ("用户补充信息", "reporter added information"),
}

# Every field of every action body, as a form labels it.
FIELD: dict[str, tuple[str, str]] = {
    "recurrence": ("复发判断", "recurrence"),
    "impact": ("影响程度", "impact"),
    "revenue_impact": ("影响业务收入", "revenue affected"),
    "related_fault": ("原故障单编号", "earlier fault number"),
    "known_issue": ("已知问题编号/版本说明", "known issue reference"),
    "notes": ("备注", "notes"),
    "severity": ("故障级别", "severity"),
    "reason": ("理由", "reason"),
    "owners": ("各阶段负责人", "owners per stage"),
    "team_lead": ("专项小组负责人", "special team lead"),
    "team_members": ("专项小组成员", "special team members"),
    "note": ("说明", "note"),
    "cause": ("问题原因", "cause"),
    "category": ("原因类别", "cause category"),
    "kind": ("解决方案类型", "plan kind"),
    "description": ("方案说明", "description"),
    "deadline": ("完成时限", "deadline"),
    "approved": ("评审结论", "verdict"),
    "comments": ("评审意见", "comments"),
    "reviewers": ("评审人", "reviewers"),
    "cases": ("验证用例", "test cases"),
    "key": ("用例编号", "case key"),
    "title": ("标题", "title"),
    "expected": ("预期结果", "expected result"),
    "fix_version": ("修复版本", "fix version"),
    "results": ("验证结果", "results"),
    "passed": ("通过", "passed"),
    "outcome": ("用户反馈结果", "reporter's answer"),
    "comment": ("说明", "comment"),
    "percentage": ("灰度比例（%）", "gray share (%)"),
    "at": ("时间", "time"),
    "version": ("版本号", "version"),
    "announcement": ("上线公告", "announcement"),
    "solution": ("解决方案", "solution"),
    "reporter_feedback": ("用户反馈", "reporter's feedback"),
    "satisfaction": ("满意度（1–5）", "satisfaction (1–5)"),
    "analysis": ("复盘分析", "analysis"),
    "actions": ("改进措施", "improvement actions"),
    "owner_id": ("负责人", "owner"),
    "due": ("截止日期", "due date"),
    "article": ("知识库文章", "knowledge-base article"),
    "symptoms": ("故障现象", "symptoms"),
    "fix": ("修复方法", "fix"),
    "workaround": ("临时规避方法", "workaround"),
    "tags": ("标签（逗号分隔）", "tags (comma-separated)"),
    "into": ("合并到故障单编号", "merge into fault number"),
    "text": ("内容", "text"),
    "first_reply": ("首次反馈", "first reply"),
    "version_conflict": ("版本", "version"),
}

# The words of an enum field's values, by the field's name (a form's select shows these).
VALUES_OF_FIELD: dict[str, dict[Any, tuple[str, str]]] = {
    "recurrence": RECURRENCE,
    "impact": IMPACT,
    "category": CAUSE,
    "kind": PLAN_KIND,
    "outcome": OUTCOME,
    "severity": {s.name: SEVERITY[s] for s in Severity},
    "owners": STAGE,
}


def words(table: dict[Any, tuple[str, str]], code: Any, lang: Language = "zh") -> str:
    """A code's word from ``table``; a code the table lacks shows as itself (never an error page)."""
    pair = table.get(code)
    if pair is None:
        return str(code)
    return pair[0] if lang == "zh" else pair[1]


class BoundWords(dict[Any, str]):
    """A table's words in one language, for code that looks up many (an export's million rows):
    ``bound[code]`` answers what ``words(table, code, lang)`` answers, a missing code as itself."""

    def __missing__(self, code: Any) -> str:
        return str(code)


def bound_words(table: dict[Any, tuple[str, str]], lang: Language) -> BoundWords:
    return BoundWords({code: words(table, code, lang) for code in table})


def field_label(name: str, lang: Language = "zh") -> str:
    return words(FIELD, name, lang)


def value_label(field_name: str, value: Any, lang: Language = "zh") -> str:
    """The word for one value of an enum field (a StrEnum's value and the enum member alike)."""
    return words(VALUES_OF_FIELD.get(field_name, {}), value, lang)


# ---- administration and the reporter's form ----

CRITICALITY: dict[Criticality, tuple[str, str]] = {
    Criticality.CORE: ("核心功能", "core function"),
    Criticality.MAIN: ("主要功能", "main function"),
    Criticality.MINOR: ("次要功能", "minor function"),
}

# Text codes (not enums) the admin pages show: look them up with ``words(TABLE, code, lang)``.
CALENDAR_DAY: dict[str, tuple[str, str]] = {
    "holiday": ("节假日（休息）", "holiday (day off)"),
    "workday": ("工作日（调休上班）", "working day (swapped weekend)"),
}

# The admin's template list names each message kind with whom it goes to (one table of words: MESSAGE_KIND).
TO_REPORTER = frozenset(
    {
        "receipt",
        "first_reply",
        "progress",
        "progress_auto",
        "closing",
        "closed",
        "fix_released",
        "fix_planned",
        "fix_shipped",
    }
)
TEMPLATE_KEY: dict[str, tuple[str, str]] = {
    key: (f"{zh}（致用户）", f"{en} (to the reporter)")
    if key in TO_REPORTER
    else (f"{zh}（致员工）", f"{en} (to staff)")
    for key, (zh, en) in MESSAGE_KIND.items()
}

NETWORK: dict[Network, tuple[str, str]] = {
    Network.WIFI: ("WiFi 连接", "Wi-Fi"),
    Network.CELLULAR_5G: ("5G 移动网络", "5G mobile"),
    Network.CELLULAR_4G: ("4G 移动网络", "4G mobile"),
    Network.CELLULAR_3G: ("3G 移动网络", "3G mobile"),
    Network.WIRED: ("有线网络", "wired"),
    Network.OFFLINE: ("无网络", "offline"),
    Network.UNKNOWN: ("不清楚", "unknown"),
}

LANGUAGE: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}


# Known-issue candidates: what kind of earlier record matched, and in which of its fields.
MATCH_KIND: dict[DocumentKind, tuple[str, str]] = {
    DocumentKind.FAULT: ("故障单", "fault"),
    DocumentKind.REPORT: ("反馈", "report"),
    DocumentKind.KB: ("知识库文章", "knowledge-base article"),
    DocumentKind.RELEASE: ("版本更新日志", "release notes"),
}

MATCH_FIELD: dict[MatchField, tuple[str, str]] = {
    MatchField.TITLE: ("现象", "symptom"),
    MatchField.SCENARIO: ("场景", "scenario"),
    MatchField.BODY: ("描述", "description"),
    MatchField.LOG: ("日志", "log"),
    MatchField.DEVICE: ("设备", "device"),
    MatchField.VERSION: ("版本", "version"),
    MatchField.PRODUCT: ("产品功能", "product"),
}


_BY_TYPE: dict[type, dict[Any, tuple[str, str]]] = {
    FaultStatus: STATUS,
    Role: ROLE,
    Severity: SEVERITY,
    ClockKind: CLOCK,
    lc.Action: ACTION,
    lc.Stage: STAGE,
    lc.PlanKind: PLAN_KIND,
    lc.CauseCategory: CAUSE,
    lc.Recurrence: RECURRENCE,
    lc.ActionStatus: IMPROVEMENT_STATUS,
    Impact: IMPACT,
    ClockState: CLOCK_STATE,
    Channel: REPORT_CHANNEL,
    ContactKind: CONTACT_KIND,
    Criticality: CRITICALITY,
    Network: NETWORK,
    DocumentKind: MATCH_KIND,
    MatchField: MATCH_FIELD,
}


def label(code: Any, lang: Language = "zh") -> str:
    """The word for a code in ``lang``; ``None`` is a fault not graded yet."""
    if code is None:
        return "未分级" if lang == "zh" else "not graded"
    zh, en = _BY_TYPE[type(code)][code]
    return zh if lang == "zh" else en


# ---- the record table 故障反馈处理记录表 (issue 13): its columns and the words of its cells ----

# The template's fields in its order, then the ones its truncated table calls for (登记时间, 反馈数,
# 故障标题): an import needs them to give the same table back.
RECORD_COLUMN: dict[str, tuple[str, str]] = {
    "number": ("故障编号", "Fault number"),
    "received_at": ("反馈时间", "Reported at"),
    "channel": ("反馈渠道", "Channel"),
    "user_info": ("用户信息", "Reporter (masked)"),
    "occurred_at": ("故障发生时间", "Occurred at"),
    "scenario": ("故障场景", "Scenario"),
    "symptom": ("故障现象", "Symptom"),
    "device_model": ("设备型号", "Device model"),
    "versions": ("系统/应用版本", "OS / app version"),
    "network": ("网络环境", "Network"),
    "type": ("故障类型", "Fault type"),
    "severity": ("严重程度", "Severity"),
    "recurrence": ("是否复发", "Recurrence"),
    "impact_users": ("影响用户数", "Affected users"),
    "status": ("当前状态", "Status"),
    "owners": ("各阶段责任人", "Owners by stage"),
    "cause": ("故障原因", "Cause"),
    "solution": ("解决方案", "Solution"),
    "fix_version": ("修复版本", "Fix version"),
    "release": ("发布方式", "Release"),
    "first_response_at": ("首次响应时间", "First response at"),
    "resolved_at": ("解决时间", "Resolved at"),
    "handling": ("处理时长", "Time to resolve"),
    "clocks": ("时效达成", "Clocks met"),
    "confirmed": ("用户确认", "Reporter confirmed"),
    "satisfaction": ("用户满意度", "Satisfaction"),
    "retrospective": ("复盘结论", "Retrospective"),
    "improvements": ("改进措施", "Improvement actions"),
    "archived_at": ("归档时间", "Archived at"),
    "registered_at": ("登记时间", "Registered at"),
    "report_count": ("反馈数", "Reports"),
    "title": ("故障标题", "Title"),
}

RELEASE_METHOD: dict[str, tuple[str, str]] = {
    "gray_then_full": ("灰度发布 → 全量发布", "gray, then full release"),
    "full": ("全量发布", "full release"),
    "with_fix": ("随修复上线", "shipped with the fix"),
}

CONFIRMATION: dict[bool, tuple[str, str]] = {True: ("已恢复", "recovered"), False: ("仍有问题", "still broken")}

EXPORT_STATE: dict[str, tuple[str, str]] = {
    "queued": ("排队中", "queued"),
    "running": ("导出中", "running"),
    "done": ("已完成", "done"),
    "failed": ("失败", "failed"),
}

EXPORT_FORMAT: dict[str, tuple[str, str]] = {"csv": ("CSV", "CSV"), "xlsx": ("Excel (.xlsx)", "Excel (.xlsx)")}

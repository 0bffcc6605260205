"""The reporter's words for where their report stands (../shared/UI.md): seven plain states, never a
staff stage name. One table over every ``FaultStatus``, so a new state cannot go unworded; along
the lifecycle the words only move forward (``PROGRESS``), a reopen ("still broken") aside."""

from __future__ import annotations

from enum import StrEnum

from faultdesk.domain.faults import FaultStatus


class ReporterStatus(StrEnum):
    RECEIVED = "received"  # 已受理: in, not yet (or just) registered
    HANDLING = "handling"  # 处理中: being analysed, located, planned
    FIXING = "fixing"  # 修复中: being fixed, verified or rolled out
    CONFIRM = "confirm"  # 待您确认: the reporter is asked whether it works again
    FIXED = "fixed"  # 已修复: it works again (confirmed); the fix is rolling out to everyone
    RESOLVED = "resolved"  # 已解决
    CLOSED = "closed"  # 已关闭: closed without a fix (not a fault, cannot reproduce)


WORDS: dict[ReporterStatus, tuple[str, str]] = {
    ReporterStatus.RECEIVED: ("已受理", "Received"),
    ReporterStatus.HANDLING: ("处理中", "Being handled"),
    ReporterStatus.FIXING: ("修复中", "Being fixed"),
    ReporterStatus.CONFIRM: ("待您确认", "Please confirm"),
    ReporterStatus.FIXED: ("已修复", "Fixed"),
    ReporterStatus.RESOLVED: ("已解决", "Resolved"),
    ReporterStatus.CLOSED: ("已关闭", "Closed"),
}

# What each state tells the reporter, a line under the status word.
EXPLAINED: dict[ReporterStatus, tuple[str, str]] = {
    ReporterStatus.RECEIVED: ("我们已收到您的反馈，正在登记。", "We have your report and are registering it."),
    ReporterStatus.HANDLING: ("我们正在分析和定位问题。", "We are analysing the problem and looking for its cause."),
    ReporterStatus.FIXING: ("问题已找到，正在修复。", "We found the problem and are fixing it."),
    ReporterStatus.CONFIRM: (
        "我们已修复该问题，请告诉我们在您那里是否已恢复。",
        "We fixed the problem: please tell us whether it works for you again.",
    ),
    ReporterStatus.FIXED: (
        "问题已修复，修复版本正在陆续发布给所有用户。",
        "The problem is fixed; the fix is being rolled out to everyone.",
    ),
    ReporterStatus.RESOLVED: ("问题已解决，感谢您的反馈。", "The problem is resolved. Thank you for reporting it."),
    ReporterStatus.CLOSED: (
        "该反馈已关闭，具体说明见下方消息。",
        "This report is closed; the messages below say why.",
    ),
}

BY_FAULT_STATUS: dict[FaultStatus, ReporterStatus] = {
    FaultStatus.REGISTERED: ReporterStatus.RECEIVED,
    FaultStatus.TRIAGING: ReporterStatus.HANDLING,
    FaultStatus.LOCATING: ReporterStatus.HANDLING,
    FaultStatus.PLANNING: ReporterStatus.HANDLING,
    FaultStatus.PLAN_REVIEW: ReporterStatus.HANDLING,
    FaultStatus.FIXING: ReporterStatus.FIXING,
    FaultStatus.VERIFYING: ReporterStatus.FIXING,
    FaultStatus.AWAITING_CONFIRMATION: ReporterStatus.CONFIRM,
    # reached only by a confirmed recovery: never back to 修复中 after the reporter's 已恢复
    FaultStatus.RELEASING: ReporterStatus.FIXED,
    FaultStatus.RESOLVED: ReporterStatus.RESOLVED,
    FaultStatus.ARCHIVED: ReporterStatus.RESOLVED,  # archived only from resolved
    FaultStatus.DUPLICATE: ReporterStatus.HANDLING,  # merged: its reports follow the surviving fault
    FaultStatus.NOT_A_FAULT: ReporterStatus.CLOSED,
    FaultStatus.CANNOT_REPRODUCE: ReporterStatus.CLOSED,
}


# The order a report moves through (closed, beside it, ends it): a step of the lifecycle other than
# a reopen never moves a reporter's word back in this order.
PROGRESS: tuple[ReporterStatus, ...] = (
    ReporterStatus.RECEIVED,
    ReporterStatus.HANDLING,
    ReporterStatus.FIXING,
    ReporterStatus.CONFIRM,
    ReporterStatus.FIXED,
    ReporterStatus.RESOLVED,
)


def reporter_status(status: FaultStatus | None) -> ReporterStatus:
    """``None``: the report is not registered as a fault yet."""
    return ReporterStatus.RECEIVED if status is None else BY_FAULT_STATUS[status]


def status_words(status: FaultStatus | None, lang: str) -> tuple[str, str]:
    """(the status word, its explanation) in ``lang``."""
    state = reporter_status(status)
    word, line = WORDS[state], EXPLAINED[state]
    return (word[0], line[0]) if lang == "zh" else (word[1], line[1])

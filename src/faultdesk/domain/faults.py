"""The fault (故障单): what many reports of one problem become once registered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum


class Severity(IntEnum):
    P0 = 0  # 紧急: lower value = more urgent; queue ordering relies on it
    P1 = 1  # 重要
    P2 = 2  # 一般


class Criticality(StrEnum):
    """How much a product function matters; feeds the severity suggestion (DESIGN §1)."""

    CORE = "core"  # 核心功能: payment, login
    MAIN = "main"  # 主要功能
    MINOR = "minor"  # 次要功能


class FaultStatus(StrEnum):
    """Every state of the lifecycle (DESIGN §3); the transitions live in lifecycle.py."""

    REGISTERED = "registered"
    TRIAGING = "triaging"
    LOCATING = "locating"
    PLANNING = "planning"
    PLAN_REVIEW = "plan_review"
    FIXING = "fixing"
    VERIFYING = "verifying"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    RELEASING = "releasing"
    RESOLVED = "resolved"
    ARCHIVED = "archived"
    DUPLICATE = "duplicate"
    NOT_A_FAULT = "not_a_fault"
    CANNOT_REPRODUCE = "cannot_reproduce"


# The staff's words for each state (the reporter's are simpler: domain/reporter_status.py).
STATUS_WORDS: dict[FaultStatus, tuple[str, str]] = {
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


@dataclass(frozen=True)
class FaultType:
    code: str  # two digits, the TT of the number
    label_zh: str
    label_en: str
    active: bool = True


DEFAULT_FAULT_TYPES: tuple[FaultType, ...] = (
    FaultType("01", "功能异常", "Functional fault"),
    FaultType("02", "性能问题", "Performance"),
    FaultType("03", "界面显示", "Display"),
    FaultType("04", "数据异常", "Data"),
    FaultType("05", "兼容性", "Compatibility"),
    FaultType("06", "安全", "Security"),
    FaultType("99", "其他", "Other"),
)


@dataclass
class Fault:
    number: str
    type_code: str
    title: str
    status: FaultStatus
    registered_at: datetime
    registered_by: int
    severity: Severity | None = None  # set at grading (stage 2)
    product_code: str | None = None
    function_code: str | None = None
    affected_users: int = 0  # distinct reporters over the linked reports
    estimated_users: int | None = None
    estimate_source: str | None = None
    version: int = 1
    id: int | None = None


def distinct_reporters(reporter_keys: list[str | None]) -> int:
    """Affected users counted by distinct reporter; anonymous reports count one each."""
    named = {k for k in reporter_keys if k}
    return len(named) + sum(1 for k in reporter_keys if not k)

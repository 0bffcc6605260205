"""Severity suggestion (DESIGN §1): rules propose, the tech lead confirms or overrides."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from faultdesk.domain.faults import Criticality, Severity


class Impact(StrEnum):
    """How badly the function is hit, as the PM judged it at analysis."""

    OUTAGE = "outage"  # 完全不可用
    PARTIAL = "partial"  # 部分异常
    COSMETIC = "cosmetic"  # 轻微异常


@dataclass(frozen=True)
class SeverityRules:
    p1_users: int = 100  # 100–1000 users: P1
    p0_users: int = 1000  # more than 1000 users: P0


@dataclass(frozen=True)
class Reason:
    en: str
    zh: str


@dataclass(frozen=True)
class Suggestion:
    severity: Severity
    reasons: tuple[Reason, ...]


def suggest_severity(
    *,
    criticality: Criticality | None,
    impact: Impact | None,
    affected_users: int,
    revenue_impact: bool,
    rules: SeverityRules = SeverityRules(),
) -> Suggestion:
    """The most urgent grade any rule reaches, with every rule that reached it."""
    found: dict[Severity, list[Reason]] = {Severity.P0: [], Severity.P1: [], Severity.P2: []}
    if criticality is Criticality.CORE and impact is Impact.OUTAGE:
        found[Severity.P0].append(Reason("a core function is fully unavailable", "核心功能完全不可用"))
    if affected_users > rules.p0_users:
        found[Severity.P0].append(
            Reason(
                f"{affected_users} users affected (> {rules.p0_users})",
                f"影响 {affected_users} 用户（超过 {rules.p0_users}）",
            )
        )
    if revenue_impact:
        found[Severity.P0].append(Reason("revenue is affected", "影响业务收入"))
    if criticality in (Criticality.CORE, Criticality.MAIN) and impact in (Impact.OUTAGE, Impact.PARTIAL):
        found[Severity.P1].append(Reason("a main function is partly broken", "主要功能部分异常"))
    if rules.p1_users <= affected_users <= rules.p0_users:
        found[Severity.P1].append(
            Reason(
                f"{affected_users} users affected ({rules.p1_users}–{rules.p0_users})",
                f"影响 {affected_users} 用户（{rules.p1_users}–{rules.p0_users}）",
            )
        )
    for severity in (Severity.P0, Severity.P1):
        if found[severity]:
            return Suggestion(severity, tuple(found[severity]))
    return Suggestion(
        Severity.P2,
        (Reason(f"a minor issue affecting {affected_users} users", f"次要功能轻微异常，影响 {affected_users} 用户"),),
    )

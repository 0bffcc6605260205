"""The pages' signals (../shared/UI.md), one rule each: how a clock's time left reads and which tone
it has. The browser counts down from the same due time with the same thresholds (static/js/app.js)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

AMBER_BELOW_S = 3600  # under 1 h
RED_BELOW_S = 1800  # under 30 min


@dataclass(frozen=True)
class TimeLeft:
    tone: str  # plain | amber | red | breached | paused | met
    zh: str
    en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def span(seconds: float) -> tuple[str, str]:
    """A duration in words, to the minute ("1 小时 5 分钟" / "1 h 5 min")."""
    minutes = max(int(abs(seconds) // 60), 0)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    zh = "".join(
        [
            f"{days} 天 " if days else "",
            f"{hours} 小时 " if hours else "",
            f"{mins} 分钟" if mins or not (days or hours) else "",
        ]
    ).strip()
    en = " ".join(
        [
            f"{days} d" if days else "",
            f"{hours} h" if hours else "",
            f"{mins} min" if mins or not (days or hours) else "",
        ]
    )
    return zh, " ".join(en.split())


def time_left(due: datetime, now: datetime, *, paused: bool = False, met: bool = False) -> TimeLeft:
    if met:
        return TimeLeft("met", "✓ 已达成", "✓ met")
    left = (due - now).total_seconds()
    zh, en = span(left)
    if paused:
        return TimeLeft("paused", f"⏸ 已暂停（剩余 {zh}）", f"⏸ paused ({en} left)")
    if left < 0:
        return TimeLeft("breached", f"超时 {zh}", f"{en} overdue")
    tone = "red" if left < RED_BELOW_S else "amber" if left < AMBER_BELOW_S else "plain"
    return TimeLeft(tone, f"剩余 {zh}", f"{en} left")

"""Delivery rules: when to try a failed message again, and when to stop (dead letter)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_ATTEMPTS = 8
BASE = timedelta(seconds=30)
CAP = timedelta(hours=1)


def next_attempt(attempts_so_far: int, now: datetime, rng: random.Random) -> datetime | None:
    """Exponential backoff with full jitter (30 s, 1 min, 2 min … capped at 1 h); None: give up."""
    if attempts_so_far + 1 >= MAX_ATTEMPTS:
        return None
    ceiling = min(CAP, BASE * (2**attempts_so_far))
    return now + timedelta(seconds=rng.uniform(ceiling.total_seconds() / 2, ceiling.total_seconds()))


def single_line(text: str, limit: int = 300) -> str:
    """Text fit for a header or a subject line: every run of white space (line breaks, tabs, the
    Unicode separators) folds to one space and control characters go, so no input can break a
    header or inject another; long text is cut at ``limit`` with an ellipsis."""
    folded = " ".join("".join(ch if ch.isprintable() or ch.isspace() else " " for ch in text).split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"

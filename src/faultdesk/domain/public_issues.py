"""Public known issues (issue 12.2): what end users may read of a fault, and which faults a
reporter may follow from the report form instead of filing a separate one.

A fault is public when an agent, PM or admin gave it a public title and a status written for end
users; its internal title never leaves the staff's pages. A reporter follows a public fault that
is still being worked on, or a resolved P2 still waiting for the version that ships its fix (the
follower hears when it is out)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faultdesk.domain.errors import FieldProblem, RuleViolation
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import OPEN_STATES

PUBLIC_TITLE_MAX = 200
PUBLIC_STATUS_MAX = 1000
SUGGEST_MIN_CHARS = 3  # the form asks from the third character typed
SUGGEST_MAX_CHARS = 500  # the symptom field's own limit
_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # a status may keep line breaks


@dataclass(frozen=True)
class PublicWords:
    title: str
    status: str


def public_words(title: str | None, status: str | None) -> PublicWords:
    """The public title (one line) and status text, trimmed; every problem at once."""
    problems: list[FieldProblem] = []
    clean = []
    for name, value, limit, control in (
        ("public_title", title, PUBLIC_TITLE_MAX, _IN_LINE),
        ("public_status", status, PUBLIC_STATUS_MAX, _IN_TEXT),
    ):
        text = (value or "").strip()
        if not text:
            problems.append(FieldProblem(name, "is empty", "不能为空"))
        elif len(text) > limit:
            problems.append(FieldProblem(name, f"at most {limit} characters", f"长度不能超过 {limit} 个字符"))
        elif control.search(text):
            problems.append(
                FieldProblem(name, "must not contain NUL or other control characters", "不能包含 NUL 等控制字符")
            )
        clean.append(text)
    if problems:
        raise RuleViolation(problems)
    return PublicWords(clean[0], clean[1])


def followable(status: FaultStatus, *, public: bool, waiting_release: str | None) -> bool:
    """A reporter may join this fault from the report form."""
    waiting = status in (FaultStatus.RESOLVED, FaultStatus.ARCHIVED) and waiting_release is not None
    return public and (status in OPEN_STATES or waiting)


def publishable(status: FaultStatus) -> bool:
    """A fault may be made public (or its public words changed) while it is worked on, and once
    resolved or archived: then the report form shows its knowledge-base article (symptoms and
    workaround) and lets a reporter follow a P2 still waiting for the version that ships its
    fix. A fault closed without a fix (not a fault, cannot reproduce) or merged has nothing to
    show; withdrawing is always allowed."""
    return status in OPEN_STATES or status in (FaultStatus.RESOLVED, FaultStatus.ARCHIVED)

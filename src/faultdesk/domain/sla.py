"""Response clocks (DESIGN §1): what each stage promises, when it warns, breaches and escalates.

Pure: the service layer decides when a clock starts or is met; this module does the arithmetic
and the state changes. A clock is running, paused, met or breached. A breached clock keeps
escalating along the chain (owner → tech lead → admin by default) until it is met or the chain
ends. ``next_fire_at`` is the one instant the worker must look at it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from faultdesk.domain.calendars import (
    ALWAYS,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    end_of_working_day,
    next_local_time,
)
from faultdesk.domain.faults import Severity


class ClockKind(StrEnum):
    REGISTER = "register"  # a report is registered ≤ 0.5 h after it arrives
    GRADE = "grade"  # graded ≤ 1 h after registration
    FIRST_REPLY = "first_reply"  # first reply to reporters ≤ 1 h after registration
    RESPONSE = "response"  # P0 acknowledged ≤ 15 min, P1 same working day, P2 ≤ 48 h
    UPDATE = "update"  # progress update to reporters: P0 2 h, P1 6 h, P2 daily 17:00
    VERIFY = "verify"  # verified ≤ 1 h after the fix is ready
    ARCHIVE = "archive"  # archived ≤ 24 h after resolution
    RETROSPECT = "retrospect"  # retrospective ≤ 24 h after resolution
    IMPROVEMENT = "improvement"  # an improvement action by its due date


class ClockState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"


class Mode(StrEnum):
    ALWAYS = "24x7"
    BUSINESS = "business"


@dataclass(frozen=True)
class Budget:
    """How long a clock runs: a span, close of business ("same working day"), or a daily time
    (every day when ``mode`` is 24×7, on working days when it is business)."""

    span: timedelta | None = None
    mode: Mode = Mode.BUSINESS
    same_working_day: bool = False
    daily_at: time | None = None


def _b(minutes: int, mode: Mode = Mode.BUSINESS) -> Budget:
    return Budget(span=timedelta(minutes=minutes), mode=mode)


A, B = Mode.ALWAYS, Mode.BUSINESS
DEFAULT_BUDGETS: dict[tuple[ClockKind, Severity | None], Budget] = {
    (ClockKind.REGISTER, None): _b(30),
    (ClockKind.GRADE, None): _b(60),
    (ClockKind.FIRST_REPLY, None): _b(60),
    (ClockKind.RESPONSE, Severity.P0): _b(15, A),
    (ClockKind.RESPONSE, Severity.P1): Budget(same_working_day=True),
    (ClockKind.RESPONSE, Severity.P2): _b(48 * 60, A),
    (ClockKind.UPDATE, Severity.P0): _b(120, A),
    (ClockKind.UPDATE, Severity.P1): _b(360, A),  # 每6小时: around the clock, as the template says
    (ClockKind.UPDATE, Severity.P2): Budget(daily_at=time(17, 0), mode=A),  # 每日17:00: every day
    (ClockKind.VERIFY, Severity.P0): _b(60, A),
    (ClockKind.VERIFY, None): _b(60),
    (ClockKind.ARCHIVE, None): _b(24 * 60, A),
    (ClockKind.RETROSPECT, None): _b(24 * 60, A),
}


@dataclass(frozen=True)
class ClockPolicy:
    budgets: dict[tuple[ClockKind, Severity | None], Budget] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    warn_share: float = 0.8  # warn when this share of the clock's time has gone
    chain: tuple[str, ...] = ("owner", "tech_lead", "admin")  # who hears of a breach, level by level
    escalate_every: timedelta = timedelta(minutes=30)  # between escalation levels
    escalate_every_p0: timedelta = timedelta(minutes=10)

    def budget(self, kind: ClockKind, severity: Severity | None) -> Budget:
        found = self.budgets.get((kind, severity)) or self.budgets.get((kind, None))
        if found is None:
            raise KeyError(f"no budget for {kind.value} at {severity}")
        return found


@dataclass(frozen=True)
class SlaClock:
    """A response clock (SLA timer) of one stage; named apart from the time source `domain.clock.Clock`."""

    kind: ClockKind
    severity: Severity | None
    mode: Mode
    started_at: datetime
    due_at: datetime
    warn_at: datetime | None
    state: ClockState = ClockState.RUNNING
    next_fire_at: datetime | None = None
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None
    paused_at: datetime | None = None
    remaining: timedelta | None = None  # business time left, kept while paused
    escalation_level: int = 0  # 0: none yet; n: the n-th link of the chain was told


@dataclass(frozen=True)
class Firing:
    """What the worker must announce after firing a clock."""

    kind: str  # "warning" | "breach" | "escalation"
    level: int  # 0 for a warning, else the chain link told (1 = owner)
    recipient_role: str  # the chain entry: owner / tech_lead / admin


def calendar_for(mode: Mode, cal: BusinessCalendar) -> BusinessCalendar:
    return ALWAYS if mode is Mode.ALWAYS else cal


def start_clock(
    kind: ClockKind,
    severity: Severity | None,
    at: datetime,
    policy: ClockPolicy,
    cal: BusinessCalendar,
    *,
    due_at: datetime | None = None,
) -> SlaClock:
    """A running clock from ``at``; ``due_at`` overrides the policy (improvement actions' due dates)."""
    budget = policy.budget(kind, severity) if due_at is None else Budget(mode=Mode.ALWAYS)
    mode = Mode.ALWAYS if severity is Severity.P0 and kind is not ClockKind.UPDATE else budget.mode
    clock_cal = calendar_for(mode, cal)
    if due_at is None:
        if budget.same_working_day:
            due_at = end_of_working_day(at, cal)
            mode = Mode.BUSINESS
            clock_cal = cal
        elif budget.daily_at is not None:
            due_at = next_local_time(at, budget.daily_at, cal, workdays_only=budget.mode is Mode.BUSINESS)
        else:
            assert budget.span is not None
            due_at = add_business_time(at, budget.span, clock_cal)
    warn_at = _warn_at(at, due_at, policy.warn_share, clock_cal)
    clock = SlaClock(kind, severity, mode, at, due_at, warn_at)
    return replace(clock, next_fire_at=_next_fire(clock))


def _warn_at(start: datetime, due: datetime, share: float, cal: BusinessCalendar) -> datetime | None:
    if not 0 < share < 1:
        return None
    total = business_time_between(start, due, cal)
    return add_business_time(start, total * share, cal)


def _next_fire(clock: SlaClock) -> datetime | None:
    if clock.state is ClockState.RUNNING:
        if clock.warn_at and clock.warned_at is None and clock.warn_at < clock.due_at:
            return clock.warn_at
        return clock.due_at
    return None


def fire(clock: SlaClock, now: datetime, policy: ClockPolicy) -> tuple[SlaClock, list[Firing]]:
    """Advance a clock whose ``next_fire_at`` has come: warn, breach, or escalate one level."""
    if clock.next_fire_at is None or now < clock.next_fire_at:
        return clock, []
    if clock.state is ClockState.RUNNING and now < clock.due_at:
        warned = replace(clock, warned_at=now)
        return replace(warned, next_fire_at=_next_fire(warned)), [Firing("warning", 0, policy.chain[0])]
    if clock.state in (ClockState.RUNNING, ClockState.BREACHED):
        level = clock.escalation_level + 1
        if level > len(policy.chain):
            return replace(clock, next_fire_at=None), []
        every = policy.escalate_every_p0 if clock.severity is Severity.P0 else policy.escalate_every
        later = now + every if level < len(policy.chain) else None
        kind = "breach" if level == 1 else "escalation"
        fired = replace(
            clock,
            state=ClockState.BREACHED,
            breached_at=clock.breached_at or now,
            escalation_level=level,
            next_fire_at=later,
        )
        return fired, [Firing(kind, level, policy.chain[level - 1])]
    return replace(clock, next_fire_at=None), []


def meet(clock: SlaClock, now: datetime) -> SlaClock:
    """The promise was kept (or, for a breached clock, finally kept): no more firing."""
    if clock.state is ClockState.MET:
        return clock
    state = ClockState.BREACHED if clock.state is ClockState.BREACHED else ClockState.MET
    return replace(clock, state=state, met_at=now, next_fire_at=None)


def first_reply_owed(clocks: Iterable[SlaClock]) -> bool:
    """The fault's first reply is still to be sent: its clock runs (met by a first reply, by any
    update, or when the fault was resolved or closed)."""
    return any(c.kind is ClockKind.FIRST_REPLY and c.met_at is None for c in clocks)


def pause(clock: SlaClock, now: datetime, cal: BusinessCalendar) -> SlaClock:
    """Stop the clock (e.g. waiting for the reporter), keeping the business time left."""
    if clock.state is not ClockState.RUNNING:
        return clock
    left = business_time_between(now, clock.due_at, calendar_for(clock.mode, cal))
    return replace(clock, state=ClockState.PAUSED, paused_at=now, remaining=left, next_fire_at=None)


def resume(clock: SlaClock, now: datetime, policy: ClockPolicy, cal: BusinessCalendar) -> SlaClock:
    if clock.state is not ClockState.PAUSED or clock.remaining is None:
        return clock
    clock_cal = calendar_for(clock.mode, cal)
    due = add_business_time(now, clock.remaining, clock_cal)
    warn = None if clock.warned_at else _warn_at(now, due, policy.warn_share, clock_cal)
    resumed = replace(clock, state=ClockState.RUNNING, due_at=due, warn_at=warn, paused_at=None, remaining=None)
    return replace(resumed, next_fire_at=_next_fire(resumed))


# The clocks a new severity re-plans. The first reply is among them: a P0 is an emergency, so its
# reporters hear within the hour of registration around the clock, not within the first working
# hour (registered 05:08 and graded P0, the reply is due 06:08, not 10:00). Grading meets the grade
# clock in the same step, and the register, archive, retrospective and improvement clocks do not
# depend on the severity.
REPLANNED_BY_SEVERITY = frozenset({ClockKind.FIRST_REPLY, ClockKind.RESPONSE, ClockKind.UPDATE, ClockKind.VERIFY})


def replan(clock: SlaClock, severity: Severity, policy: ClockPolicy, cal: BusinessCalendar) -> SlaClock:
    """A new severity re-plans a running clock of ``REPLANNED_BY_SEVERITY`` from its start (a raised
    P0 is due sooner, and runs 24×7); other clocks, and clocks not running, stay as they are.

    The due time stays the promise made at the start even when it has already passed (a fault
    registered at 05:08 and graded P0 at 07:00 owed its first reply at 06:08): the clock is then
    late, and the next tick breaches it at once and escalates on the P0 cadence, while the breach
    notice and the clock's record name the instant the promise was really due.
    """
    if clock.state is not ClockState.RUNNING or clock.kind not in REPLANNED_BY_SEVERITY:
        return clock
    fresh = start_clock(clock.kind, severity, clock.started_at, policy, cal)
    return replace(fresh, warned_at=clock.warned_at, next_fire_at=_next_fire(replace(fresh, warned_at=clock.warned_at)))


_SPAN = re.compile(r"^(\d+(?:\.\d+)?)\s*(m|min|h|d)$")
_MODE_WORDS = {"24x7": Mode.ALWAYS, "business": Mode.BUSINESS}


def parse_budget(text: str) -> Budget:
    """A budget as an organisation writes it in its TOML file.

    ``"30m"``, ``"1h"``, ``"48h 24x7"``, ``"6h business"``, ``"same working day"``, ``"daily 17:00"``,
    ``"daily 17:00 business"``. A span runs on working hours unless ``24x7`` follows it; a daily time
    comes every day unless ``business`` follows it (then on working days only).
    """
    words = text.strip().lower().split()
    if words == ["same", "working", "day"]:
        return Budget(same_working_day=True)
    if len(words) in (2, 3) and words[0] == "daily":
        hh, _, mm = words[1].partition(":")
        days = _MODE_WORDS.get(words[2] if len(words) == 3 else "24x7")
        if hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60 and days is not None:
            return Budget(daily_at=time(int(hh), int(mm)), mode=days)
    if words and (m := _SPAN.match(words[0])) and len(words) <= 2:
        amount, unit = float(m.group(1)), m.group(2)
        minutes = amount * {"m": 1, "min": 1, "h": 60, "d": 1440}[unit]
        mode = _MODE_WORDS.get(words[1] if len(words) == 2 else "business")
        if mode is not None and minutes > 0:
            return Budget(span=timedelta(minutes=minutes), mode=mode)
    raise ValueError(
        f"cannot read the clock budget {text!r}: write e.g. '30m', '6h business', '48h 24x7', "
        "'same working day', 'daily 17:00' or 'daily 17:00 business'"
    )


def policy_from(
    budgets: dict[str, str],
    *,
    warn_share: float = 0.8,
    chain: tuple[str, ...] = ("owner", "tech_lead", "admin"),
    escalate_every: timedelta = timedelta(minutes=30),
    escalate_every_p0: timedelta = timedelta(minutes=10),
) -> ClockPolicy:
    """The default policy with an organisation's changes: keys are ``kind`` or ``kind.P0``."""
    table = dict(DEFAULT_BUDGETS)
    for key, text in budgets.items():
        kind_name, _, severity_name = key.partition(".")
        try:
            kind = ClockKind(kind_name)
            severity = Severity[severity_name.upper()] if severity_name else None
        except (ValueError, KeyError) as exc:
            raise ValueError(
                f"unknown clock {key!r}: use one of {[k.value for k in ClockKind]}, optionally .P0/.P1/.P2"
            ) from exc
        table[(kind, severity)] = parse_budget(text)
    unknown = set(chain) - {"owner", "tech_lead", "admin", "pm", "team"}
    if unknown or not chain:
        raise ValueError(f"escalation chain entries must be owner, tech_lead, admin, pm or team, not {sorted(unknown)}")
    return ClockPolicy(table, warn_share, tuple(chain), escalate_every, escalate_every_p0)

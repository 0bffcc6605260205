"""The demo's tables, read from ``data.toml`` and typed: the data lives in that file, the shapes here.

The data file says *what* the demo shows (staff, products, devices, the problems users report
and how far each fault gets); this module turns it into the tuples and domain values the loader
in :mod:`faultdesk.demo` works with. A problem or story key it does not know is an error at
import, so a typo in the file does not give a demo that silently differs. Lists keep the file's
order, which the seeded random draws depend on.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from importlib.resources import files
from typing import Any, NamedTuple

from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.lifecycle import (
    CauseCategory,
    CloseCannotReproduce,
    CloseNotAFault,
    Command,
    KbArticle,
    Merge,
    PlanKind,
    Recurrence,
    Stage,
)
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact

# (device model, OS version, browser — only for computers)
Device = tuple[str, str, str | None]


class Problem(NamedTuple):
    """One real-world problem and the reports users sent about it; type_code None = left at intake."""

    type_code: str | None
    product: str | None
    function: str | None
    title: str
    devices: str
    scenarios: tuple[str, ...]
    symptoms: tuple[str, ...]  # one report each, in the users' own words
    taken_in: tuple[tuple[Channel, str], ...] = ()  # taken by phone / in person while registering
    estimate: tuple[int, str] | None = None


class Reopen(NamedTuple):
    """The first fix did not hold: a verification case failed, or the reporter still sees the problem."""

    by_reporter: bool  # True: Confirm(recovered=False) relayed by the agent; False: the first case fails
    why: str
    cause: str
    category: CauseCategory
    plan: str  # "{deadline}" is filled in
    fix: str


class Retro(NamedTuple):
    analysis: str
    actions: tuple[tuple[str, Role, int, bool], ...]  # title, owner, due in days, already done
    article: KbArticle


class Story(NamedTuple):
    """How far one registered problem gets in the demo (``target``), and what is written on the way."""

    target: FaultStatus
    impact: Impact = Impact.PARTIAL
    notes: str | None = None
    recurrence: Recurrence = Recurrence.NEW
    known_issue: str | None = None
    revenue: bool = False
    severity: Severity = Severity.P2
    grade_reason: str = ""
    cause: str = ""
    category: CauseCategory = CauseCategory.CODE_LOGIC
    kind: PlanKind = PlanKind.EMERGENCY_PATCH
    plan: str = ""  # "{deadline}" is filled in
    hours: int = 4  # the plan's deadline, from now
    rejected: tuple[str, str] | None = None  # a first plan the tech lead sent back, and his comments
    cases: tuple[tuple[str, str], ...] = ()  # title, expected result
    fix: str = ""
    reopen: Reopen | None = None
    confirmed: str = ""
    gray: tuple[tuple[int, str], ...] = ()  # P0/P1: percentage, observation
    announcement: str = ""
    retro: Retro | None = None
    archive: tuple[str, str, str, int] | None = None  # cause, solution, reporter feedback, satisfaction
    archiver: Role = Role.AGENT
    exit: tuple[Role, Command] | None = None  # a side exit taken once at ``target``


Raw = dict[str, Any]


def _problem(raw: Raw) -> Problem:
    unknown = raw.keys() - {*Problem._fields, "story"}
    if unknown:
        raise ValueError(f"demo data: unknown problem keys {sorted(unknown)}")
    estimate = raw.get("estimate")
    return Problem(
        type_code=raw.get("type_code"),
        product=raw.get("product"),
        function=raw.get("function"),
        title=raw.get("title", ""),  # a problem left at intake has none
        devices=raw["devices"],
        scenarios=tuple(raw["scenarios"]),
        symptoms=tuple(raw["symptoms"]),
        taken_in=tuple((Channel(t["channel"]), t["symptom"]) for t in raw.get("taken_in", ())),
        estimate=(estimate["users"], estimate["source"]) if estimate else None,
    )


def _exit(raw: Raw) -> tuple[Role, Command]:
    action = raw["action"]
    command: Command
    if action == "merge":
        command = Merge(into=raw["into"])  # a title here; the loader puts in the fault's number
    elif action == "close_not_a_fault":
        command = CloseNotAFault(raw["reason"])
    elif action == "close_cannot_reproduce":
        command = CloseCannotReproduce(raw["reason"])
    else:
        raise ValueError(f"demo data: unknown exit action {action!r}")
    return Role(raw["by"]), command


def _retro(raw: Raw) -> Retro:
    article = raw["article"]
    return Retro(
        analysis=raw["analysis"],
        actions=tuple((a["title"], Role(a["owner"]), a["due_in_days"], a["done"]) for a in raw["actions"]),
        article=KbArticle(**{**article, "tags": tuple(article.get("tags", ()))}),
    )


# How each story key is read; a key not named here is taken as it is (strings, numbers, flags).
_STORY_KEYS: dict[str, Callable[[Any], Any]] = {
    "target": FaultStatus,
    "impact": Impact,
    "recurrence": Recurrence,
    "severity": lambda name: Severity[name],
    "category": CauseCategory,
    "kind": PlanKind,
    "archiver": Role,
    "rejected": lambda r: (r["plan"], r["comments"]),
    "cases": lambda cases: tuple((c["title"], c["expected"]) for c in cases),
    "gray": lambda steps: tuple((g["percent"], g["note"]) for g in steps),
    "reopen": lambda r: Reopen(**{**r, "category": CauseCategory(r["category"])}),
    "retro": _retro,
    "archive": lambda a: (a["cause"], a["solution"], a["reporter_feedback"], a["satisfaction"]),
    "exit": _exit,
}


def _story(raw: Raw) -> Story:
    return Story(**{key: _STORY_KEYS.get(key, lambda v: v)(value) for key, value in raw.items()})


def _read() -> Raw:
    return tomllib.loads(files("faultdesk.demo").joinpath("data.toml").read_text(encoding="utf-8"))


_DATA = _read()

STAFF: tuple[tuple[str, Role, str], ...] = tuple((s["username"], Role(s["role"]), s["name"]) for s in _DATA["staff"])

PRODUCTS: tuple[tuple[str, str, tuple[tuple[str, str, Criticality], ...]], ...] = tuple(
    (p["code"], p["name"], tuple((f["code"], f["name"], Criticality(f["criticality"])) for f in p["functions"]))
    for p in _DATA["products"]
)
VERSIONS: dict[str, tuple[str, ...]] = {p["code"]: tuple(p["versions"]) for p in _DATA["products"]}
HOME_CHANNEL: dict[str, Channel] = {p["code"]: Channel(p["channel"]) for p in _DATA["products"]}

DEVICES: dict[str, tuple[Device, ...]] = {
    pool: tuple((d["model"], d["os"], d.get("browser")) for d in devices) for pool, devices in _DATA["devices"].items()
}
DEVICES.update(
    {pool: tuple(d for part in parts for d in DEVICES[part]) for pool, parts in _DATA["device_pools"].items()}
)

NOTES: dict[Channel, tuple[str, ...]] = {
    Channel(channel): tuple(n["lines"]) for n in _DATA["notes"] for channel in n["channels"]
}
EMAIL_NAMES: tuple[str, ...] = tuple(_DATA["reporters"]["email_names"])
AREA_CODES: tuple[str, ...] = tuple(_DATA["reporters"]["area_codes"])

OWNERS: dict[Stage, Role] = {Stage(stage): Role(role) for stage, role in _DATA["lifecycle"]["owners"].items()}
REVIEWERS: tuple[str, ...] = tuple(_DATA["lifecycle"]["reviewers"])

PROBLEMS: tuple[Problem, ...] = tuple(_problem(raw) for raw in _DATA["problems"])
# Keyed by the problem's title; a registered problem without a story stays "registered".
STORIES: dict[str, Story] = {
    problem.title: _story(raw["story"])
    for problem, raw in zip(PROBLEMS, _DATA["problems"], strict=True)
    if "story" in raw
}

"""Benchmark of issue 11.9 "Speed": each console page's server time beside the API call that reads the same data.

    .venv/bin/python bench/pages.py [--json] [--stores postgresql,sqlite] [--faults 100000] [--reports 300000]
                                    [--requests 50] [--warmup 5] [--cache] [--seed 1]

For each store: a database of its own (``fresh_store``: a temp SQLite file, or a fresh PostgreSQL
database on 127.0.0.1 dropped at the end; with ``--cache`` one kept between runs, keyed by the
corpus size: ``test-artifacts/bench/pages_<faults>_<reports>_v<N>.db`` and the PostgreSQL database
``fdpages_<faults>_<reports>_v<N>``, migrated to head on every run), seeded straight through the
tables (COPY on PostgreSQL, ``executemany`` in one transaction a table on SQLite) with a year of
faults and their reports. The rows are the demo's own: ``faultdesk.demo`` is loaded once into a
scratch SQLite through the services (so every stage record, audit event, clock and message has
the shape the services write), and each seeded fault is a copy of one demo fault — its reports,
stage records, audit events, clocks, messages, severity changes, improvement actions and
knowledge-base article — moved in time to its registration, with its own number (date – type –
serial of that day and type, DESIGN §1), ids and staff (a few hundred, the demo's roles). Old faults
are mostly closed, recent ones mostly open; running clocks whose due time has passed are breached.
About 1 % of the reports wait at intake (the last two days).

Then ``faultdesk serve --no-worker`` on the store (the worker would spend the cores on the copies'
breached clocks), a staff user (a product manager) and an admin log in through the web form, the
known-issue index is built once (its time is printed), and for every page of PAGES: a warm-up, then
``--requests`` rounds of the page and its API calls, one after the other. The figures are the
server's own time from the ``Server-Timing: app;dur=`` header every answer carries, not the client's;
an API side of several calls is their sum. A page that answers 404 is "missing" (not built yet on
this branch) and skipped. Targets: page p95 <= 150 ms and page p95 / API p95 <= 1.5.

Exit status 0, or 1 when a page or API call answered anything but 200 or 404. All traffic goes to
127.0.0.1. No database file is kept unless ``--cache`` (and test-artifacts/ is git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import math
import os
import random
import re
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Engine, LargeBinary, Table, select, text
from sqlalchemy.exc import SQLAlchemyError

from faultdesk.adapters.db import tables as t
from faultdesk.adapters.db.engine import make_engine
from faultdesk.adapters.db.migrate import upgrade
from faultdesk.adapters.db.types import UtcDateTime
from faultdesk.adapters.passwords import Argon2Passwords
from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.demo import load_demo
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.numbering import NumberFormat, registration_day
from faultdesk.entrypoints.web.followup import IMPROVEMENTS_PER_PAGE  # the rows each page shows:
from faultdesk.entrypoints.web.queues import PAGE_SIZE as QUEUE_SIZE  # its API call reads as many
from faultdesk.entrypoints.web.registration import PAGE_SIZE as REPORTS_SIZE
from stores import (  # sibling module: run as `python bench/X.py`
    HOST,
    NO_CHANNELS,
    Store,
    fresh_store,
    kept_store,
    serving,
    stop_on_sigterm,
    store_names,
)

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "test-artifacts" / "bench"
SEED_VERSION = 3  # part of a cached database's name: bump when the corpus changes
SECRET_KEY = "bench-secret-key-not-for-production"  # the demo's contacts are encrypted with it
PASSWORD = "bench-pages-password"
STAFF_USER, ADMIN_USER = "pm001", "admin001"
ZONE = "Asia/Shanghai"
TEMPLATE_NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # the demo's clock: a Wednesday, 10:00 in Shanghai
YEAR = timedelta(days=365)
WAITING_SHARE = 0.01  # of the reports, still waiting at intake
WAITING_WINDOW = timedelta(hours=48)
TARGET_P95_MS = 150.0
TARGET_RATIO = 1.5
FIRST_TIMEOUT_S = 1800.0
REQUEST_TIMEOUT_S = 120.0
# The staff the copies are handed to: a few hundred, by the demo's roles and its naming.
STAFF = (("agent", "agent", 80), ("pm", "pm", 40), ("tech_lead", "lead", 20), ("developer", "dev", 100))
STAFF += (("tester", "tester", 50), ("admin", "admin", 10))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


@dataclass(frozen=True)
class Page:
    """One console page: its name, its URL and the API calls that read the same data (formatted
    with the sample's fields: a fault number, a waiting report, search words); ``who`` logs in."""

    name: str
    url: str
    api: tuple[str, ...]
    who: str = "staff"


FAULT, REPORT = "/api/v1/faults/{fault}", "/api/v1/reports/{report}"
PAGES = (
    # The faults list takes a queue view's own parameters (queue, q, owner …): the same rows.
    Page("queue: my work", "/", (f"/api/v1/faults?queue=mine&page_size={QUEUE_SIZE}",)),
    Page("queue: breached", "/?queue=breached", (f"/api/v1/faults?queue=breached&page_size={QUEUE_SIZE}",)),
    Page("queue: all", "/?queue=all", (f"/api/v1/faults?page_size={QUEUE_SIZE}",)),
    Page("queue: P1", "/?queue=P1", (f"/api/v1/faults?queue=P1&page_size={QUEUE_SIZE}",)),
    Page("queue: search", "/?queue=all&q={q}", (f"/api/v1/faults?q={{q}}&page_size={QUEUE_SIZE}",)),
    Page("queue rows fragment", "/queue/rows?queue=all", (f"/api/v1/faults?page_size={QUEUE_SIZE}",)),
    Page("fault page", "/faults/{fault}", (FAULT, f"{FAULT}/actions", f"{FAULT}/timeline")),
    Page("waiting reports", "/reports", (f"/api/v1/reports?linked=false&page_size={REPORTS_SIZE}",)),
    Page("report + candidates", "/reports/{report}", (REPORT, f"{REPORT}/candidates")),
    Page("kb search", "/kb?q={kb}", ("/api/v1/kb?q={kb}",)),
    Page(  # the page opens on the caller's own actions ("mine")
        "improvements",
        "/improvements",
        (f"/api/v1/improvement-actions?owner={STAFF_USER}&page_size={IMPROVEMENTS_PER_PAGE}",),
    ),
    Page(
        "improvements: all",
        "/improvements?tab=all",
        (f"/api/v1/improvement-actions?page_size={IMPROVEMENTS_PER_PAGE}",),
    ),
    Page("admin users", "/admin/users", (), who="admin"),
)


def say(message: str) -> None:
    """Progress goes to stderr so that stdout holds only the result (the table or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


# ---------------------------------------------------------------------------------------------
# The demo as templates
# ---------------------------------------------------------------------------------------------

# Tables copied as they are (the demo's catalogue), and the tables each fault copy writes to, in
# the order their foreign keys need.
CATALOGUE = ("fault_types", "products", "product_functions", "synonym_lists", "message_templates")
COPIED = (
    "faults",
    "reports",
    "severity_changes",
    "stage_records",
    "improvement_actions",
    "kb_articles",
    "audit_events",
    "clocks",
    "outbox",
)
KEEP_IDS = {"faults", "reports", "improvement_actions", "kb_articles"}  # referenced by other rows
USER_COLUMNS = {"registered_by", "created_by", "actor_id", "changed_by", "owner_id"}
USER_KEYS = {"owners", "team_lead", "team_members", "lead", "members", "owner_id"}  # user ids inside JSON
USERNAME_KEYS = {"reviewers", "username"}


def _decode(table: Table, raw: dict[str, Any]) -> dict[str, Any]:
    """A row as SQLite holds it (text times, JSON text, 0/1) in Python values."""
    row: dict[str, Any] = {}
    for col in table.c:
        value = raw[col.name]
        if value is not None:
            if isinstance(col.type, UtcDateTime):
                value = datetime.fromisoformat(value).replace(tzinfo=UTC)
            elif isinstance(col.type, JSON) or isinstance(getattr(col.type, "impl", None), JSON):
                value = json.loads(value)
            elif isinstance(col.type, Boolean):
                value = bool(value)
            elif isinstance(col.type, Date):
                value = date.fromisoformat(value)
        row[col.name] = value
    return row


@dataclass
class Template:
    """One demo fault (or, with ``fault`` None, the demo's waiting reports) and every row that belongs to it."""

    fault: dict[str, Any] | None
    reports: list[dict[str, Any]]
    rows: dict[str, list[dict[str, Any]]]  # fault-scoped rows by table
    report_rows: dict[str, list[tuple[int, dict[str, Any]]]]  # rows of one report: (its index, row)

    @property
    def closed(self) -> bool:
        return self.fault is not None and self.fault["status"] in CLOSED


CLOSED = {"resolved", "archived", "duplicate", "not_a_fault", "cannot_reproduce"}


@dataclass
class Demo:
    templates: list[Template]  # the faults
    waiting: Template  # the reports nobody has registered yet
    catalogue: dict[str, list[dict[str, Any]]]
    users: dict[int, tuple[str, str]]  # demo user id -> (username, role)
    numbers: set[str]  # the demo's fault numbers (replaced in texts)


def load_templates(home: Path) -> Demo:
    """Loads the demo into a scratch SQLite through the services and reads it back, row by row."""
    url = f"sqlite:///{home / 'demo.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    settings = Settings(home=home, database_url=url, secret_key=SECRET_KEY, run_worker=False, **NO_CHANNELS)
    wiring = bootstrap(settings, clock=FixedClock(TEMPLATE_NOW))
    try:
        load_demo(wiring.desk)
    finally:
        wiring.engine.dispose()
    db = sqlite3.connect(str(home / "demo.db"))
    db.row_factory = sqlite3.Row
    try:
        rows = {
            name: [_decode(t.metadata.tables[name], dict(r)) for r in db.execute(f"SELECT * FROM {name} ORDER BY 1")]
            for name in (*CATALOGUE, *COPIED, "users")
        }
    finally:
        db.close()
    users = {u["id"]: (u["username"], u["role"]) for u in rows["users"]}
    numbers = {f["number"] for f in rows["faults"]}

    def report_key(table: str, row: dict[str, Any]) -> int | None:
        if table == "audit_events":
            return int(row["entity_id"]) if row["entity"] == "report" else None
        return row.get("report_id")

    def template(fault: dict[str, Any] | None) -> Template:
        fault_id = fault["id"] if fault else None
        reports = [r for r in rows["reports"] if r["fault_id"] == fault_id]
        index = {r["id"]: i for i, r in enumerate(reports)}
        scoped: dict[str, list[dict[str, Any]]] = defaultdict(list)
        per_report: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        for table in COPIED[2:]:
            for row in rows[table]:
                rid = report_key(table, row)
                if rid in index:
                    per_report[table].append((index[rid], row))
                elif rid is None and fault_id is not None and row.get("fault_id") == fault_id:
                    scoped[table].append(row)
        return Template(fault, reports, dict(scoped), dict(per_report))

    templates = [template(f) for f in rows["faults"]]
    return Demo(templates, template(None), {n: rows[n] for n in CATALOGUE}, users, numbers)


# ---------------------------------------------------------------------------------------------
# The corpus plan: which demo fault each copy repeats, when, with which number, staff and ids
# ---------------------------------------------------------------------------------------------


class Copy:
    """One copy of a template: what its rows are filled in with."""

    __slots__ = (
        "articles",
        "fault_id",
        "improvements",
        "names",
        "number",
        "other_id",
        "other_number",
        "report_ids",
        "report_shifts",
        "rid",
        "rindex",
        "rshift",
        "rtexts",
        "shift",
        "template",
        "texts",
        "users",
    )

    def __init__(self, template: Template, fault_id: int | None, number: str | None, shift: timedelta) -> None:
        self.template = template
        self.fault_id = fault_id
        self.number = number
        self.shift = shift
        self.users: dict[int, int] = {}
        self.names: dict[str, str] = {}
        self.other_id: int | None = fault_id
        self.other_number: str | None = number
        self.report_ids: list[int] = []
        self.report_shifts: list[timedelta] = []
        self.improvements: dict[int, int] = {}
        self.articles: dict[int, int] = {}
        self.rid = 0
        self.rshift = shift
        self.rindex = 0
        self.texts: dict[datetime, str] = {}  # a time of the template -> this copy's, as SQLite text
        self.rtexts: dict[datetime, str] = {}  # the same for the report being filled in


@dataclass
class Plan:
    copies: list[Copy]  # faults in registration order, then the waiting reports
    users: list[dict[str, Any]]
    serials: dict[str, int]
    now: datetime
    faults: int
    reports: int
    sample: dict[str, str] = field(default_factory=dict)


def open_share(age: timedelta) -> float:
    """The share of faults of this age still open: most close within days, a few linger."""
    days = age / timedelta(days=1)
    return 0.9 if days < 2 else 0.5 if days < 7 else 0.15 if days < 30 else 0.02


def closed_weight(tp: Template, age: timedelta) -> float:
    status = tp.fault["status"] if tp.fault else ""
    if status == "archived":
        return 6.0
    if status == "resolved":
        return 1.0 if age < timedelta(days=7) else 0.0
    return 1.0  # duplicate, not a fault, cannot reproduce


def plan_corpus(demo: Demo, n_faults: int, n_reports: int, now: datetime, rng: random.Random) -> Plan:
    users: list[dict[str, Any]] = []
    by_role: dict[str, list[int]] = defaultdict(list)
    password_hash = Argon2Passwords().hash(PASSWORD)
    for role, prefix, count in STAFF:
        for i in range(1, count + 1):
            uid = len(users) + 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
            users.append(
                {
                    "id": uid,
                    "username": f"{prefix}{i:03d}",
                    "display_name": name,
                    "role": role,
                    "password_hash": password_hash,
                    "email": f"{prefix}{i:03d}@corp.example",
                    "timezone": None,
                    "language": None,
                    "active": True,
                    "created_at": now - YEAR - timedelta(days=30),
                }
            )
            by_role[role].append(uid)
    usernames = {u["id"]: u["username"] for u in users}

    open_templates = [tp for tp in demo.templates if not tp.closed]
    closed_templates = [tp for tp in demo.templates if tp.closed]
    waiting = max(1, round(n_reports * WAITING_SHARE)) if n_reports else 0
    linked_target = n_reports - waiting
    numbers = NumberFormat.parse("default")
    serials: dict[str, int] = {}
    moments = sorted(now - timedelta(seconds=rng.uniform(1800, YEAR.total_seconds())) for _ in range(n_faults))
    chosen: list[Template] = []
    for at in moments:
        if rng.random() < open_share(now - at):
            chosen.append(rng.choice(open_templates))
        else:  # mostly archived; resolved only for a few days (archiving is due within 24 h); some side exits
            weights = [closed_weight(tp, now - at) for tp in closed_templates]
            chosen.append(rng.choices(closed_templates, weights)[0])
    template_reports = sum(len(tp.reports) for tp in chosen) or 1
    factor = linked_target / template_reports

    copies: list[Copy] = []
    next_report = next_improvement = next_article = 1
    for i, (at, tp) in enumerate(zip(moments, chosen, strict=True)):
        assert tp.fault is not None
        day = registration_day(at, ZONE)
        scope = numbers.scope(day, tp.fault["type_code"])
        serials[scope] = serials.get(scope, 0) + 1
        copy = Copy(
            tp, i + 1, numbers.render(day, tp.fault["type_code"], serials[scope]), at - tp.fault["registered_at"]
        )
        for demo_id, (username, role) in demo.users.items():
            uid = rng.choice(by_role[role])
            copy.users[demo_id] = uid
            copy.names[username] = usernames[uid]
        if i:  # the earlier fault a recurrence or a merge points to
            other = copies[rng.randrange(i)]
            copy.other_id, copy.other_number = other.fault_id, other.number
        want = len(tp.reports) * factor
        k = int(want) + (rng.random() < want - int(want))
        k = min(k, max(0, linked_target - (next_report - 1)))
        for j in range(k):
            copy.report_ids.append(next_report)
            next_report += 1
            extra = timedelta(minutes=rng.randint(1, 90) * (j // len(tp.reports))) if tp.reports else timedelta()
            copy.report_shifts.append(copy.shift - extra)
        for row in tp.rows.get("improvement_actions", []):
            copy.improvements[row["id"]] = next_improvement
            next_improvement += 1
        for row in tp.rows.get("kb_articles", []):
            copy.articles[row["id"]] = next_article
            next_article += 1
        copies.append(copy)

    # The reports still waiting at intake: copies of the demo's waiting ones from the last two days.
    w = demo.waiting
    total = n_reports
    while next_report <= total and w.reports:
        j = rng.randrange(len(w.reports))
        received = now - timedelta(seconds=rng.uniform(60, WAITING_WINDOW.total_seconds()))
        copy = Copy(w, None, None, received - w.reports[j]["received_at"])
        copy.users = {demo_id: rng.choice(by_role[role]) for demo_id, (_, role) in demo.users.items()}
        copy.names = {demo.users[d][0]: usernames[u] for d, u in copy.users.items()}
        copy.report_ids = [next_report]
        copy.report_shifts = [copy.shift]
        copy.rindex = j  # the one template report it repeats
        next_report += 1
        copies.append(copy)
    return Plan(copies, users, serials, now, n_faults, next_report - 1)


# ---------------------------------------------------------------------------------------------
# Rows: each template row compiled once into cells, then filled in for every copy
# ---------------------------------------------------------------------------------------------

SLOT = re.compile(r'"@@(\d+)@@"|@@(\d+)@@')
RowMaker = Callable[[Copy], tuple[Any, ...]]


def _text(c: Copy, at: datetime) -> str:
    text = c.texts.get(at)
    if text is None:
        text = c.texts[at] = (at + c.shift).isoformat(" ", "microseconds")
    return text


def _rtext(c: Copy, at: datetime) -> str:
    text = c.rtexts.get(at)
    if text is None:
        text = c.rtexts[at] = (at + c.rshift).isoformat(" ", "microseconds")
    return text


class Compiler:
    """Turns a template row into one Python function of a copy (its source written here, so that
    filling in a row costs one call, not one a column). Times move by the copy's shift (the report's,
    for a report's rows); ids, staff and fault numbers are the copy's; everything else stays."""

    def __init__(self, demo: Demo, store: str, now: datetime) -> None:
        self.demo = demo
        self.sqlite = store == "sqlite"
        self.now = self.when(now)
        self.done_by = (now - timedelta(days=30)).date()
        self.names: dict[str, Any] = {"dumps": json.dumps, "sha256": hashlib.sha256, "text": _text, "rtext": _rtext}

    def when(self, at: datetime) -> Any:
        """A time as the store's driver takes it: SQLite keeps naive UTC text (adapters/db/types.py)."""
        return at.replace(tzinfo=None).isoformat(" ", "microseconds") if self.sqlite else at

    def const(self, value: Any) -> str:
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def row(self, table: str, tp: Template, row: dict[str, Any], per_report: bool) -> RowMaker:
        cells = [self.cell(table, tp, row, name, per_report) for name in columns(table)]
        make: RowMaker = eval(f"lambda c: ({', '.join(cells)},)", self.names)  # the source is the line above
        return self.clock(make) if table == "clocks" else make

    def time(self, value: datetime, per_report: bool) -> str:
        """The expression of a moved time in the store's encoding."""
        if self.sqlite:  # text, made once a copy (or report) for each time of its template: most repeat
            return f"{'rtext' if per_report else 'text'}(c, {self.const(value.replace(tzinfo=None))})"
        return f"({self.const(value)} + {'c.rshift' if per_report else 'c.shift'})"

    def cell(self, table: str, tp: Template, row: dict[str, Any], name: str, per_report: bool) -> str:
        value = row[name]
        col = t.metadata.tables[table].c[name]
        own = tp.fault["id"] if tp.fault else None
        if name == "id":
            return {"faults": "c.fault_id", "reports": "c.rid"}.get(
                table, f"c.{'improvements' if table == 'improvement_actions' else 'articles'}[{value}]"
            )
        if value is None:
            return "None"
        if name in ("fault_id", "related_fault_id", "merged_into_id"):
            return "c.fault_id" if value == own else "c.other_id"
        if name == "report_id":
            return "c.rid"
        if name == "improvement_id":
            return f"c.improvements[{value}]"
        if name in USER_COLUMNS:
            return f"c.users[{value}]"
        if isinstance(col.type, UtcDateTime):
            return self.time(value, per_report)
        if isinstance(col.type, Date):
            return f"({self.const(value)} + c.shift){'.isoformat()' if self.sqlite else ''}"
        if isinstance(col.type, JSON) or isinstance(getattr(col.type, "impl", None), JSON):
            return self.json(value, per_report)
        special = {
            ("faults", "number"): "c.number",
            ("faults", "affected_users"): "len(c.report_ids)",
            ("reports", "tracking_token_hash"): 'sha256(b"bench-report-%d" % c.rid).hexdigest()',
            ("reports", "reporter_id"): '"U%d" % (10_000_000 + c.rid)',
            ("reports", "reporter_key"): '"id:U%d" % (10_000_000 + c.rid)',
            ("outbox", "message_id"): f'"bench-%d-{"r" if per_report else "f"}{row["id"]}" % '
            + ("c.rid" if per_report else "c.fault_id"),
            ("outbox", "state"): '"sent"',
            ("outbox", "attempts"): "1",
        }
        if (table, name) in special:
            return special[(table, name)]
        if table == "improvement_actions" and name == "status":  # a month past its due date, it has been done
            due, done_by = self.const(row["due"]), self.const(self.done_by)
            return f'("done" if {due} + c.shift < {done_by} else {self.const(value)})'
        if name == "actor_label":
            return f"c.names.get({self.const(value)}, {self.const(value)})"
        if table == "audit_events" and name == "entity_id" and row["entity"] in ("report", "improvement_action"):
            return "str(c.rid)" if row["entity"] == "report" else f"str(c.improvements[{int(value)}])"
        if isinstance(value, str):
            return self.text(value)
        if isinstance(col.type, LargeBinary):
            value = bytes(value)
        return self.const(value)

    def text(self, value: str) -> str:
        """A text that names the demo's fault numbers names the copy's own."""
        found = [n for n in self.demo.numbers if n in value]
        if not found:
            return self.const(value)
        for number in found:
            value = value.replace(number, "@@own@@")
        return f'(c.number or "").join({self.const(tuple(value.split("@@own@@")))})'

    def json(self, value: Any, per_report: bool) -> str:
        """A JSON value written once with markers where the copy's values go, split there and joined
        with them for each copy (json.dumps of every row would cost most of the seeding)."""
        slots: list[str] = []

        def slot(expr: str) -> str:
            slots.append(expr)
            return f"@@{len(slots) - 1}@@"

        def walk(v: Any, key: str | None) -> Any:
            if isinstance(v, dict):
                return {k: walk(x, k) for k, x in v.items()}
            if isinstance(v, list):
                return slot("dumps(c.report_ids)") if key == "report_ids" else [walk(x, key) for x in v]
            if isinstance(v, bool) or v is None:
                return v
            if isinstance(v, int) and key in USER_KEYS:
                return slot(f"str(c.users.get({v}, {v}))")
            if isinstance(v, str):
                if key in USERNAME_KEYS and any(v == name for name, _ in self.demo.users.values()):
                    return slot(f"dumps(c.names.get({self.const(v)}, {self.const(v)}))")
                if v in self.demo.numbers:
                    return slot("dumps(c.number)")
                if len(v) >= 19 and v[4] == "-" and v[10] == "T":
                    with contextlib.suppress(ValueError):
                        at = datetime.fromisoformat(v)
                        shift = "c.rshift" if per_report else "c.shift"
                        return slot(f"'\"' + ({self.const(at)} + {shift}).isoformat() + '\"'")
                if any(n in v for n in self.demo.numbers):
                    for number in self.demo.numbers:
                        v = v.replace(number, slot('(c.number or "")'))
            return v

        parts = SLOT.split(json.dumps(walk(value, None)))
        # split() with two groups gives: text, whole-slot, inner-slot, text, …
        pieces = [self.const(p) if i % 3 == 0 else slots[int(p)] for i, p in enumerate(parts) if p]
        return pieces[0] if len(pieces) == 1 else f'"".join(({", ".join(pieces)},))'

    def clock(self, make: RowMaker) -> RowMaker:
        """A copied running clock whose time has passed is breached now (warned when past its warning)."""
        names = columns("clocks")
        state, due, warn, fire, warned, breached, level = (
            names.index(n)
            for n in ("state", "due_at", "warn_at", "next_fire_at", "warned_at", "breached_at", "escalation_level")
        )
        now = self.now

        def fill(c: Copy) -> tuple[Any, ...]:
            made = make(c)
            if made[state] != "running" or (made[warn] is not None and made[warn] > now):
                return made
            row = list(made)
            if row[due] <= now:
                row[state], row[breached], row[level], row[fire] = "breached", row[due], 1, None
                row[warned] = row[warned] or row[warn] or row[due]
            else:
                row[warned], row[fire] = row[warn], row[due]
            return tuple(row)

        return fill


def columns(table: str) -> list[str]:
    names = [c.name for c in t.metadata.tables[table].c]
    return names if table in KEEP_IDS else [n for n in names if n != "id"]


def table_rows(plan: Plan, compiler: Compiler, table: str) -> Iterator[tuple[Any, ...]]:
    """Every copy's rows of one table, in the copies' order (so ids follow registration)."""
    compiled: dict[int, tuple[list[RowMaker], list[tuple[int, RowMaker]]]] = {}
    for copy in plan.copies:
        tp = copy.template
        made = compiled.get(id(tp))
        if made is None:
            if table == "faults":
                whole = [compiler.row(table, tp, tp.fault, False)] if tp.fault else []
                each: list[tuple[int, RowMaker]] = []
            elif table == "reports":
                whole, each = [], [(i, compiler.row(table, tp, r, True)) for i, r in enumerate(tp.reports)]
            else:
                whole = [compiler.row(table, tp, r, False) for r in tp.rows.get(table, [])]
                each = [(i, compiler.row(table, tp, r, True)) for i, r in tp.report_rows.get(table, [])]
            made = compiled[id(tp)] = (whole, each)
        whole, each = made
        for make in whole:
            yield make(copy)
        copy.texts = {}  # the next table's times are others: keep the memory small
        if each:
            m = len(tp.reports)
            for j, rid in enumerate(copy.report_ids):
                copy.rid, copy.rshift, copy.rtexts = rid, copy.report_shifts[j], {}
                index = copy.rindex if copy.fault_id is None else j % m
                for i, make in each:
                    if i == index:
                        yield make(copy)


# ---------------------------------------------------------------------------------------------
# Writing: COPY on PostgreSQL, executemany on SQLite
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def loading(store: Store, engine: Engine) -> Iterator[Callable[[str, list[str], Iterable[tuple[Any, ...]]], int]]:
    """A writer of rows into one table at a time, each in one transaction, the foreign keys unchecked
    (the plan made them right). PostgreSQL: COPY, its checks (triggers) skipped by the replica role
    (the server's superuser runs this). SQLite: executemany on a connection of its own without a
    journal (a seeding that stops part-way is thrown away anyway), back to WAL after."""
    if store.name == "postgresql":
        raw = engine.raw_connection()
        driver: Any = raw.driver_connection

        def copy(table: str, names: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
            count = 0
            with driver.cursor() as cur:
                cur.execute("SET session_replication_role = replica")
                with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as out:
                    for row in rows:
                        out.write_row(row)
                        count += 1
                cur.execute("SET session_replication_role = DEFAULT")
            driver.commit()
            return count

        try:
            yield copy
        finally:
            raw.close()
        return
    engine.dispose()  # its one connection would hold the database open in WAL mode
    db = sqlite3.connect(store.url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "foreign_keys=OFF", "cache_size=-262144"):
        db.execute(f"PRAGMA {pragma}")

    def insert(table: str, names: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        count = 0
        db.execute("BEGIN")
        chunk: list[tuple[Any, ...]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == 20_000:
                db.executemany(sql, chunk)
                count += len(chunk)
                chunk.clear()
        db.executemany(sql, chunk)
        db.execute("COMMIT")
        return count + len(chunk)

    try:
        yield insert
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")
        db.execute("PRAGMA journal_mode=WAL")
        db.close()


def plain_rows(compiler: Compiler, table: str, rows: list[dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """Rows copied as they are (the catalogue, the staff), in the store's encoding."""
    tbl = t.metadata.tables[table]
    for row in rows:
        out = []
        for col in tbl.c:
            value = row[col.name]
            if value is not None:
                if isinstance(col.type, UtcDateTime):
                    value = compiler.when(value)
                elif isinstance(col.type, JSON) or isinstance(getattr(col.type, "impl", None), JSON):
                    value = json.dumps(value)
                elif isinstance(col.type, Date) and compiler.sqlite:
                    value = value.isoformat()
            out.append(value)
        yield tuple(out)


MARKER = ("bench", "pages")  # the audit trail's entity and entity id of a finished seeding


def seed(store: Store, engine: Engine, demo: Demo, plan: Plan) -> None:
    compiler = Compiler(demo, store.name, plan.now)
    # The secondary indexes are built once at the end: one sort each instead of a B-tree insert a row.
    indexes = [index for table in COPIED for index in t.metadata.tables[table].indexes]
    with engine.begin() as conn:
        for index in indexes:
            index.drop(conn)
    counts: dict[str, int] = {}
    with loading(store, engine) as write:
        for table in (*CATALOGUE, "users"):
            rows = plan.users if table == "users" else demo.catalogue[table]
            write(table, [c.name for c in t.metadata.tables[table].c], plain_rows(compiler, table, rows))
        serials = [{"scope": k, "last_serial": v} for k, v in plan.serials.items()]
        write("fault_serials", ["scope", "last_serial"], plain_rows(compiler, "fault_serials", serials))
        for table in COPIED:
            begun = time.perf_counter()
            counts[table] = write(table, columns(table), table_rows(plan, compiler, table))
            say(f"  {store.name}: {table}: {counts[table]:,} rows in {time.perf_counter() - begun:.1f} s")
    begun = time.perf_counter()
    with engine.begin() as conn:
        for index in indexes:
            index.create(conn)
        if store.name == "postgresql":  # rows written with their ids: the sequences go on from there
            for table in (*KEEP_IDS, "users", "products", "product_functions"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) "
                        f"FROM {table}"
                    )
                )
        conn.execute(
            t.audit_events.insert().values(
                at=plan.now,
                actor_label="system",
                entity=MARKER[0],
                entity_id=MARKER[1],
                action="seeded",
                after={"faults": plan.faults, "reports": plan.reports, "rows": counts, **plan.sample},
            )
        )
    say(f"  {store.name}: {len(indexes)} indexes in {time.perf_counter() - begun:.1f} s")
    if store.name == "postgresql":  # what autovacuum does on a live server; SQLite gets none (the app runs no ANALYZE)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def seeded(engine: Engine) -> dict[str, Any] | None:
    """The seeding's marker (its sizes and sample), or None when the database holds no finished seeding."""
    a = t.audit_events
    with engine.connect() as conn:
        row = conn.execute(
            select(a.c.after).where(a.c.entity == MARKER[0], a.c.entity_id == MARKER[1], a.c.action == "seeded")
        ).first()
    return dict(row.after) if row else None


def pick_sample(plan: Plan) -> dict[str, str]:
    """What the pages are asked for: a recent fault with the longest history of the copies, the
    newest waiting report, and search words the corpus holds."""
    recent = [c for c in plan.copies if c.fault_id is not None][-2000:]
    longest = max(recent, key=lambda c: (sum(len(v) for v in c.template.rows.values()), len(c.report_ids)))
    waiting = [c for c in plan.copies if c.fault_id is None]
    return {
        "fault": longest.number or "",
        "report": str(waiting[-1].report_ids[0]) if waiting else "1",
        "q": "登录",
        "kb": "登录",
    }


# ---------------------------------------------------------------------------------------------
# Measuring: a logged-in browser's requests, the server's own time
# ---------------------------------------------------------------------------------------------


class Browser:
    """One keep-alive connection with a cookie jar: logs in through the form as a browser does."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_S)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, timeout: float | None = None
    ) -> tuple[int, float, bytes]:
        """(status, server ms from Server-Timing, body)."""
        headers = {"Accept": "text/html" if not path.startswith("/api/") else "application/json"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.timeout = timeout or REQUEST_TIMEOUT_S
        if self.conn.sock is not None:
            self.conn.sock.settimeout(self.conn.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            res = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # The server closes a keep-alive connection that idled past its timeout (uvicorn: 5 s): reopen once.
            self.conn.close()
            self.conn.request(method, path, body=body, headers=headers)
            res = self.conn.getresponse()
        data = res.read()
        for value in res.headers.get_all("set-cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        timing = res.headers.get("server-timing", "")
        match = re.search(r"app;dur=([0-9.]+)", timing)
        if not match:
            raise RuntimeError(f"{method} {path}: no Server-Timing in the answer ({res.status})")
        return res.status, float(match.group(1)), data

    def log_in(self, username: str) -> None:
        status, _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not token:
            raise RuntimeError(f"GET /login answered {status} without a CSRF token")
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrf_token": token.group(1).decode()}
        )
        status, _, page = self.request("POST", "/login", form)
        if status != 303 or "faultdesk_session" not in self.cookies:
            raise RuntimeError(f"POST /login as {username} answered {status}: {page[:300]!r}")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Figures:
    page: str
    p50_ms: float | None = None
    p95_ms: float | None = None
    api_p95_ms: float | None = None
    ratio: float | None = None
    missing: bool = False
    api_missing: bool = False
    first_s: float = 0.0  # the first page and API answers, untimed (the known-issue index is built then)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 2)

        return {
            "page": self.page,
            "p50_ms": r(self.p50_ms),
            "p95_ms": r(self.p95_ms),
            "api_p95_ms": r(self.api_p95_ms),
            "ratio": r(self.ratio),
        }


def measure_page(browsers: dict[str, Browser], page: Page, sample: dict[str, str], n: int, warmup: int) -> Figures:
    quoted = {k: urllib.parse.quote(v) for k, v in sample.items()}
    url = page.url.format(**quoted)
    apis = [a.format(**quoted) for a in page.api]
    browser = browsers[page.who]
    fig = Figures(page.name)
    # The first requests are untimed and may wait long: the known-issue index is built from the
    # database on first use (the candidates), the caches fill.
    begun = time.perf_counter()
    status, _, body = browser.request("GET", url, timeout=FIRST_TIMEOUT_S)
    if status == 404:
        fig.missing = True
        return fig
    api_ok = True
    for api in apis:
        api_status, _, api_body = browser.request("GET", api, timeout=FIRST_TIMEOUT_S)
        if api_status == 404:
            fig.api_missing, api_ok = True, False
        elif api_status != 200:
            fig.errors.append(f"GET {api}: {api_status} {api_body[:200]!r}")
            api_ok = False
    fig.first_s = time.perf_counter() - begun
    if status != 200:
        fig.errors.append(f"GET {url}: {status} {body[:200]!r}")
        return fig
    page_ms: list[float] = []
    api_ms: list[float] = []
    for i in range(warmup + n):
        status, ms, body = browser.request("GET", url)
        if status != 200:
            fig.errors.append(f"GET {url}: {status} {body[:200]!r}")
            return fig
        spent = 0.0
        for api in apis if api_ok else ():
            api_status, api_spent, _ = browser.request("GET", api)
            if api_status != 200:
                fig.errors.append(f"GET {api}: {api_status}")
                api_ok = False
            spent += api_spent
        if i >= warmup:
            page_ms.append(ms)
            api_ms.append(spent)
    fig.p50_ms, fig.p95_ms = percentile(page_ms, 50), percentile(page_ms, 95)
    if apis and api_ok:
        fig.api_p95_ms = percentile(api_ms, 95)
        fig.ratio = fig.p95_ms / fig.api_p95_ms if fig.api_p95_ms else None
    return fig


def server_env(store: Store) -> dict[str, str]:
    # Only this run's FAULTDESK_* settings, so a developer's environment cannot change the figures.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTDESK_")}
    env.update(
        FAULTDESK_DATABASE_URL=store.url,
        FAULTDESK_HOME=str(store.home),
        FAULTDESK_SECRET_KEY=SECRET_KEY,
        FAULTDESK_RUN_WORKER="false",
    )
    return env


def measure(store: Store, sample: dict[str, str], args: argparse.Namespace) -> list[Figures]:
    CACHE.mkdir(parents=True, exist_ok=True)
    log = CACHE / f"pages-{store.name}-server.log"  # kept for a look after the run
    with serving(server_env(store), log) as (port, _):
        browsers = {"staff": Browser(port), "admin": Browser(port)}
        try:
            browsers["staff"].log_in(STAFF_USER)
            browsers["admin"].log_in(ADMIN_USER)
            figures = []
            for page in PAGES:
                fig = measure_page(browsers, page, sample, args.requests, args.warmup)
                say(f"  {store.name}: {line(fig)}")
                figures.append(fig)
        finally:
            for b in browsers.values():
                b.close()
    return figures


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------


def cache_key(args: argparse.Namespace) -> str:
    return f"pages_{args.faults}_{args.reports}_v{SEED_VERSION}"


@contextlib.contextmanager
def seeded_store(
    name: str, args: argparse.Namespace, demo: Callable[[], Demo]
) -> Iterator[tuple[Store, dict[str, Any], float | None]]:
    """The store with the corpus: (store, the seeding's marker, seconds spent seeding or None when cached)."""
    if args.cache:
        ctx: contextlib.AbstractContextManager[Store] = kept_store(name, cache_key(args), CACHE, ready=seeded_url)
    else:
        ctx = fresh_store(name, "fdpages")
    with ctx as store:
        engine = make_engine(store.url)
        try:
            marker = seeded(engine)
            spent = None
            if marker is None:
                templates = demo()  # once a run: its time is not the store's
                rng = random.Random(args.seed)
                begun = time.perf_counter()
                plan = plan_corpus(templates, args.faults, args.reports, datetime.now(UTC).replace(microsecond=0), rng)
                plan.sample = pick_sample(plan)
                say(f"  {name}: planned {len(plan.copies):,} copies in {time.perf_counter() - begun:.1f} s; writing")
                seed(store, engine, templates, plan)
                spent = time.perf_counter() - begun
                marker = seeded(engine)
                assert marker is not None
                say(f"  {name}: seeded in {spent:.1f} s")
            else:
                say(f"  {name}: cached corpus ({marker['faults']:,} faults, {marker['reports']:,} reports)")
        finally:
            engine.dispose()
        yield store, marker, spent


def seeded_url(url: str) -> bool:
    engine = make_engine(url)
    try:
        return seeded(engine) is not None
    except SQLAlchemyError:  # not even migrated
        return False
    finally:
        engine.dispose()


def line(fig: Figures) -> str:
    if fig.missing:
        return f"{fig.page:<22} missing (404)"
    if fig.errors:
        return f"{fig.page:<22} ERROR {fig.errors[0]}"
    api = "     —" if fig.api_p95_ms is None else f"{fig.api_p95_ms:6.1f}"
    ratio = "    —" if fig.ratio is None else f"{fig.ratio:5.2f}"
    assert fig.p50_ms is not None and fig.p95_ms is not None
    misses = []
    if fig.p95_ms > TARGET_P95_MS:
        misses.append(f"p95 > {TARGET_P95_MS:.0f} ms")
    if fig.ratio is not None and fig.ratio > TARGET_RATIO:
        misses.append(f"ratio > {TARGET_RATIO}")
    verdict = "MISSED " + ", ".join(misses) if misses else "ok"
    note = (
        " (no API call)" if not fig.api_p95_ms and not fig.api_missing else " (API call 404)" if fig.api_missing else ""
    )
    if fig.first_s > 5:
        note += f" (first answers took {fig.first_s:.0f} s)"
    return f"{fig.page:<22} {fig.p50_ms:7.1f} {fig.p95_ms:7.1f} {api:>10} {ratio:>6}  {verdict}{note}"


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    out = [
        f"pages: server time (Server-Timing) of {args.requests} requests a page after {args.warmup} warm-up, "
        f"targets p95 <= {TARGET_P95_MS:.0f} ms and page p95 / API p95 <= {TARGET_RATIO}",
    ]
    for r in results:
        seeded_note = "cached" if r["seed_s"] is None else f"seeded in {r['seed_s']:.0f} s"
        out.append("")
        out.append(f"{r['store']}: {r['faults']:,} faults, {r['reports']:,} reports ({seeded_note})")
        out.append(f"  {'page':<22} {'p50 ms':>7} {'p95 ms':>7} {'api p95 ms':>10} {'ratio':>6}")
        out.extend(f"  {line(f)}" for f in r["figures"])
    return "\n".join(out)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--stores", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--faults", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests a page (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests a page first (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--cache",
        action="store_true",
        help=f"keep the seeded database and use it again (SQLite under {CACHE.relative_to(REPO)}/, a PostgreSQL"
        " database named by the size); default: a fresh one, removed after",
    )
    args = parser.parse_args(argv)
    args.store_list = store_names(parser, args.stores)
    if args.faults < 1 or args.reports < 0 or args.requests < 1 or args.warmup < 0:
        parser.error("--faults and --requests must be positive, --reports and --warmup not negative")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    results: list[dict[str, Any]] = []
    demo_cache: list[Demo] = []
    scratch = tempfile.TemporaryDirectory(prefix="fdpages-demo-")

    def demo() -> Demo:
        if not demo_cache:
            begun = time.perf_counter()
            demo_cache.append(load_templates(Path(scratch.name)))
            say(f"  demo templates loaded in {time.perf_counter() - begun:.1f} s")
        return demo_cache[0]

    try:
        for name in args.store_list:
            say(f"{name}: {args.faults:,} faults, {args.reports:,} reports")
            with seeded_store(name, args, demo) as (store, marker, spent):
                sample = {k: str(marker[k]) for k in ("fault", "report", "q", "kb")}
                figures = measure(store, sample, args)
            results.append(
                {
                    "store": name,
                    "faults": marker["faults"],
                    "reports": marker["reports"],
                    "figures": figures,
                    "seed_s": spent,
                }
            )
    finally:
        scratch.cleanup()
    if args.json:
        print(
            json.dumps(
                {
                    "stores": [
                        {
                            "store": r["store"],
                            "faults": r["faults"],
                            "reports": r["reports"],
                            "pages": [f.as_json() for f in r["figures"] if not f.missing],
                            "missing": [f.page for f in r["figures"] if f.missing],
                        }
                        for r in results
                    ]
                },
                ensure_ascii=False,
            )
        )
    else:
        print(table(results, args))
    errors = [e for r in results for f in r["figures"] for e in f.errors]
    for e in errors:
        say(f"ERROR: {e}")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        say("interrupted; servers stopped")
        sys.exit(130)

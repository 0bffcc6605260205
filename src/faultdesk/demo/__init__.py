"""Demo data: staff, products and realistic Chinese end-user reports grouped into faults.

Everything goes through the services, exactly as the console and the API would do it, so the demo
also exercises the intake rules and the lifecycle: each fault is then driven, step by step and by the
role the template names for each step, to a different point of its life, so that every state is on
show (with a P0 special team, gray and full releases, reopens, retrospectives and knowledge-base
articles). The same seed gives the same data (relative to the desk's clock).

It loads once: each load is marked in the audit trail (entity ``demo``: ``load_started``, then
``loaded``), so loading it again changes nothing, and it refuses a database that holds anything
else (users, reports, faults — the fault types ``db upgrade`` seeds do not count) unless forced:
the demo adds six accounts with a published password.

The data itself is in ``data.toml`` (read and typed by :mod:`faultdesk.demo.tables`); this module
is the code that loads it.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from faultdesk.demo.tables import (
    AREA_CODES,
    DEVICES,
    EMAIL_NAMES,
    HOME_CHANNEL,
    NOTES,
    OWNERS,
    PROBLEMS,
    PRODUCTS,
    REVIEWERS,
    STAFF,
    STORIES,
    VERSIONS,
    Problem,
    Story,
)
from faultdesk.domain.errors import Conflict
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import (
    ActionStatus,
    Archive,
    AttachCases,
    CaseResult,
    Command,
    Confirm,
    Grade,
    ImprovementAction,
    MarkFixReady,
    Merge,
    ProposePlan,
    RecordCause,
    RecordGrayStep,
    RecordVerification,
    ReleaseFull,
    Retrospect,
    ReviewPlan,
    StartAnalysis,
    TestCase,
)
from faultdesk.domain.reports import Channel, Network, ReportDraft
from faultdesk.domain.roles import Role
from faultdesk.services.access import actor_of
from faultdesk.services.catalogue import add_product, ensure_default_fault_types
from faultdesk.services.desk import Desk
from faultdesk.services.faults import FaultRegistration, register_fault
from faultdesk.services.intake import submit_report
from faultdesk.services.lifecycle import act, improvements, set_improvement_status
from faultdesk.services.records import Actor, AuditEvent, FaultFilter, ReportFilter
from faultdesk.services.staff import create_user

__all__ = ["DEMO_PASSWORD", "STAFF", "load_demo"]

DEMO_PASSWORD = "faultdesk-demo"
CLIENT = "demo"

CALL, VISIT = Channel.HOTLINE, Channel.OFFLINE
S = FaultStatus
AGENT, PM, LEAD, DEV, TESTER = Role.AGENT, Role.PM, Role.TECH_LEAD, Role.DEVELOPER, Role.TESTER


MARKER = ("demo", "demo")  # the audit trail's entity and entity id of the demo's loads


def load_demo(desk: Desk, *, seed: int = 7, force: bool = False) -> str:
    """Load the demo data once; returns a one-line summary, which says so when it was loaded before
    (nothing changes then, forced or not). A database holding other data, or a load that stopped
    part-way, is refused (``Conflict``) unless ``force``."""
    before = _loaded_before(desk)
    if before is not None:
        return before
    if not force:
        _refuse_other_data(desk)
    system = Actor.system()
    _mark(desk, "load_started", {"seed": seed, "force": force})
    rng = random.Random(seed)
    ensure_default_fault_types(desk)
    staff, new_staff = _staff(desk, system, reuse=force)
    agent = staff[Role.AGENT]
    new_products = 0
    for code, name, functions in PRODUCTS:
        try:
            add_product(desk, code, name, list(functions), actor=system)
            new_products += 1
        except Conflict:
            pass  # loaded before: keep it

    now = desk.clock.now().replace(microsecond=0)
    batch: list[tuple[datetime, int, ReportDraft]] = []
    for index, problem in enumerate(PROBLEMS):
        if problem.type_code:  # a problem users have been reporting for a while
            start, spread, latest = now - timedelta(hours=rng.uniform(24, 240)), 30.0, now - timedelta(minutes=20)
        else:  # fresh reports nobody has looked at yet
            start, spread, latest = now - timedelta(hours=rng.uniform(4, 28)), 3.0, now - timedelta(minutes=5)
        previous: tuple[str | None, str | None] | None = None
        for symptom in problem.symptoms:
            received = min(start + timedelta(hours=rng.uniform(0, spread)), latest).replace(microsecond=0)
            roll = rng.random()
            channel = (
                CALL if roll < 0.12 else VISIT if roll < 0.18 else HOME_CHANNEL.get(problem.product or "", Channel.APP)
            )
            if previous and rng.random() < 0.1:
                who = previous  # the same user writing in again
            else:
                who = previous = _reporter(rng, channel, problem.product)
            batch.append((received, index, _draft(rng, problem, channel, symptom, received, who)))

    ids: dict[int, list[int]] = {}
    for _, index, draft in sorted(batch, key=lambda item: (item[0], item[1])):
        actor = agent if draft.channel in (CALL, VISIT) else Actor.public()
        submitted = submit_report(desk, draft, actor=actor, client=CLIENT)
        ids.setdefault(index, []).append(submitted.report.id)

    taken_in = 0
    numbers: dict[str, str] = {}  # problem title -> the fault number it got in this batch
    for index, problem in enumerate(PROBLEMS):
        if not problem.type_code:
            continue
        new_reports = []
        for channel, symptom in problem.taken_in:
            received = now - timedelta(minutes=rng.randint(10, 180))
            who = _reporter(rng, channel, problem.product)
            new_reports.append(_draft(rng, problem, channel, symptom, received, who))
        estimated, source = problem.estimate or (None, None)
        registration = FaultRegistration(
            type_code=problem.type_code,
            report_ids=ids[index],
            new_reports=new_reports,
            title=problem.title,
            product=problem.product,
            function=problem.function,
            estimated_users=estimated,
            estimate_source=source,
        )
        numbers[problem.title] = register_fault(desk, registration, actor=agent).fault.number
        taken_in += len(new_reports)

    states = Counter(_drive(desk, numbers, title, staff) for title in numbers)
    waiting = sum(len(ids[i]) for i, p in enumerate(PROBLEMS) if not p.type_code)
    _mark(desk, "loaded", {"seed": seed, "reports": len(batch) + taken_in, "faults": len(numbers)})
    return (
        f"demo: {len(STAFF)} staff ({new_staff} new), {len(PRODUCTS)} products ({new_products} new), "
        f"{len(batch) + taken_in} reports, {len(numbers)} faults, {waiting} reports waiting at intake; "
        f"states: {', '.join(f'{s.value} {states[s]}' for s in FaultStatus if states[s])}; {_logins()}"
    )


def _logins() -> str:
    return f"log in as {', '.join(username for username, _, _ in STAFF)} with password {DEMO_PASSWORD}"


def _mark(desk: Desk, action: str, data: dict[str, object]) -> None:
    with desk.uow() as uow:
        uow.audit.record(AuditEvent(desk.clock.now(), Actor.system(), *MARKER, action, after=data))
        uow.commit()


def _loaded_before(desk: Desk) -> str | None:
    """The summary of an earlier, finished load; None when there was none."""
    with desk.uow() as uow:
        marks = uow.audit.about(*MARKER)
        usernames = {u.username for u in uow.users.all()}
        faults = uow.faults.search(FaultFilter(page_size=1)).total
    done = [m for m in marks if m.action == "loaded"]
    if done:
        first, local = done[0], done[0].at.astimezone(ZoneInfo(desk.timezone))
        what = first.after or {}
        return (
            f"demo already loaded on {local:%Y-%m-%d %H:%M} (seed {what.get('seed')}: {what.get('faults')} faults, "
            f"{what.get('reports')} reports): nothing changed; {_logins()}"
        )
    if not marks and faults and {username for username, _, _ in STAFF} <= usernames:
        # Loaded by a version that kept no marker: its six staff and their faults are here.
        return f"demo already loaded (its six staff and their faults are here): nothing changed; {_logins()}"
    return None


def _refuse_other_data(desk: Desk) -> None:
    with desk.uow() as uow:
        started = [m for m in uow.audit.about(*MARKER) if m.action == "load_started"]
        users = len(uow.users.all())
        reports = uow.reports.search(ReportFilter(page_size=1)).total
        faults = uow.faults.search(FaultFilter(page_size=1)).total
    if started:
        when = f"{started[0].at.astimezone(ZoneInfo(desk.timezone)):%Y-%m-%d %H:%M}"
        raise Conflict(
            f"a demo load started {when} did not finish, so this database holds part of the demo: load it into "
            "an empty database, or add a whole batch anyway with --force",
            f"{when} 开始的演示数据加载未完成，数据库中只有部分演示数据：请在空数据库中加载，或用 --force 再加载一整批",
        )
    if users or reports or faults:
        raise Conflict(
            f"this database already holds data that is not the demo's (users: {users}, reports: {reports}, "
            f"faults: {faults}): the demo would mix with it and add six accounts with the published password "
            f"{DEMO_PASSWORD}. Load it into an empty database, or pass --force to load it anyway",
            f"数据库中已有非演示数据（用户 {users}，反馈 {reports}，故障单 {faults}）：演示数据会混入其中，"
            f"并新增 6 个使用公开密码 {DEMO_PASSWORD} 的账号。请在空数据库中加载，或用 --force 强制加载",
        )


Step = tuple[Role, Command]


def _drive(desk: Desk, numbers: dict[str, str], title: str, staff: dict[Role, Actor]) -> FaultStatus:
    """Take a fault, role by role, to its story's target (and side exit); returns where it ends."""
    story = STORIES.get(title)
    if story is None:
        return FaultStatus.REGISTERED
    number, status = numbers[title], FaultStatus.REGISTERED
    if story.target is not FaultStatus.REGISTERED:
        for reached, steps in _life(story, staff, desk.clock.now(), ZoneInfo(desk.timezone)):
            for role, command in steps:
                status = act(desk, number, command, actor=staff[role]).status
            assert status is reached, f"demo fault {number} reached {status.value}, not {reached.value}"
            if reached is story.target:
                break
    assert status is story.target, f"demo fault {number} stopped at {status.value}, not {story.target.value}"
    if story.exit:
        role, command = story.exit
        if isinstance(command, Merge):  # the story names the surviving fault by its title
            command = Merge(into=numbers[command.into])
        status = act(desk, number, command, actor=staff[role]).status
    if story.retro:  # some improvement actions are already done, each closed by its owner
        done = {name: owner for name, owner, _, finished in story.retro.actions if finished}
        for item in improvements(desk, number=number, actor=staff[Role.PM]):
            if item.title in done:
                set_improvement_status(desk, item.id, ActionStatus.DONE, actor=staff[done[item.title]])
    return status


def _life(
    story: Story, staff: dict[Role, Actor], now: datetime, tz: ZoneInfo
) -> Iterator[tuple[FaultStatus, list[Step]]]:
    """The steps of a whole life, phase by phase, each with the state it leads to; the caller stops early."""
    uid = {role: _id(actor) for role, actor in staff.items()}
    s, p0 = story, story.severity is Severity.P0
    author = DEV if s.severity is Severity.P2 else PM  # who writes the plan (the template's rule)
    deadline = now + timedelta(hours=s.hours)
    when = deadline.astimezone(tz)

    def plan(text: str) -> Step:
        return author, ProposePlan(s.kind, text.format(deadline=f"{when.month}月{when.day}日 {when:%H:%M}"), deadline)

    approve: Step = (LEAD, ReviewPlan(True, "方案可行，同意实施", REVIEWERS))
    cases = tuple(TestCase(f"TC{i}", title, expected) for i, (title, expected) in enumerate(s.cases, 1))
    passed: Step = (TESTER, RecordVerification(tuple(CaseResult(c.key, True) for c in cases)))

    yield S.TRIAGING, [(PM, StartAnalysis(s.recurrence, s.impact, s.revenue, known_issue=s.known_issue, notes=s.notes))]
    owners = {stage: uid[role] for stage, role in OWNERS.items()}
    team = (uid[DEV], uid[TESTER], uid[PM]) if p0 else ()
    grade = Grade(s.severity, s.grade_reason, owners=owners, team_lead=uid[LEAD] if p0 else None, team_members=team)
    yield S.LOCATING, [(LEAD, grade)]
    yield S.PLANNING, [(DEV, RecordCause(s.cause, s.category))]
    sent_back = [plan(s.rejected[0]), (LEAD, ReviewPlan(False, s.rejected[1], REVIEWERS))] if s.rejected else []
    yield S.PLAN_REVIEW, [*sent_back, plan(s.plan)]
    yield S.FIXING, [approve, (TESTER, AttachCases(cases))]
    yield S.VERIFYING, [(DEV, MarkFixReady(s.fix))]

    r, redo = s.reopen, []
    if r:  # back to locating: a new cause, a new plan, a new fix
        redo = [(DEV, RecordCause(r.cause, r.category)), plan(r.plan), approve, (DEV, MarkFixReady(r.fix))]
    if r and not r.by_reporter:
        results = tuple(CaseResult(c.key, i > 0, r.why if i == 0 else None) for i, c in enumerate(cases))
        yield S.AWAITING_CONFIRMATION, [(TESTER, RecordVerification(results)), *redo, passed]
    else:
        yield S.AWAITING_CONFIRMATION, [passed]
    still = [(AGENT, Confirm(False, r.why)), *redo, passed] if r and r.by_reporter else []
    recovered: Step = (AGENT, Confirm(True, s.confirmed))
    if s.severity is Severity.P2:
        yield S.RESOLVED, [*still, recovered]
    else:  # P0/P1 ship through gray steps and a full release with an announcement
        gray: list[Step] = [(PM, RecordGrayStep(pct, now, note)) for pct, note in s.gray]
        yield S.RELEASING, [*still, recovered, *gray]
        yield S.RESOLVED, [(PM, ReleaseFull(r.fix if r else s.fix, s.announcement))]

    retro: list[Step] = []
    if s.retro:
        day = now.astimezone(tz).date()
        actions = tuple(ImprovementAction(t, uid[owner], day + timedelta(days=n)) for t, owner, n, _ in s.retro.actions)
        retro = [(PM, Retrospect(s.retro.analysis, actions, s.retro.article))]
    assert s.archive is not None, "an archived demo fault needs its archive record"
    yield S.ARCHIVED, [*retro, (s.archiver, Archive(*s.archive))]


def _id(actor: Actor) -> int:
    assert actor.id is not None, f"demo user {actor.label} has no id"
    return actor.id


def _staff(desk: Desk, system: Actor, *, reuse: bool) -> tuple[dict[Role, Actor], int]:
    """Create one user per role; returns them by role, and how many are new. A forced load reuses an
    account of that name and role; otherwise a name already taken means another load is running."""
    created = 0
    staff: dict[Role, Actor] = {}
    for username, role, display_name in STAFF:
        try:
            user = create_user(desk, username, role, DEMO_PASSWORD, actor=system, display_name=display_name)
            created += 1
        except Conflict:
            if not reuse:
                raise Conflict(
                    f"the demo user {username} appeared while loading: is another demo load running?",
                    f"加载过程中出现了演示用户 {username}：是否有另一个演示数据加载正在进行？",
                ) from None
            with desk.uow() as uow:  # a read through the repository, no change
                found = uow.users.by_username(username)
            assert found is not None, f"the demo user {username} vanished"
            if found.role is not role:
                raise Conflict(
                    f"user {username} exists as {found.role.value}; the demo needs it as {role.value}",
                    f"用户 {username} 已存在（角色 {found.role.value}），演示数据需要其角色为 {role.value}",
                ) from None
            user = found
        staff[role] = actor_of(user)
    return staff, created


def _reporter(rng: random.Random, channel: Channel, product: str | None) -> tuple[str | None, str | None]:
    """A reporter id as the channel knows it, and a (fake) contact, either of which may be missing."""
    if channel is Channel.MINI_PROGRAM:
        reporter: str | None = "o" + "".join(rng.choices(string.ascii_letters + string.digits + "_-", k=27))
    elif channel is Channel.WEB or (product == "admin-web" and rng.random() < 0.8):
        reporter = f"M{rng.randint(100000, 999999)}"  # merchant account
    elif channel is Channel.APP or rng.random() < 0.6:
        reporter = f"U{rng.randint(10_000_000, 99_999_999)}"  # member id, if the caller knows it
    else:
        reporter = None
    roll = rng.random()
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    email = f"{rng.choice(EMAIL_NAMES)}{rng.randint(1, 999)}@example.com"
    landline = f"{rng.choice(AREA_CODES)}-{rng.randint(20_000_000, 89_999_999)}"
    if channel is Channel.WEB or product == "admin-web":
        contact: str | None = email if roll < 0.5 else mobile if roll < 0.8 else landline
    elif channel in (CALL, VISIT):
        contact = mobile if roll < 0.8 else landline
    else:
        contact = mobile if roll < 0.7 else email if roll < 0.85 else None
    return reporter, contact


def _draft(
    rng: random.Random,
    problem: Problem,
    channel: Channel,
    symptom: str,
    received: datetime,
    who: tuple[str | None, str | None],
) -> ReportDraft:
    model, os_version, browser = rng.choice(DEVICES[problem.devices])
    version: str | None = browser or rng.choice(VERSIONS[problem.product or "shop"])
    if channel is Channel.MINI_PROGRAM:
        version = f"{version} (微信 8.0.{rng.randint(40, 47)})"
    if channel is Channel.WEB:
        network: Network | None = rng.choice((Network.WIRED, Network.WIRED, Network.WIFI))
    elif channel in (Channel.APP, Channel.MINI_PROGRAM):
        network = rng.choice((Network.WIFI, Network.WIFI, Network.CELLULAR_5G, Network.CELLULAR_4G))
    else:
        network = None  # nobody asks on the phone
    known_device = channel is not CALL or rng.random() < 0.5
    occurred = None if rng.random() < 0.1 else received - timedelta(minutes=rng.randint(1, 240))
    note = rng.choice(NOTES[channel]) if channel in (CALL, VISIT) or rng.random() < 0.4 else None
    return ReportDraft(
        channel=channel,
        symptom=symptom,
        received_at=received,
        occurred_at=occurred,
        scenario=rng.choice(problem.scenarios),
        device_model=model if known_device else None,
        os_version=os_version if known_device else None,
        app_version=version if known_device and channel is not CALL else None,
        network=network,
        reporter_id=who[0],
        contact=who[1],
        description=note,
        product=problem.product,
        function=problem.function,
    )

"""The fault lifecycle (DESIGN §3): one table of transitions, one of roles, one pure decide().

registered → triaging → locating → planning → plan_review → fixing → verifying
→ awaiting_confirmation → (P0/P1: releasing → gray steps → full) → resolved → archived,
with side exits (duplicate, not_a_fault, cannot_reproduce) and the reopen loop: a failed
verification or a reporter who says "still broken" sends the fault back to locating.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from faultdesk.domain import events as ev
from faultdesk.domain.errors import FieldProblem, InvalidTransition, NotPermitted, RuleViolation
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.roles import ROLE_WORDS, Role
from faultdesk.domain.severity import Impact

S = FaultStatus


class Action(StrEnum):
    START_ANALYSIS = "start_analysis"  # PM: recurrence check, impact → triaging
    GRADE = "grade"  # tech lead: confirm/override severity, owners, P0 team → locating
    REGRADE = "regrade"  # tech lead: change severity later, with a reason
    ASSIGN = "assign"  # tech lead / PM: owners per stage
    ACKNOWLEDGE = "acknowledge"  # handling team: "we are on it" (meets the response clock)
    RECORD_CAUSE = "record_cause"  # developer: root cause → planning
    PROPOSE_PLAN = "propose_plan"  # PM (P0/P1) or developer (P2) → plan_review
    REVIEW_PLAN = "review_plan"  # tech lead: approve → fixing, reject → planning
    ATTACH_CASES = "attach_cases"  # tester: verification cases
    MARK_FIX_READY = "mark_fix_ready"  # developer: fix version → verifying
    RECORD_VERIFICATION = "record_verification"  # tester: all pass → awaiting_confirmation, else reopen
    CONFIRM = "confirm"  # agent or the reporter: recovered → release/resolved, still broken → reopen
    RECORD_GRAY_STEP = "record_gray_step"  # PM: a gray release step
    RELEASE_FULL = "release_full"  # PM: full release with announcement → resolved
    ARCHIVE = "archive"  # PM / agent: archive record → archived
    RETROSPECT = "retrospect"  # PM: retrospective, improvement actions, KB article
    MERGE = "merge"  # PM / agent: duplicate of another fault
    CLOSE_NOT_A_FAULT = "close_not_a_fault"  # PM / tech lead
    CLOSE_CANNOT_REPRODUCE = "close_cannot_reproduce"  # developer / tech lead


# Each action in words (zh, en): the pages' labels and the 409's list read from this one table.
ACTION_WORDS: dict[Action, tuple[str, str]] = {
    Action.START_ANALYSIS: ("记录复发判断与影响", "record the recurrence check and impact"),
    Action.GRADE: ("定级", "grade"),
    Action.REGRADE: ("调整级别", "change the severity"),
    Action.ASSIGN: ("指定负责人", "assign owners"),
    Action.ACKNOWLEDGE: ("确认响应", "acknowledge"),
    Action.RECORD_CAUSE: ("记录问题原因", "record the cause"),
    Action.PROPOSE_PLAN: ("提交解决方案", "propose the fix plan"),
    Action.REVIEW_PLAN: ("评审方案", "review the plan"),
    Action.ATTACH_CASES: ("添加验证用例", "attach test cases"),
    Action.MARK_FIX_READY: ("修复完成，提交验证", "mark the fix ready"),
    Action.RECORD_VERIFICATION: ("记录验证结果", "record the verification"),
    Action.CONFIRM: ("记录用户确认", "record the reporter's answer"),
    Action.RECORD_GRAY_STEP: ("记录灰度发布", "record a gray release step"),
    Action.RELEASE_FULL: ("全量发布", "release to everyone"),
    Action.ARCHIVE: ("归档", "archive"),
    Action.RETROSPECT: ("复盘", "write the retrospective"),
    Action.MERGE: ("合并到其他故障单", "merge into another fault"),
    Action.CLOSE_NOT_A_FAULT: ("关闭：非故障", "close: not a fault"),
    Action.CLOSE_CANNOT_REPRODUCE: ("关闭：无法复现", "close: cannot reproduce"),
}


OPEN_STATES = frozenset(
    {
        S.REGISTERED,
        S.TRIAGING,
        S.LOCATING,
        S.PLANNING,
        S.PLAN_REVIEW,
        S.FIXING,
        S.VERIFYING,
        S.AWAITING_CONFIRMATION,
        S.RELEASING,
    }
)
CLOSED_STATES = frozenset(set(S) - OPEN_STATES)
PRE_FIX = frozenset({S.REGISTERED, S.TRIAGING, S.LOCATING, S.PLANNING, S.PLAN_REVIEW, S.FIXING})

# Where each action may start. The target is decided in decide(): some actions branch.
FROM: dict[Action, frozenset[FaultStatus]] = {
    Action.START_ANALYSIS: frozenset({S.REGISTERED}),
    Action.GRADE: frozenset({S.TRIAGING}),
    Action.REGRADE: OPEN_STATES - {S.REGISTERED, S.TRIAGING},
    Action.ASSIGN: OPEN_STATES,
    Action.ACKNOWLEDGE: frozenset({S.LOCATING, S.PLANNING, S.PLAN_REVIEW, S.FIXING}),
    Action.RECORD_CAUSE: frozenset({S.LOCATING}),
    Action.PROPOSE_PLAN: frozenset({S.PLANNING}),
    Action.REVIEW_PLAN: frozenset({S.PLAN_REVIEW}),
    Action.ATTACH_CASES: frozenset({S.LOCATING, S.PLANNING, S.PLAN_REVIEW, S.FIXING, S.VERIFYING}),
    Action.MARK_FIX_READY: frozenset({S.FIXING}),
    Action.RECORD_VERIFICATION: frozenset({S.VERIFYING}),
    Action.CONFIRM: frozenset({S.AWAITING_CONFIRMATION}),
    Action.RECORD_GRAY_STEP: frozenset({S.RELEASING}),
    Action.RELEASE_FULL: frozenset({S.RELEASING}),
    Action.ARCHIVE: frozenset({S.RESOLVED}),
    Action.RETROSPECT: frozenset({S.RESOLVED, S.ARCHIVED}),
    Action.MERGE: PRE_FIX,
    Action.CLOSE_NOT_A_FAULT: frozenset({S.REGISTERED, S.TRIAGING, S.LOCATING}),
    Action.CLOSE_CANNOT_REPRODUCE: frozenset({S.LOCATING}),
}

# Every state an action can lead to (for docs, the diagram and the property tests).
TARGETS: dict[Action, frozenset[FaultStatus] | None] = {  # None: the state does not change
    Action.START_ANALYSIS: frozenset({S.TRIAGING}),
    Action.GRADE: frozenset({S.LOCATING}),
    Action.REGRADE: None,
    Action.ASSIGN: None,
    Action.ACKNOWLEDGE: None,
    Action.RECORD_CAUSE: frozenset({S.PLANNING}),
    Action.PROPOSE_PLAN: frozenset({S.PLAN_REVIEW}),
    Action.REVIEW_PLAN: frozenset({S.FIXING, S.PLANNING}),
    Action.ATTACH_CASES: None,
    Action.MARK_FIX_READY: frozenset({S.VERIFYING}),
    Action.RECORD_VERIFICATION: frozenset({S.AWAITING_CONFIRMATION, S.LOCATING}),
    Action.CONFIRM: frozenset({S.RELEASING, S.RESOLVED, S.LOCATING}),
    Action.RECORD_GRAY_STEP: None,
    Action.RELEASE_FULL: frozenset({S.RESOLVED}),
    Action.ARCHIVE: frozenset({S.ARCHIVED}),
    Action.RETROSPECT: None,
    Action.MERGE: frozenset({S.DUPLICATE}),
    Action.CLOSE_NOT_A_FAULT: frozenset({S.NOT_A_FAULT}),
    Action.CLOSE_CANNOT_REPRODUCE: frozenset({S.CANNOT_REPRODUCE}),
}

R = Role
# Who may take each action: the one role table (README prints it). Admin may do anything, audited.
ROLES: dict[Action, frozenset[Role]] = {
    Action.START_ANALYSIS: frozenset({R.PM, R.ADMIN}),
    Action.GRADE: frozenset({R.TECH_LEAD, R.ADMIN}),
    Action.REGRADE: frozenset({R.TECH_LEAD, R.ADMIN}),
    Action.ASSIGN: frozenset({R.TECH_LEAD, R.PM, R.ADMIN}),
    Action.ACKNOWLEDGE: frozenset({R.DEVELOPER, R.TECH_LEAD, R.ADMIN}),
    Action.RECORD_CAUSE: frozenset({R.DEVELOPER, R.TECH_LEAD, R.ADMIN}),
    Action.PROPOSE_PLAN: frozenset({R.PM, R.DEVELOPER, R.ADMIN}),  # narrowed by severity below
    Action.REVIEW_PLAN: frozenset({R.TECH_LEAD, R.ADMIN}),
    Action.ATTACH_CASES: frozenset({R.TESTER, R.ADMIN}),
    Action.MARK_FIX_READY: frozenset({R.DEVELOPER, R.ADMIN}),
    Action.RECORD_VERIFICATION: frozenset({R.TESTER, R.ADMIN}),
    Action.CONFIRM: frozenset({R.AGENT, R.ADMIN}),  # and the reporter, with their tracking token
    Action.RECORD_GRAY_STEP: frozenset({R.PM, R.ADMIN}),
    Action.RELEASE_FULL: frozenset({R.PM, R.ADMIN}),
    Action.ARCHIVE: frozenset({R.PM, R.AGENT, R.ADMIN}),
    Action.RETROSPECT: frozenset({R.PM, R.ADMIN}),
    Action.MERGE: frozenset({R.PM, R.AGENT, R.ADMIN}),
    Action.CLOSE_NOT_A_FAULT: frozenset({R.PM, R.TECH_LEAD, R.ADMIN}),
    Action.CLOSE_CANNOT_REPRODUCE: frozenset({R.DEVELOPER, R.TECH_LEAD, R.ADMIN}),
}
# The template: P0/P1 plans are led by the PM, P2 plans made by the developer.
PLAN_AUTHORS: dict[Severity, frozenset[Role]] = {
    Severity.P0: frozenset({R.PM, R.ADMIN}),
    Severity.P1: frozenset({R.PM, R.ADMIN}),
    Severity.P2: frozenset({R.DEVELOPER, R.ADMIN}),
}
REPORTER_ACTIONS = frozenset({Action.CONFIRM})


def roles_for(action: Action, severity: Severity | None) -> frozenset[Role]:
    if action is Action.PROPOSE_PLAN and severity is not None:
        return PLAN_AUTHORS[severity]
    return ROLES[action]


class Stage(StrEnum):
    """Owners per stage (DESIGN §1)."""

    INTAKE = "intake"
    ANALYSIS = "analysis"
    HANDLING = "handling"
    COMMUNICATION = "communication"
    VERIFICATION = "verification"
    ARCHIVE = "archive"


class Recurrence(StrEnum):
    NEW = "new"  # 新发
    RECURRENCE = "recurrence"  # 复发: an earlier fault came back
    KNOWN_ISSUE = "known_issue"  # 已知问题: in the known-issue library / release notes


class CauseCategory(StrEnum):
    CODE_LOGIC = "code_logic"  # 代码逻辑错误
    INTERFACE_TIMEOUT = "interface_timeout"  # 接口超时
    THIRD_PARTY = "third_party"  # 第三方服务异常
    CONFIGURATION = "configuration"  # 配置错误
    DATA = "data"  # 数据问题
    REQUIREMENT_GAP = "requirement_gap"  # 需求遗漏
    OTHER = "other"


class PlanKind(StrEnum):
    EMERGENCY_PATCH = "emergency_patch"  # 紧急修复上线
    WORKAROUND = "workaround"  # 临时规避方案
    NEXT_ITERATION = "next_iteration"  # 纳入下个迭代


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


# ---- commands: the data each action carries ------------------------------------------


@dataclass(frozen=True)
class StartAnalysis:
    recurrence: Recurrence
    impact: Impact
    revenue_impact: bool = False
    related_fault: str | None = None  # number of the earlier fault, for a recurrence
    known_issue: str | None = None  # reference in the known-issue library / release notes
    notes: str | None = None


@dataclass(frozen=True)
class Grade:
    severity: Severity
    reason: str | None = None
    suggested: Severity | None = None  # what the rules proposed (filled in by the service)
    owners: dict[Stage, int] = field(default_factory=dict)
    team_lead: int | None = None  # P0: the special team (专项小组)
    team_members: tuple[int, ...] = ()


@dataclass(frozen=True)
class SpecialTeam:
    """A P0's special team (专项小组), named at grading."""

    lead: int
    members: tuple[int, ...]


@dataclass(frozen=True)
class Regrade:
    severity: Severity
    reason: str


@dataclass(frozen=True)
class Assign:
    owners: dict[Stage, int]


@dataclass(frozen=True)
class Acknowledge:
    note: str | None = None


@dataclass(frozen=True)
class RecordCause:
    cause: str
    category: CauseCategory


@dataclass(frozen=True)
class ProposePlan:
    kind: PlanKind
    description: str
    deadline: datetime
    proposed_at: datetime | None = None  # now, filled in by the service: a deadline is not in the past


@dataclass(frozen=True)
class ReviewPlan:
    approved: bool
    comments: str
    reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class TestCase:
    key: str
    title: str
    expected: str


@dataclass(frozen=True)
class AttachCases:
    cases: tuple[TestCase, ...]


@dataclass(frozen=True)
class MarkFixReady:
    fix_version: str
    notes: str | None = None


@dataclass(frozen=True)
class CaseResult:
    key: str
    passed: bool
    notes: str | None = None


@dataclass(frozen=True)
class RecordVerification:
    results: tuple[CaseResult, ...]


@dataclass(frozen=True)
class Confirm:
    recovered: bool  # 恢复了 / 仍有问题
    comment: str | None = None
    by_reporter: bool = False


@dataclass(frozen=True)
class RecordGrayStep:
    percentage: int
    at: datetime
    notes: str | None = None


@dataclass(frozen=True)
class ReleaseFull:
    version: str
    announcement: str


@dataclass(frozen=True)
class Archive:
    cause: str
    solution: str
    reporter_feedback: str | None = None
    satisfaction: int | None = None  # 1–5
    durations: dict[str, int] | None = None  # from the stage records, filled in by the service (durations())


@dataclass(frozen=True)
class ImprovementAction:
    title: str
    owner_id: int
    due: date


@dataclass(frozen=True)
class KbArticle:
    title: str
    symptoms: str
    cause: str
    fix: str
    workaround: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retrospect:
    analysis: str
    actions: tuple[ImprovementAction, ...] = ()
    article: KbArticle | None = None


@dataclass(frozen=True)
class Merge:
    into: str  # the surviving fault's number


@dataclass(frozen=True)
class CloseNotAFault:
    reason: str


@dataclass(frozen=True)
class CloseCannotReproduce:
    reason: str


Command = (
    StartAnalysis | Grade | Regrade | Assign | Acknowledge | RecordCause | ProposePlan | ReviewPlan | AttachCases | MarkFixReady
    | RecordVerification | Confirm | RecordGrayStep | ReleaseFull | Archive | Retrospect | Merge | CloseNotAFault
    | CloseCannotReproduce
)  # fmt: skip

ACTION_OF: dict[type[Any], Action] = {
    StartAnalysis: Action.START_ANALYSIS,
    Grade: Action.GRADE,
    Regrade: Action.REGRADE,
    Assign: Action.ASSIGN,
    Acknowledge: Action.ACKNOWLEDGE,
    RecordCause: Action.RECORD_CAUSE,
    ProposePlan: Action.PROPOSE_PLAN,
    ReviewPlan: Action.REVIEW_PLAN,
    AttachCases: Action.ATTACH_CASES,
    MarkFixReady: Action.MARK_FIX_READY,
    RecordVerification: Action.RECORD_VERIFICATION,
    Confirm: Action.CONFIRM,
    RecordGrayStep: Action.RECORD_GRAY_STEP,
    ReleaseFull: Action.RELEASE_FULL,
    Archive: Action.ARCHIVE,
    Retrospect: Action.RETROSPECT,
    Merge: Action.MERGE,
    CloseNotAFault: Action.CLOSE_NOT_A_FAULT,
    CloseCannotReproduce: Action.CLOSE_CANNOT_REPRODUCE,
}


# ---- the aggregate's lifecycle state and what a decision produces ------------------------


@dataclass(frozen=True)
class FaultLife:
    """What the lifecycle needs to know about a fault to decide."""

    number: str
    status: FaultStatus
    severity: Severity | None = None
    reopen_count: int = 0
    cases: tuple[TestCase, ...] = ()
    gray_steps: int = 0
    fix_version: str | None = None
    responded: bool = False  # the response clock is met: acknowledging again changes nothing
    retrospected: bool = False  # the retrospective is recorded: one per fault


@dataclass(frozen=True)
class Decision:
    action: Action
    before: FaultLife
    after: FaultLife
    record: dict[str, Any]  # the stage record kept for this step
    events: tuple[ev.DomainEvent, ...]  # what the step made happen, in order (services/reactions.py)


@dataclass(frozen=True)
class Party:
    """The lifecycle's view of who acts: a staff role, or the reporter of one of its reports."""

    role: Role | None
    is_reporter: bool = False


def allowed(life: FaultLife, action: Action, actor: Party) -> bool:
    return life.status in FROM[action] and _done(life, action) is None and may_act(action, life.severity, actor)


# Actions that keep the state but have an effect only once: offered (and taken) until it is had.
DONE_WORDS: dict[Action, tuple[str, str]] = {
    Action.ACKNOWLEDGE: ("响应时限已达成，无需再确认响应", "the response clock is met already: nothing to acknowledge"),
    Action.RETROSPECT: ("该故障单已复盘", "the retrospective is recorded already"),
}


def _done(life: FaultLife, action: Action) -> tuple[str, str] | None:
    """Why this action would change nothing now (zh, en), or None."""
    if (action is Action.ACKNOWLEDGE and life.responded) or (action is Action.RETROSPECT and life.retrospected):
        return DONE_WORDS[action]
    return None


def may_act(action: Action, severity: Severity | None, actor: Party) -> bool:
    if actor.is_reporter:
        return action in REPORTER_ACTIONS
    return actor.role is not None and actor.role in roles_for(action, severity)


def available(life: FaultLife, actor: Party) -> list[Action]:
    """The actions this actor may take now, in the table's order."""
    return [a for a in Action if allowed(life, a, actor)]


def _out_of_turn(life: FaultLife, actor: Party, why_en: str, why_zh: str) -> InvalidTransition:
    """Why not, then only what this caller may take now, in words: a list of others' actions helps nobody."""
    possible = available(life, actor)
    return InvalidTransition(
        f"fault {life.number}{why_en}; you may: "
        f"{'; '.join(ACTION_WORDS[a][1] for a in possible) or 'nothing at this stage'}",
        f"故障单 {life.number}{why_zh}；您现在可以：{'、'.join(ACTION_WORDS[a][0] for a in possible) or '暂无可执行的操作'}",
        state=life.status.value,
        allowed=[a.value for a in possible],
    )


def decide(life: FaultLife, command: Command, actor: Party) -> Decision:
    """Check state, role and preconditions; return the new lifecycle state, the record and events."""
    action = ACTION_OF[type(command)]
    if life.status not in FROM[action]:
        zh, en = ACTION_WORDS[action]
        raise _out_of_turn(life, actor, f" is {life.status.value}: cannot {en} now", f" 当前状态下不能{zh}")
    if (done := _done(life, action)) is not None:
        raise _out_of_turn(life, actor, f": {done[1]}", f"：{done[0]}")
    if not may_act(action, life.severity, actor):
        zh, en = ACTION_WORDS[action]
        if actor.is_reporter:
            who_zh, who_en = "反馈人", "the reporter"
        else:
            who_zh, who_en = ROLE_WORDS[actor.role] if actor.role else ("未登录者", "nobody")
        raise NotPermitted(f"{who_en} may not {en}", f"{who_zh}无权{zh}")
    after, record, events = _apply(life, command)
    if after.status != life.status:
        events = (ev.StateChanged(life.status, after.status), *events)
    return Decision(action, life, after, record, events)


def _need(ok: bool, field_name: str, en: str, zh: str) -> None:
    if not ok:
        raise RuleViolation.one(field_name, en, zh)


def _text(value: str | None) -> bool:
    return bool(value and value.strip())


def _apply(life: FaultLife, c: Command) -> tuple[FaultLife, dict[str, Any], tuple[ev.DomainEvent, ...]]:
    match c:
        case StartAnalysis():
            _need(
                c.recurrence is Recurrence.NEW or bool(c.related_fault or c.known_issue),
                "related_fault",
                "a recurrence or known issue names the earlier fault or the known issue",
                "复发或已知问题须指明原故障单或已知问题",
            )
            return replace(life, status=S.TRIAGING), _record(c), ()
        case Grade():
            if c.suggested is not None and c.severity != c.suggested:
                _need(
                    _text(c.reason),
                    "reason",
                    "overriding the suggested severity needs a reason",
                    "调整建议级别须说明理由",
                )
            events: list[ev.DomainEvent] = [
                ev.SeverityChanged(None, c.severity, c.reason or "suggested"),
                ev.Graded(c.severity),
            ]
            if c.severity is Severity.P0:
                if c.team_lead is None:
                    raise RuleViolation.one(
                        "team_lead", "a P0 needs a special team lead", "P0 故障须指定专项小组负责人"
                    )
                _need(
                    bool(c.team_members), "team_members", "a P0 needs special team members", "P0 故障须指定专项小组成员"
                )
                events.append(ev.P0TeamFormed(c.team_lead, c.team_members))
            return replace(life, status=S.LOCATING, severity=c.severity), _record(c), tuple(events)
        case Regrade():
            _need(_text(c.reason), "reason", "a change of severity needs a reason", "调整级别须说明理由")
            _need(c.severity != life.severity, "severity", "is already the fault's severity", "与当前级别相同")
            event = ev.SeverityChanged(life.severity, c.severity, c.reason)
            return replace(life, severity=c.severity), _record(c), (event,)
        case Assign():
            _need(bool(c.owners), "owners", "names no owner", "未指定负责人")
            return life, _record(c), (ev.OwnersChanged(dict(c.owners)),)
        case Acknowledge():
            return replace(life, responded=True), _record(c), (ev.Acknowledged(),)
        case RecordCause():
            _need(_text(c.cause), "cause", "is empty", "不能为空")
            return replace(life, status=S.PLANNING, responded=True), _record(c), (ev.CauseRecorded(c.category),)
        case ProposePlan():
            problems = []
            if not _text(c.description):
                problems.append(FieldProblem("description", "is empty", "不能为空"))
            if c.proposed_at is not None and c.deadline < c.proposed_at:
                problems.append(FieldProblem("deadline", "is in the past", "不能早于现在"))
            if problems:
                raise RuleViolation(problems)
            return replace(life, status=S.PLAN_REVIEW), _record(c), ()
        case ReviewPlan():
            _need(_text(c.comments) or c.approved, "comments", "a rejection needs comments", "驳回须填写评审意见")
            return replace(life, status=S.FIXING if c.approved else S.PLANNING), _record(c), ()
        case AttachCases():
            _need(bool(c.cases), "cases", "lists no case", "未提供用例")
            keys = [k.key for k in (*life.cases, *c.cases)]
            _need(len(keys) == len(set(keys)), "cases", "case keys must be unique", "用例编号重复")
            return replace(life, cases=(*life.cases, *c.cases)), _record(c), ()
        case MarkFixReady():
            _need(_text(c.fix_version), "fix_version", "is empty", "不能为空")
            ready = replace(life, status=S.VERIFYING, fix_version=c.fix_version)
            return ready, _record(c), (ev.FixReady(c.fix_version),)
        case RecordVerification():
            _need(bool(life.cases), "results", "attach verification cases first", "请先由测试工程师添加验证用例")
            given = {r.key for r in c.results}
            expected = {k.key for k in life.cases}
            _need(
                given == expected and len(c.results) == len(given),
                "results",
                f"give one result for each case: {sorted(expected)}",
                f"须为每个用例给出一个结果：{sorted(expected)}",
            )
            if all(r.passed for r in c.results):
                return replace(life, status=S.AWAITING_CONFIRMATION), _record(c), (ev.Verified(),)
            failed = tuple(r.key for r in c.results if not r.passed)
            reopened = replace(life, status=S.LOCATING, reopen_count=life.reopen_count + 1)
            return reopened, _record(c), (ev.Reopened("verification_failed", failed),)
        case Confirm():
            if not c.recovered:
                reopened = replace(life, status=S.LOCATING, reopen_count=life.reopen_count + 1)
                return reopened, _record(c), (ev.Reopened("reporter_still_broken"),)
            if life.severity in (Severity.P0, Severity.P1):
                return replace(life, status=S.RELEASING), _record(c), ()
            return replace(life, status=S.RESOLVED), _record(c), (ev.Resolved(ships_in=life.fix_version),)
        case RecordGrayStep():
            _need(0 < c.percentage < 100, "percentage", "a gray step is between 1 and 99 %", "灰度比例须在 1–99 之间")
            return replace(life, gray_steps=life.gray_steps + 1), _record(c), ()
        case ReleaseFull():
            _need(life.gray_steps > 0, "version", "release to a gray share first", "须先灰度发布，再全量发布")
            _need(_text(c.announcement), "announcement", "a release needs an announcement", "全量发布须发布上线公告")
            return (
                replace(life, status=S.RESOLVED),
                _record(c),
                (ev.Resolved(version=c.version), ev.Released(c.version, c.announcement)),
            )
        case Archive():
            _need(_text(c.cause), "cause", "is empty", "不能为空")
            _need(_text(c.solution), "solution", "is empty", "不能为空")
            _need(
                c.satisfaction is None or 1 <= c.satisfaction <= 5, "satisfaction", "is from 1 to 5", "满意度须为 1–5"
            )
            record = {**_record(c), "ships_in": life.fix_version}
            return replace(life, status=S.ARCHIVED), record, (ev.Archived(c.durations, life.fix_version),)
        case Retrospect():
            _need(_text(c.analysis), "analysis", "is empty", "不能为空")
            return replace(life, retrospected=True), _record(c), (ev.Retrospected(c.actions, c.article),)
        case Merge():
            _need(c.into != life.number, "into", "a fault cannot merge into itself", "不能合并到自身")
            return replace(life, status=S.DUPLICATE), _record(c), (ev.Merged(c.into),)
        case CloseNotAFault() | CloseCannotReproduce():
            _need(_text(c.reason), "reason", "closing needs a reason", "关闭须说明理由")
            target = S.NOT_A_FAULT if isinstance(c, CloseNotAFault) else S.CANNOT_REPRODUCE
            return replace(life, status=target), _record(c), (ev.Closed(target, c.reason),)
    raise AssertionError(f"unhandled command {c!r}")  # pragma: no cover


def _record(c: Command) -> dict[str, Any]:
    """The command as plain JSON-able data: the stage record kept on the fault."""
    plain: dict[str, Any] = _plain(c)
    return plain


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Severity):
        return value.name
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


# Which stage records close which span of the fault's life, for the archive's durations.
_MILESTONES = {
    "graded": (Action.GRADE,),
    "fix_ready": (Action.MARK_FIX_READY,),
    "verified": (Action.RECORD_VERIFICATION,),
    "resolved": (Action.CONFIRM, Action.RELEASE_FULL),
}


def durations(
    registered_at: datetime, steps: list[tuple[str, datetime, dict[str, Any]]], archived_at: datetime
) -> dict[str, int]:
    """Minutes from registration to each milestone (its last occurrence: reopens count in full)."""
    last: dict[str, datetime] = {}
    for action, at, data in steps:
        for milestone, actions in _MILESTONES.items():
            if action in {a.value for a in actions}:
                if milestone == "verified" and not all(r.get("passed") for r in data.get("results", [])):
                    continue
                if milestone == "resolved" and action == Action.CONFIRM.value and not data.get("recovered"):
                    continue
                last[milestone] = at
    out = {f"to_{m}_min": int((at - registered_at).total_seconds() // 60) for m, at in last.items()}
    out["to_archived_min"] = int((archived_at - registered_at).total_seconds() // 60)
    return out


def role_table() -> str:
    """The role × action table as Markdown (printed in the README; a test keeps them equal)."""
    roles = list(Role)
    head = "| action | from | to | " + " | ".join(r.value for r in roles) + " |"
    rule = "|---|---|---|" + "---|" * len(roles)
    rows = []
    for action in Action:
        starts = ", ".join(sorted(s.value for s in FROM[action]))
        targets = TARGETS[action]
        to = ", ".join(sorted(s.value for s in targets)) if targets else "(same)"
        cells = []
        for role in roles:
            if action is Action.PROPOSE_PLAN:
                cells.append(" / ".join(sev.name for sev, who in PLAN_AUTHORS.items() if role in who) or "")
            else:
                cells.append("✓" if role in ROLES[action] else "")
        if action in REPORTER_ACTIONS:
            to += " (also the reporter, by tracking token)"
        rows.append(f"| `{action.value}` | {starts} | {to} | " + " | ".join(cells) + " |")
    return "\n".join([head, rule, *rows])


# The steps that move a fault on through the template's stages (the retrospective, which keeps
# its state, included): not the side doors open at many stages (regrade, assign, acknowledge,
# cases, a gray step, merge, the closures).
_EXITS = frozenset({Action.MERGE, Action.CLOSE_NOT_A_FAULT, Action.CLOSE_CANNOT_REPRODUCE})
ONWARD = frozenset({a for a, to in TARGETS.items() if to is not None and a not in _EXITS} | {Action.RETROSPECT})


def next_steps(life: FaultLife) -> list[tuple[Party, list[Action]]]:
    """Whose turn it is: each role (then the reporter) with the onward steps it may take now. The
    administrator, who may take every action, is left out: it would be on every fault."""
    parties = [Party(role) for role in Role if role is not Role.ADMIN] + [Party(None, is_reporter=True)]
    steps = [(party, [a for a in available(life, party) if a in ONWARD]) for party in parties]
    return [(party, actions) for party, actions in steps if actions]

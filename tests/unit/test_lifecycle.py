"""The lifecycle's rules, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import InvalidTransition, NotPermitted, RuleViolation
from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.lifecycle import Action, FaultLife, Party
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact, SeverityRules, suggest_severity

S = FaultStatus
AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CASE = lc.TestCase("TC1", "模拟10笔不同金额支付", "均成功")
PM, LEAD, DEV, TESTER, AGENT = (Party(r) for r in (Role.PM, Role.TECH_LEAD, Role.DEVELOPER, Role.TESTER, Role.AGENT))


def life(status: S, severity: Severity | None = Severity.P1, **kw) -> FaultLife:
    return FaultLife("261125-01-001", status, severity, **kw)


def test_every_action_has_a_start_a_target_and_roles():
    assert set(lc.FROM) == set(lc.TARGETS) == set(lc.ROLES) == set(Action)
    assert set(lc.ACTION_OF.values()) == set(Action)
    assert all(Role.ADMIN in roles for roles in lc.ROLES.values())


def test_closed_states_take_no_state_changing_action():
    for action, starts in lc.FROM.items():
        if lc.TARGETS[action] is not None:
            assert not (starts & {S.ARCHIVED, S.DUPLICATE, S.NOT_A_FAULT, S.CANNOT_REPRODUCE}), action


def test_the_happy_path_of_a_p2_fault():
    steps = [
        (lc.StartAnalysis(lc.Recurrence.NEW, Impact.COSMETIC), PM, S.TRIAGING),
        (lc.Grade(Severity.P2, suggested=Severity.P2), LEAD, S.LOCATING),
        (lc.RecordCause("CSS 未适配小屏", lc.CauseCategory.CODE_LOGIC), DEV, S.PLANNING),
        (lc.ProposePlan(lc.PlanKind.NEXT_ITERATION, "下个迭代修复", AT), DEV, S.PLAN_REVIEW),
        (lc.ReviewPlan(True, "同意"), LEAD, S.FIXING),
        (lc.AttachCases((CASE,)), TESTER, S.FIXING),
        (lc.MarkFixReady("5.3.0"), DEV, S.VERIFYING),
        (lc.RecordVerification((lc.CaseResult("TC1", True),)), TESTER, S.AWAITING_CONFIRMATION),
        (lc.Confirm(True), AGENT, S.RESOLVED),
        (lc.Archive("样式错误", "修正样式", "满意", 5), PM, S.ARCHIVED),
    ]
    state = life(S.REGISTERED, None)
    for command, party, expected in steps:
        state = lc.decide(state, command, party).after
        assert state.status is expected, command
    assert state.severity is Severity.P2 and state.fix_version == "5.3.0"


def test_a_failed_verification_reopens_and_counts():
    state = life(S.VERIFYING, cases=(CASE,))
    decision = lc.decide(state, lc.RecordVerification((lc.CaseResult("TC1", False, "仍失败"),)), TESTER)
    assert decision.after.status is S.LOCATING and decision.after.reopen_count == 1
    assert [e.name for e in decision.events] == ["state_changed", "reopened"]


def test_a_reporter_who_is_still_broken_reopens_and_may_only_confirm():
    reporter = Party(None, is_reporter=True)
    state = life(S.AWAITING_CONFIRMATION)
    assert lc.decide(state, lc.Confirm(False, by_reporter=True), reporter).after.status is S.LOCATING
    assert lc.available(state, reporter) == [Action.CONFIRM]
    with pytest.raises(NotPermitted) as refused:
        lc.decide(life(S.RESOLVED), lc.Archive("c", "s"), reporter)
    assert refused.value.message_zh == "反馈人无权归档"  # in words, not "reporter 无权执行 archive"


def test_p0_and_p1_go_through_gray_then_full_release():
    state = lc.decide(life(S.AWAITING_CONFIRMATION, Severity.P0), lc.Confirm(True), AGENT).after
    assert state.status is S.RELEASING
    with pytest.raises(RuleViolation, match="gray"):
        lc.decide(state, lc.ReleaseFull("5.2.2", "已修复"), PM)
    state = lc.decide(state, lc.RecordGrayStep(10, AT), PM).after
    assert (state.status, state.gray_steps) == (S.RELEASING, 1)
    assert lc.decide(state, lc.ReleaseFull("5.2.2", "支付问题已修复"), PM).after.status is S.RESOLVED


def test_a_p0_needs_its_special_team_and_an_override_needs_a_reason():
    triaging = life(S.TRIAGING, None)
    with pytest.raises(RuleViolation) as caught:
        lc.decide(triaging, lc.Grade(Severity.P0, suggested=Severity.P0), LEAD)
    assert caught.value.problems[0].field == "team_lead"
    with pytest.raises(RuleViolation) as caught:
        lc.decide(triaging, lc.Grade(Severity.P1, suggested=Severity.P0, team_lead=1, team_members=(2,)), LEAD)
    assert caught.value.problems[0].field == "reason"
    ok = lc.decide(triaging, lc.Grade(Severity.P0, suggested=Severity.P0, team_lead=1, team_members=(2, 3)), LEAD)
    assert "p0_team_formed" in [e.name for e in ok.events]


@pytest.mark.parametrize(
    ("severity", "author", "allowed"),
    [
        (Severity.P0, PM, True),
        (Severity.P1, PM, True),
        (Severity.P2, PM, False),
        (Severity.P2, DEV, True),
        (Severity.P1, DEV, False),
    ],
)
def test_plans_are_written_by_the_pm_for_p0_p1_and_by_the_developer_for_p2(severity, author, allowed):
    state = life(S.PLANNING, severity)
    command = lc.ProposePlan(lc.PlanKind.EMERGENCY_PATCH, "今日18:00前发布紧急补丁", AT)
    if allowed:
        assert lc.decide(state, command, author).after.status is S.PLAN_REVIEW
    else:
        with pytest.raises(NotPermitted):
            lc.decide(state, command, author)


def test_an_illegal_transition_names_the_state_and_in_words_only_what_the_caller_may_do():
    with pytest.raises(InvalidTransition) as caught:
        lc.decide(life(S.REGISTERED, None), lc.MarkFixReady("1.0"), lc.Party(Role.PM))
    assert caught.value.data["state"] == "registered"
    assert caught.value.data["allowed"] == ["start_analysis", "assign", "merge", "close_not_a_fault"]
    assert "记录复发判断与影响" in caught.value.message_zh and "start_analysis" not in caught.value.message_zh
    assert "mark_fix_ready" not in caught.value.message and "record the recurrence check" in caught.value.message
    with pytest.raises(InvalidTransition) as refused:
        lc.decide(life(S.REGISTERED, None), lc.MarkFixReady("1.0"), DEV)
    assert refused.value.data["allowed"] == [] and "暂无可执行的操作" in refused.value.message_zh


def test_verification_needs_a_result_for_every_case():
    state = life(S.VERIFYING, cases=(CASE, lc.TestCase("TC2", "t", "e")))
    with pytest.raises(RuleViolation, match="TC2"):
        lc.decide(state, lc.RecordVerification((lc.CaseResult("TC1", True),)), TESTER)


def test_a_rejected_plan_goes_back_to_planning_with_comments():
    state = life(S.PLAN_REVIEW)
    with pytest.raises(RuleViolation):
        lc.decide(state, lc.ReviewPlan(False, ""), LEAD)
    assert lc.decide(state, lc.ReviewPlan(False, "影响退款流程"), LEAD).after.status is S.PLANNING


def test_durations_come_from_the_timeline():
    reg = AT
    steps = [
        ("grade", reg + timedelta(minutes=40), {}),
        ("mark_fix_ready", reg + timedelta(hours=3), {}),
        ("record_verification", reg + timedelta(hours=4), {"results": [{"passed": False}]}),
        ("mark_fix_ready", reg + timedelta(hours=6), {}),
        ("record_verification", reg + timedelta(hours=7), {"results": [{"passed": True}]}),
        ("confirm", reg + timedelta(hours=8), {"recovered": True}),
    ]
    out = lc.durations(reg, steps, reg + timedelta(hours=20))
    assert out == {
        "to_graded_min": 40,
        "to_fix_ready_min": 360,
        "to_verified_min": 420,
        "to_resolved_min": 480,
        "to_archived_min": 1200,
    }


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        (
            {"criticality": Criticality.CORE, "impact": Impact.OUTAGE, "affected_users": 3, "revenue_impact": False},
            Severity.P0,
        ),
        (
            {
                "criticality": Criticality.MINOR,
                "impact": Impact.COSMETIC,
                "affected_users": 1001,
                "revenue_impact": False,
            },
            Severity.P0,
        ),
        (
            {"criticality": Criticality.MINOR, "impact": Impact.COSMETIC, "affected_users": 5, "revenue_impact": True},
            Severity.P0,
        ),
        (
            {"criticality": Criticality.MAIN, "impact": Impact.PARTIAL, "affected_users": 5, "revenue_impact": False},
            Severity.P1,
        ),
        (
            {
                "criticality": Criticality.MINOR,
                "impact": Impact.COSMETIC,
                "affected_users": 100,
                "revenue_impact": False,
            },
            Severity.P1,
        ),
        (
            {
                "criticality": Criticality.MINOR,
                "impact": Impact.COSMETIC,
                "affected_users": 1000,
                "revenue_impact": False,
            },
            Severity.P1,
        ),
        (
            {
                "criticality": Criticality.MINOR,
                "impact": Impact.COSMETIC,
                "affected_users": 99,
                "revenue_impact": False,
            },
            Severity.P2,
        ),
        ({"criticality": None, "impact": None, "affected_users": 0, "revenue_impact": False}, Severity.P2),
    ],
)
def test_severity_suggestion_follows_the_template(kw, expected):
    suggestion = suggest_severity(**kw)
    assert suggestion.severity is expected and suggestion.reasons


def test_severity_thresholds_are_configurable():
    rules = SeverityRules(p1_users=10, p0_users=50)
    assert (
        suggest_severity(criticality=None, impact=None, affected_users=51, revenue_impact=False, rules=rules).severity
        is Severity.P0
    )
    assert (
        suggest_severity(criticality=None, impact=None, affected_users=10, revenue_impact=False, rules=rules).severity
        is Severity.P1
    )


# ---- property: no sequence of calls leaves a fault in a state the machine does not define --------

COMMANDS = st.sampled_from(
    [
        lc.StartAnalysis(lc.Recurrence.NEW, Impact.PARTIAL),
        lc.StartAnalysis(lc.Recurrence.RECURRENCE, Impact.PARTIAL),  # invalid: names no earlier fault
        lc.Grade(Severity.P1, suggested=Severity.P1),
        lc.Grade(Severity.P2, suggested=Severity.P2),
        lc.Grade(Severity.P0, suggested=Severity.P0, team_lead=1, team_members=(2,)),
        lc.Grade(Severity.P0, suggested=Severity.P1),
        lc.Regrade(Severity.P0, "用户激增"),
        lc.Regrade(Severity.P2, ""),
        lc.Assign({lc.Stage.HANDLING: 3}),
        lc.RecordCause("接口超时", lc.CauseCategory.INTERFACE_TIMEOUT),
        lc.ProposePlan(lc.PlanKind.WORKAROUND, "临时规避", AT),
        lc.ReviewPlan(True, "ok"),
        lc.ReviewPlan(False, "需补充回滚方案"),
        lc.AttachCases((CASE,)),
        lc.MarkFixReady("5.2.2"),
        lc.RecordVerification((lc.CaseResult("TC1", True),)),
        lc.RecordVerification((lc.CaseResult("TC1", False),)),
        lc.Confirm(True),
        lc.Confirm(False),
        lc.RecordGrayStep(20, AT),
        lc.RecordGrayStep(100, AT),
        lc.ReleaseFull("5.2.2", "公告"),
        lc.Archive("原因", "方案", None, 4),
        lc.Retrospect("复盘", (lc.ImprovementAction("补充用例", 4, date(2026, 12, 1)),)),
        lc.Merge("261125-01-002"),
        lc.Merge("261125-01-001"),
        lc.CloseNotAFault("用户操作问题"),
        lc.CloseCannotReproduce("无法复现"),
    ]
)
PARTIES = st.sampled_from([Party(r) for r in Role] + [Party(None, is_reporter=True), Party(None)])


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(COMMANDS, PARTIES), max_size=40))
def test_random_calls_never_leave_an_undefined_state(steps):
    state = FaultLife("261125-01-001", S.REGISTERED)
    for command, party in steps:
        action = lc.ACTION_OF[type(command)]
        try:
            decision = lc.decide(state, command, party)
        except (InvalidTransition, NotPermitted, RuleViolation) as refused:
            if state.status not in lc.FROM[action]:
                assert isinstance(refused, InvalidTransition)
            continue
        assert state.status in lc.FROM[action]
        assert lc.may_act(action, state.severity, party)
        targets = lc.TARGETS[action]
        assert decision.after.status in (targets if targets is not None else {state.status})
        assert decision.after.reopen_count >= state.reopen_count
        if decision.after.status in lc.OPEN_STATES - {S.REGISTERED, S.TRIAGING}:
            assert decision.after.severity is not None  # graded before handling starts
        state = decision.after
        assert state.status in set(S)


def test_the_readme_prints_the_role_table_of_the_code():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert lc.role_table() in readme


def test_next_steps_say_whose_turn_it_is_without_the_administrator():
    from faultdesk.domain.faults import FaultStatus
    from faultdesk.domain.lifecycle import Action, FaultLife, next_steps
    from faultdesk.domain.roles import Role

    def steps(status: FaultStatus) -> dict[str, list[Action]]:
        life = FaultLife(number="261204-01-007", status=status)
        return {("reporter" if p.is_reporter else p.role.value): a for p, a in next_steps(life)}  # type: ignore[union-attr]

    releasing = steps(FaultStatus.RELEASING)
    assert set(releasing) == {"pm"} and Action.RELEASE_FULL in releasing["pm"]
    awaiting = steps(FaultStatus.AWAITING_CONFIRMATION)
    assert awaiting["reporter"] == [Action.CONFIRM] and Action.CONFIRM in awaiting["agent"]
    assert all(role != Role.ADMIN.value for status in FaultStatus for role in steps(status))


def test_acknowledging_is_offered_until_the_response_clock_is_met_then_refused_in_words():
    fresh = life(S.LOCATING)
    assert Action.ACKNOWLEDGE in lc.available(fresh, DEV) and Action.ACKNOWLEDGE in lc.available(fresh, LEAD)
    acknowledged = lc.decide(fresh, lc.Acknowledge("在处理"), DEV).after
    assert acknowledged.responded
    # recording the cause meets the response clock too (services/reactions.py): no acknowledging after it
    located = lc.decide(fresh, lc.RecordCause("参数校验错误", lc.CauseCategory.CODE_LOGIC), DEV).after
    for met in (acknowledged, located, life(S.FIXING, responded=True)):
        assert Action.ACKNOWLEDGE not in lc.available(met, DEV) + lc.available(met, LEAD)
        with pytest.raises(InvalidTransition) as refused:
            lc.decide(met, lc.Acknowledge(), LEAD)
        assert "响应时限已达成" in refused.value.message_zh and "response clock is met" in refused.value.message
        assert refused.value.data["allowed"] == [a.value for a in lc.available(met, LEAD)]


def test_the_retrospective_is_recorded_once():
    retro = lc.Retrospect("需求评审遗漏边界场景")
    resolved = life(S.RESOLVED)
    assert Action.RETROSPECT in lc.available(resolved, PM)
    done = lc.decide(resolved, retro, PM).after
    assert done.retrospected and Action.RETROSPECT not in lc.available(done, PM)
    archived = lc.decide(done, lc.Archive("原因", "方案"), PM).after
    assert archived.status is S.ARCHIVED and Action.RETROSPECT not in lc.available(archived, PM)
    assert Action.RETROSPECT not in dict(lc.next_steps(archived)).get(PM, [])
    for state in (done, archived):
        with pytest.raises(InvalidTransition, match="retrospective is recorded already") as refused:
            lc.decide(state, retro, PM)
        assert "该故障单已复盘" in refused.value.message_zh


def test_a_plan_deadline_earlier_than_now_is_refused_on_the_deadline():
    planning = life(S.PLANNING)
    past = lc.ProposePlan(lc.PlanKind.EMERGENCY_PATCH, "今日18:00前发布紧急补丁", AT - timedelta(minutes=1), AT)
    with pytest.raises(RuleViolation) as refused:
        lc.decide(planning, past, PM)
    assert [(p.field, p.reason_zh, p.reason_en) for p in refused.value.problems] == [
        ("deadline", "不能早于现在", "is in the past")
    ]
    now_or_later = replace(past, deadline=AT)
    assert lc.decide(planning, now_or_later, PM).after.status is S.PLAN_REVIEW

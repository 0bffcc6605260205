"""The fault page's two pure parts: a fault's history told as sentences (web/timeline.py), and an
action's form drawn from its body's schema and read back into the API's body (web/action_forms.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common.commands import BODY_OF, command_of, fields_of
from faultdesk.entrypoints.web import action_forms as af
from faultdesk.entrypoints.web import timeline as tl
from faultdesk.services.records import Actor, AuditEvent, StageRecord, StoredMessage

ZONE = "Asia/Shanghai"
AT = datetime(2026, 12, 2, 2, 5, tzinfo=UTC)  # 10:05 in Shanghai
PEOPLE = tl.People(
    by_username={
        "pm1": tl.Person("王芳", Role.PM),
        "lead1": tl.Person("张伟 (技术负责人)", Role.TECH_LEAD),
        "dev1": tl.Person("刘洋", Role.DEVELOPER),
    },
    by_id={2: tl.Person("王芳", Role.PM), 4: tl.Person("刘洋", Role.DEVELOPER), 5: tl.Person("陈静", Role.TESTER)},
)


def record(action: str, data: dict, actor: str = "pm1") -> StageRecord:
    return StageRecord(1, action, data, actor, AT)


def said(action: str, data: dict, actor: str = "pm1", lang: str = "zh") -> str:
    (entry,) = tl.build(
        records=[record(action, data, actor)], events=[], messages=[], people=PEOPLE, zone=ZONE, lang=lang
    )
    return entry.sentence(ZONE, lang)


def test_a_recurrence_check_reads_as_the_template_says_it():
    data = {"recurrence": "new", "impact": "partial", "revenue_impact": False}
    assert (
        said("start_analysis", data)
        == "2026-12-02 10:05 王芳（产品经理）记录复发判断：新发问题；影响程度：功能部分异常"
    )
    assert said("start_analysis", data, lang="en") == (
        "2026-12-02 10:05 王芳 (product manager) recorded the recurrence check: new; impact: partly broken"
    )


def test_a_grading_names_the_override_the_owners_and_the_team_by_name_never_by_id():
    data = {
        "severity": "P0",
        "suggested": "P1",
        "reason": "支付核心功能",
        "owners": {"handling": 4},
        "team_lead": 4,
        "team_members": [5],
    }
    text = said("grade", data, actor="lead1")
    assert text.startswith("2026-12-02 10:05 张伟（技术负责人）定级为 P0 紧急（系统建议 P1 重要）：支付核心功能")
    assert "各阶段负责人：跨部门协同处理 刘洋（研发工程师）" in text
    assert "专项小组：负责人 刘洋（研发工程师），成员 陈静（测试工程师）" in text
    assert "(技术负责人)（技术负责人）" not in text  # a display name's own role is not said twice


@pytest.mark.parametrize(
    ("action", "data", "words"),
    [
        (
            "record_cause",
            {"cause": "参数校验过严", "category": "code_logic"},
            "记录问题原因（代码逻辑错误）：参数校验过严",
        ),
        (
            "propose_plan",
            {"kind": "emergency_patch", "description": "改规则", "deadline": "2026-12-02T10:00:00+00:00"},
            "提交解决方案（紧急修复上线，完成时限 2026-12-02 18:00）：改规则",
        ),
        ("review_plan", {"approved": False, "comments": "风险高", "reviewers": []}, "驳回方案：风险高"),
        ("record_verification", {"results": [{"key": "TC1", "passed": True}]}, "全部 1 个用例通过"),
        ("record_verification", {"results": [{"key": "TC1", "passed": False}]}, "TC1 未通过，故障重新打开"),
        ("confirm", {"recovered": False, "comment": None, "by_reporter": True}, "仍有问题，故障重新打开"),
        ("release_full", {"version": "5.2.2", "announcement": "已修复"}, "全量发布版本 5.2.2，上线公告：已修复"),
        ("merge", {"into": "261202-01-001"}, "合并到故障单 261202-01-001"),
    ],
)
def test_each_lifecycle_step_is_a_sentence_in_words(action, data, words):
    text = said(action, data)
    assert words in text
    for code in ("code_logic", "emergency_patch", "{", "'", "None", "True", "False"):
        assert code not in text


def test_every_action_has_its_own_sentence_in_both_languages():
    for action in lc.Action:
        for lang in ("zh", "en"):
            text, _ = tl.step_text(action.value, {}, PEOPLE, ZONE, lang)
            assert text != tl.step_text("no_such_action", {}, PEOPLE, ZONE, lang)[0], (action, lang)


def test_the_reporter_and_the_system_are_named_in_words():
    assert (
        said("confirm", {"recovered": True}, actor="reporter:12")
        .split(" ", 2)[2]
        .startswith("反馈人确认用户反馈：已恢复")
    )
    event = AuditEvent(
        AT, Actor.system(), "fault", "n", "recurrence_detected", after={"related_fault": "261101-01-003"}
    )
    (entry,) = tl.build(records=[], events=[event], messages=[], people=PEOPLE, zone=ZONE, lang="zh")
    assert entry.sentence(ZONE) == "2026-12-02 10:05 系统识别为复发性问题：与故障单 261101-01-003 相似"


def test_lifecycle_audit_events_are_told_once_by_their_stage_record():
    event = AuditEvent(AT, Actor(2, "pm1", Role.PM), "fault", "n", "start_analysis", after={"record": {}}, id=7)
    entries = tl.build(
        records=[record("start_analysis", {"recurrence": "new", "impact": "outage"})],
        events=[event],
        messages=[],
        people=PEOPLE,
        zone=ZONE,
        lang="zh",
    )
    assert len(entries) == 1


def test_an_update_nobody_received_says_so():
    event = AuditEvent(
        AT, Actor(1, "agent1", Role.AGENT), "fault", "n", "first_reply", after={"text": "在处理", "recipients": 0}
    )
    (entry,) = tl.build(records=[], events=[event], messages=[], people=PEOPLE, zone=ZONE, lang="zh")
    assert "记录了首次反馈（无可联系的反馈人，未发送）：在处理" in entry.text and entry.tone == "bad"


def test_a_message_reads_with_its_recipient_kind_channel_and_delivery_state():
    def message(recipient: str, state: str, attempts: int = 1) -> StoredMessage:
        return StoredMessage(
            1, "m", "email", recipient, "first_reply", "s", "b", 1, 3, state, attempts, AT, None, AT, None
        )

    entries = tl.build(
        records=[],
        events=[],
        messages=[message("report:3", "sent"), message("user:4", "dead", 5)],
        people=PEOPLE,
        zone=ZONE,
        lang="zh",
    )
    texts = [e.text for e in entries]
    assert "向反馈 #3 的反馈人发送「首次反馈」（邮件）：已送达" in texts
    assert "向刘洋（研发工程师）发送「首次反馈」（邮件）：发送失败，已尝试 5 次" in texts


def test_changes_since_tell_the_steps_after_the_version_seen():
    events = [
        AuditEvent(
            AT,
            Actor(2, "pm1", Role.PM),
            "fault",
            "n",
            "start_analysis",
            after={"record": {"recurrence": "new", "impact": "outage"}},
            id=3,
        ),
        AuditEvent(
            AT, Actor(2, "pm1", Role.PM), "fault", "n", "assign", after={"record": {"owners": {"handling": 4}}}, id=9
        ),
    ]
    (entry,) = tl.changes_since(events, 3, PEOPLE, ZONE, "zh")
    assert entry.text == "指定负责人：跨部门协同处理 刘洋（研发工程师）" and entry.who == "王芳（产品经理）"


def test_long_texts_are_clipped_in_a_sentence():
    text = said("record_cause", {"cause": "很" * 500, "category": "data"})
    assert text.endswith("…") and len(text) < 250


# ---- forms ------------------------------------------------------------------------------------


def kinds(action: lc.Action) -> dict[str, str]:
    f = fields_of(action)
    return {w.name: w.kind for w in af.widgets(f.properties, f.required)}


def test_each_field_gets_the_widget_its_schema_calls_for():
    assert kinds(lc.Action.GRADE) == {
        "severity": "select",
        "reason": "textarea",
        "owners": "owners",
        "team_lead": "user",
        "team_members": "users",
    }
    assert kinds(lc.Action.START_ANALYSIS)["revenue_impact"] == "checkbox"
    assert kinds(lc.Action.PROPOSE_PLAN) == {"kind": "select", "description": "textarea", "deadline": "datetime"}
    assert kinds(lc.Action.REVIEW_PLAN) == {"approved": "yesno", "comments": "textarea", "reviewers": "words"}
    assert kinds(lc.Action.ATTACH_CASES) == {"cases": "rows"}
    assert kinds(lc.Action.RECORD_GRAY_STEP)["percentage"] == "number"
    retro = {w.name: w for w in af.widgets(fields_of(lc.Action.RETROSPECT).properties, ["analysis"])}
    assert [(c.name, c.kind) for c in retro["actions"].children] == [
        ("title", "text"),
        ("owner_id", "user"),
        ("due", "date"),
    ]
    assert retro["article"].kind == "object"
    gray = {w.name: w for w in af.widgets(fields_of(lc.Action.RECORD_GRAY_STEP).properties, [])}
    assert (gray["percentage"].minimum, gray["percentage"].maximum) == (1, 99)


def test_no_user_field_is_a_number_box():
    for action in BODY_OF:
        f = fields_of(action)
        for w in af.widgets(f.properties, f.required):
            for x in (w, *w.children):
                if x.name in ("owner_id", "team_lead", "team_members", "owners"):
                    assert x.kind in ("user", "users", "owners"), (action, x.name)


def body(action: lc.Action, form: dict[str, list[str]]) -> dict:
    return af.body_of(action.value, fields_of(action).properties, form)


def test_a_posted_grade_becomes_the_apis_body_and_command():
    form = {
        "severity": ["P0"],
        "reason": ["  "],
        "owners.handling": ["4"],
        "owners.archive": [""],
        "team_lead": ["4"],
        "team_members": ["5", "2"],
        "version": ["3"],
        "csrf_token": ["t"],
    }
    got = body(lc.Action.GRADE, form)
    assert got == {
        "action": "grade",
        "severity": "P0",
        "owners": {"handling": 4},
        "team_lead": 4,
        "team_members": [5, 2],
    }
    command = command_of(BODY_OF[lc.Action.GRADE].model_validate(got), ZONE, AT)
    assert command == lc.Grade(lc.Severity.P0, None, owners={lc.Stage.HANDLING: 4}, team_lead=4, team_members=(5, 2))


def test_rows_skip_the_empty_ones_and_keep_their_order_across_gaps():
    form = {
        "cases.0.key": ["TC1"],
        "cases.0.title": ["支付"],
        "cases.0.expected": ["成功"],
        "cases.1.key": [""],
        "cases.1.title": [""],
        "cases.12.key": ["TC2"],
        "cases.12.title": ["退款"],
        "cases.12.expected": ["到账"],
    }
    assert body(lc.Action.ATTACH_CASES, form)["cases"] == [
        {"key": "TC1", "title": "支付", "expected": "成功"},
        {"key": "TC2", "title": "退款", "expected": "到账"},
    ]
    assert af.rows_to_draw(form, "cases") == 13 and af.rows_to_draw({}, "cases") == af.EMPTY_ROWS


def test_booleans_numbers_words_times_and_optional_objects():
    assert body(lc.Action.REVIEW_PLAN, {"approved": ["false"], "reviewers": ["pm1，tester1、 lead1"]}) == {
        "action": "review_plan",
        "approved": False,
        "reviewers": ["pm1", "tester1", "lead1"],
    }
    assert (
        body(lc.Action.START_ANALYSIS, {"recurrence": ["new"], "impact": ["outage"], "revenue_impact": ["true"]})[
            "revenue_impact"
        ]
        is True
    )
    assert body(lc.Action.RECORD_GRAY_STEP, {"percentage": ["10"]})["percentage"] == 10
    assert body(lc.Action.RECORD_GRAY_STEP, {"percentage": ["ten"]})["percentage"] == "ten"  # the model refuses it
    plan = body(
        lc.Action.PROPOSE_PLAN, {"kind": ["workaround"], "description": ["d"], "deadline": ["2026-12-02T18:00"]}
    )
    command = command_of(BODY_OF[lc.Action.PROPOSE_PLAN].model_validate(plan), ZONE, AT)
    assert command.deadline.isoformat() == "2026-12-02T18:00:00+08:00"  # local time in the org's zone
    retro = body(lc.Action.RETROSPECT, {"analysis": ["a"], "article.title": [""], "article.tags": [""]})
    assert "article" not in retro  # an article left empty is no article
    retro = body(
        lc.Action.RETROSPECT,
        {
            "analysis": ["a"],
            "actions.0.title": ["补用例"],
            "actions.0.owner_id": ["5"],
            "actions.0.due": ["2026-12-10"],
        },
    )
    assert retro["actions"] == [{"title": "补用例", "owner_id": 5, "due": "2026-12-10"}]


def test_an_error_location_is_the_fields_form_name():
    assert af.error_path(("cases", 0, "key")) == "cases.0.key"
    assert af.error_path(("owners", "handling")) == "owners.handling"

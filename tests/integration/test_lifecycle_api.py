"""The whole lifecycle through the API: full lives, reopen, merge, roles, concurrency (both stores)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import Severity
from faultdesk.domain.roles import Role
from tests.conftest import WAIT_S, a_report
from tests.integration.lifecycle_helpers import BODIES, drive, new_fault, take

USER_ID = {role.value: i + 1 for i, role in enumerate(Role)}  # the staff fixture's creation order


def ok(res):
    assert res.status_code == 200, res.text
    return res.json()


def test_a_p0_life_with_a_reopen_from_registration_to_archive(client, staff, wiring):
    h = staff
    number = new_fault(client, h["agent"], symptom="微信支付后订单仍显示未支付", reporter_id="u1")
    for i in range(2, 5):  # more reporters of the same fault
        rid = client.post("/api/v1/reports", json=a_report(reporter_id=f"u{i}")).json()["report"]["id"]
        ok(client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": [rid]}, headers=h["agent"]))
    ok(
        client.put(
            f"/api/v1/faults/{number}/estimate",
            json={"estimated_users": 5000, "source": "支付监控告警"},
            headers=h["pm"],
        )
    )
    ok(take(client, h["pm"], number, "start_analysis", impact="outage", revenue_impact=True))
    suggestion = ok(client.get(f"/api/v1/faults/{number}/severity-suggestion", headers=h["tech_lead"]))
    assert suggestion["severity"] == "P0" and any("收入" in r["zh"] for r in suggestion["reasons"])
    missing_team = take(client, h["tech_lead"], number, "grade", severity="P0", reason=None)
    assert missing_team.status_code == 422 and missing_team.json()["error"]["fields"][0]["field"] == "team_lead"
    fault = ok(
        take(
            client,
            h["tech_lead"],
            number,
            "grade",
            severity="P0",
            reason=None,
            team_lead=USER_ID["tech_lead"],
            team_members=[USER_ID["developer"], USER_ID["tester"]],
        )
    )
    assert (fault["status"], fault["severity"], fault["team"]["lead"]) == ("locating", "P0", 3)
    ok(take(client, h["developer"], number, "record_cause", cause="第三方支付回调超时未重试", category="third_party"))
    assert take(client, h["developer"], number, "propose_plan").status_code == 403  # P0 plans are the PM's
    ok(take(client, h["pm"], number, "propose_plan"))
    ok(take(client, h["tech_lead"], number, "review_plan", approved=False, comments="缺少回滚方案"))
    ok(take(client, h["pm"], number, "propose_plan", description="增加回调重试并补单；附回滚方案"))
    ok(take(client, h["tech_lead"], number, "review_plan"))
    ok(take(client, h["tester"], number, "attach_cases"))
    ok(take(client, h["developer"], number, "mark_fix_ready", fix_version="5.2.1-hotfix1"))
    reopened = ok(
        take(
            client,
            h["tester"],
            number,
            "record_verification",
            results=[{"key": "TC1", "passed": False, "notes": "大额仍失败"}],
        )
    )
    assert (reopened["status"], reopened["reopen_count"]) == ("locating", 1)
    ok(take(client, h["developer"], number, "record_cause", cause="大额订单签名字段截断", category="code_logic"))
    ok(take(client, h["pm"], number, "propose_plan"))
    ok(take(client, h["tech_lead"], number, "review_plan"))
    ok(take(client, h["developer"], number, "mark_fix_ready", fix_version="5.2.1-hotfix2"))
    ok(take(client, h["tester"], number, "record_verification"))
    ok(take(client, h["agent"], number, "confirm"))
    ok(take(client, h["pm"], number, "record_gray_step", percentage=5))
    ok(take(client, h["pm"], number, "record_gray_step", percentage=50))
    resolved = ok(take(client, h["pm"], number, "release_full"))
    assert (resolved["status"], resolved["gray_steps"]) == ("resolved", 2)
    ok(take(client, h["pm"], number, "retrospect"))
    archived = ok(take(client, h["agent"], number, "archive"))
    assert archived["status"] == "archived"
    records = ok(client.get(f"/api/v1/faults/{number}/records", headers=h["developer"]))
    archive = records[-1]
    assert archive["action"] == "archive" and archive["data"]["durations"]["to_archived_min"] == 0
    assert archive["data"]["ships_in"] == "5.2.1-hotfix2"
    history = ok(client.get(f"/api/v1/faults/{number}/severity-history", headers=h["agent"]))
    assert [(c["from_severity"], c["to_severity"]) for c in history] == [(None, "P0")]
    kb = ok(client.get("/api/v1/kb", params={"q": "支付 校验"}, headers=h["agent"]))
    assert kb[0]["fault_number"] == number and kb[0]["tags"] == ["支付", "校验"]
    assert ok(client.get("/api/v1/kb", params={"q": "登录"}, headers=h["agent"])) == []
    actions = ok(client.get("/api/v1/improvement-actions", params={"fault": number}, headers=h["pm"]))
    assert [(a["title"], a["owner"], a["status"]) for a in actions] == [("补充异常场景测试用例", "tester1", "open")]
    assert (
        client.patch(
            f"/api/v1/improvement-actions/{actions[0]['id']}", json={"status": "done"}, headers=h["developer"]
        ).status_code
        == 403
    )
    assert (
        ok(
            client.patch(
                f"/api/v1/improvement-actions/{actions[0]['id']}", json={"status": "done"}, headers=h["tester"]
            )
        )["status"]
        == "done"
    )
    timeline = ok(client.get(f"/api/v1/faults/{number}/timeline", headers=h["agent"]))
    transitions = [e["action"] for e in timeline if e["entity"] == "fault"]
    assert transitions[0] == "registered" and transitions[-1] == "archive"
    assert transitions.count("record_verification") == 2 and "estimate_set" in transitions


def test_a_p2_life_closes_with_ships_in_version_and_the_reporters_word(client, staff):
    h = staff
    first = client.post("/api/v1/reports", json=a_report(symptom="个人资料页头像错位", channel="mini_program")).json()
    rid, token = first["report"]["id"], first["tracking_token"]
    number = client.post("/api/v1/faults", json={"type_code": "03", "report_ids": [rid]}, headers=h["agent"]).json()[
        "fault"
    ]["number"]
    ok(take(client, h["pm"], number, "start_analysis", impact="cosmetic"))
    assert ok(client.get(f"/api/v1/faults/{number}/severity-suggestion", headers=h["pm"]))["severity"] == "P2"
    ok(take(client, h["tech_lead"], number, "grade", severity="P2", reason=None))
    ok(take(client, h["developer"], number, "record_cause", cause="小屏适配缺失", category="code_logic"))
    assert take(client, h["pm"], number, "propose_plan").status_code == 403  # P2 plans are the developer's
    ok(take(client, h["developer"], number, "propose_plan", kind="next_iteration"))
    ok(take(client, h["tech_lead"], number, "review_plan"))
    ok(take(client, h["tester"], number, "attach_cases"))
    ok(take(client, h["developer"], number, "mark_fix_ready", fix_version="5.3.0"))
    ok(take(client, h["tester"], number, "record_verification"))
    still = ok(client.post(f"/api/v1/track/{token}/confirm", json={"outcome": "still_broken", "comment": "还是歪的"}))
    assert still["status"] == "locating"
    ok(take(client, h["developer"], number, "record_cause", cause="iPad 横屏未适配", category="code_logic"))
    ok(take(client, h["developer"], number, "propose_plan", kind="next_iteration"))
    ok(take(client, h["tech_lead"], number, "review_plan"))
    ok(take(client, h["developer"], number, "mark_fix_ready", fix_version="5.3.1"))
    ok(take(client, h["tester"], number, "record_verification"))
    assert ok(client.post(f"/api/v1/track/{token}/confirm", json={"outcome": "recovered"}))["status"] == "resolved"
    assert client.post(f"/api/v1/track/{token}/confirm", json={"outcome": "recovered"}).status_code == 409
    fault = ok(take(client, h["pm"], number, "archive"))
    assert (fault["status"], fault["reopen_count"], fault["fix_version"]) == ("archived", 1, "5.3.1")
    assert client.get(f"/api/v1/track/{token}").json()["status"] == "archived"


def test_merging_moves_the_reports_and_recounts(client, staff):
    h = staff
    keep = new_fault(client, h["agent"], reporter_id="u1")
    dup = new_fault(client, h["agent"], reporter_id="u2")
    rid = client.post("/api/v1/reports", json=a_report(reporter_id="u1")).json()["report"]["id"]
    ok(client.post(f"/api/v1/faults/{dup}/reports", json={"report_ids": [rid]}, headers=h["agent"]))
    token = client.post("/api/v1/reports", json=a_report(reporter_id="u3")).json()
    ok(client.post(f"/api/v1/faults/{dup}/reports", json={"report_ids": [token["report"]["id"]]}, headers=h["agent"]))
    assert take(client, h["agent"], dup, "merge", into=dup).status_code == 422
    assert take(client, h["agent"], dup, "merge", into="000000-01-999").status_code == 422
    merged = ok(take(client, h["agent"], dup, "merge", into=keep))
    assert (merged["status"], merged["merged_into"], merged["reports"]) == ("duplicate", keep, [])
    survivor = ok(client.get(f"/api/v1/faults/{keep}", headers=h["agent"]))
    assert survivor["report_count"] == 4 and survivor["affected_users"] == 3  # u1 twice, u2, u3
    assert client.get(f"/api/v1/track/{token['tracking_token']}").json()["fault_number"] == keep
    closed = take(client, h["agent"], new_fault(client, h["agent"]), "merge", into=dup)
    assert closed.status_code == 422  # a closed target, said in words (not "duplicate")
    assert closed.json()["error"]["fields"] == [{"field": "into", "reason": "目标故障单已关闭（已合并）"}]


def test_side_exits_need_a_reason(client, staff):
    number = new_fault(client, staff["agent"])
    ok(take(client, staff["pm"], number, "start_analysis"))
    assert take(client, staff["pm"], number, "close_not_a_fault", reason="  ").status_code == 422
    assert ok(take(client, staff["pm"], number, "close_not_a_fault"))["status"] == "not_a_fault"
    other = new_fault(client, staff["agent"])
    drive(client, staff["admin"], other, "locating")
    assert ok(take(client, staff["developer"], other, "close_cannot_reproduce"))["status"] == "cannot_reproduce"


def test_an_illegal_transition_is_409_naming_state_and_the_callers_own_actions_in_words(client, staff):
    number = new_fault(client, staff["agent"])
    res = take(client, staff["pm"], number, "mark_fix_ready")
    assert res.status_code == 409
    err = res.json()["error"]
    assert err["state"] == "registered" and "start_analysis" in err["allowed"]
    assert "grade" not in err["allowed"]  # the tech lead's, not the caller's
    res = take(client, staff["developer"], number, "mark_fix_ready")
    assert res.json()["error"]["allowed"] == []


def test_actions_lists_what_the_caller_may_do_now_with_fields(client, staff):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "triaging")
    res = client.get(f"/api/v1/faults/{number}/actions", headers=staff["tech_lead"])
    body = ok(res)
    assert res.headers["ETag"] == f'"{body["version"]}"'
    names = [a["action"] for a in body["actions"]]
    assert names == ["grade", "assign", "close_not_a_fault"]  # merging is for the PM and the agent
    grade = body["actions"][0]
    assert "severity" in grade["required"] and "team_lead" in grade["fields"]
    assert "$ref" not in str(body) and "$defs" not in str(body)  # a client reads the allowed values here
    assert grade["fields"]["severity"]["enum"] == ["P0", "P1", "P2"]
    assert ok(client.get(f"/api/v1/faults/{number}/actions", headers=staff["tester"]))["actions"] == []


def test_a_stale_if_match_gets_412_and_changes_nothing(client, staff):
    number = new_fault(client, staff["agent"])
    etag = client.get(f"/api/v1/faults/{number}", headers=staff["pm"]).headers["ETag"]
    ok(take_with(client, staff["pm"], number, "start_analysis", etag))
    res = take_with(client, staff["pm"], number, "close_not_a_fault", etag)
    assert res.status_code == 412
    assert client.get(f"/api/v1/faults/{number}", headers=staff["pm"]).json()["status"] == "triaging"
    assert take_with(client, staff["pm"], number, "close_not_a_fault", "garbage").status_code == 422


def take_with(client, headers, number, action, etag):
    body = {"action": action, **BODIES[action]}
    return client.post(f"/api/v1/faults/{number}/transitions", json=body, headers={**headers, "If-Match": etag})


@pytest.mark.slow
def test_two_racing_transitions_on_one_fault_apply_exactly_once(client, staff, wiring):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "triaging")
    etag = client.get(f"/api/v1/faults/{number}", headers=staff["pm"]).headers["ETag"]
    barrier = threading.Barrier(2, timeout=WAIT_S)
    results: list[int] = []

    def race(action: str, who: str) -> None:
        barrier.wait()
        results.append(take_with(client, staff[who], number, action, etag).status_code)

    threads = [
        threading.Thread(target=race, args=("close_not_a_fault", "pm")),
        threading.Thread(target=race, args=("grade", "tech_lead")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
        assert not t.is_alive()
    assert sorted(results) == [200, 412]
    with wiring.engine.connect() as conn:
        applied = conn.execute(
            text("SELECT COUNT(*) FROM stage_records WHERE action IN ('close_not_a_fault', 'grade')")
        ).scalar()
    assert applied == 1


def test_bad_transition_bodies_are_422(client, staff):
    number = new_fault(client, staff["agent"])
    for body in (
        {"action": "fly"},
        {"recurrence": "new"},
        {"action": "start_analysis", "recurrence": "sometimes", "impact": "partial"},
        {"action": "start_analysis", "recurrence": "recurrence", "impact": "partial"},
        {"action": "start_analysis", "recurrence": "recurrence", "impact": "partial", "related_fault": "nope"},
        {"action": "start_analysis", "recurrence": "new", "impact": "partial", "extra": 1},
    ):
        res = client.post(f"/api/v1/faults/{number}/transitions", json=body, headers=staff["pm"])
        assert res.status_code == 422, (body, res.text)
        assert res.json()["error"]["fields"]
    assert client.get(f"/api/v1/faults/{number}", headers=staff["pm"]).json()["status"] == "registered"


# ---- the permission battery: every role on every transition, against the table ---------------

START = {
    "start_analysis": "registered",
    "grade": "triaging",
    "regrade": "locating",
    "assign": "locating",
    "acknowledge": "locating",
    "record_cause": "locating",
    "propose_plan": "planning",
    "review_plan": "plan_review",
    "attach_cases": "fixing",
    "mark_fix_ready": ("fixing", 6),  # after the tester attached cases
    "record_verification": "verifying",
    "confirm": "awaiting_confirmation",
    "record_gray_step": "releasing",
    "release_full": ("releasing", 10),  # after one gray step
    "archive": "resolved",
    "retrospect": "resolved",
    "merge": "locating",
    "close_not_a_fault": "triaging",
    "close_cannot_reproduce": "locating",
}


@pytest.mark.slow
@pytest.mark.parametrize("action", [a.value for a in lc.Action])
def test_every_role_on_every_transition_matches_the_table(client, staff, action):
    start = START[action]
    state, steps = start if isinstance(start, tuple) else (start, None)
    allowed = lc.roles_for(lc.Action(action), Severity.P1)
    extra = {"into": new_fault(client, staff["agent"])} if action == "merge" else {}
    for role in Role:
        number = new_fault(client, staff["agent"])
        drive(client, staff["admin"], number, state, steps=steps)
        res = take(client, staff[role.value], number, action, **extra)
        expected = 200 if role in allowed else 403
        assert res.status_code == expected, (action, role.value, res.text)


def test_improvement_actions_come_a_page_at_a_time_by_due_date(client, staff, wiring, clock):
    """The list is paged (it returned every open action of the desk at once: 6 s at 150,000)."""
    from datetime import timedelta

    number = new_fault(client, staff["agent"], symptom="导出报表时页面卡死")
    with wiring.desk.uow() as uow:
        fault = uow.faults.by_number(number)
        assert fault is not None
        for days in (5, 1, 4, 2, 3):
            due = (clock.now() + timedelta(days=days)).date()
            uow.knowledge.add_improvement(fault.id, f"措施 {days}", USER_ID["developer"], due, clock.now())
        uow.commit()
    pages = [
        ok(client.get("/api/v1/improvement-actions", params={"page": p, "page_size": 2}, headers=staff["pm"]))
        for p in (1, 2, 3, 4)
    ]
    assert [[a["title"] for a in page] for page in pages] == [
        ["措施 1", "措施 2"],
        ["措施 3", "措施 4"],
        ["措施 5"],
        [],
    ]
    assert len(ok(client.get("/api/v1/improvement-actions", headers=staff["pm"]))) == 5  # 50 a page unless asked
    for bad in ({"page_size": 201}, {"page": 0}, {"page_size": 0}):
        assert client.get("/api/v1/improvement-actions", params=bad, headers=staff["pm"]).status_code == 422


def test_improvement_actions_of_one_owner_are_that_persons_as_the_page_shows(client, staff, wiring, clock):
    """``owner`` (a username) lists one person's actions, as the console's "mine" tab does."""
    from datetime import timedelta

    number = new_fault(client, staff["agent"], symptom="导出报表时页面卡死")
    with wiring.desk.uow() as uow:
        fault = uow.faults.by_number(number)
        assert fault is not None
        for days, who in ((3, "developer"), (1, "tester"), (2, "developer")):
            due = (clock.now() + timedelta(days=days)).date()
            uow.knowledge.add_improvement(fault.id, f"措施 {days}", USER_ID[who], due, clock.now())
        uow.commit()
    mine = ok(client.get("/api/v1/improvement-actions", params={"owner": "developer1"}, headers=staff["pm"]))
    assert [a["title"] for a in mine] == ["措施 2", "措施 3"] and {a["owner"] for a in mine} == {"developer1"}
    unknown = client.get("/api/v1/improvement-actions", params={"owner": "nobody"}, headers=staff["pm"])
    assert unknown.status_code == 422 and "owner" in unknown.text and "没有这个人" in unknown.text
    too_long = client.get("/api/v1/improvement-actions", params={"owner": "x" * 65}, headers=staff["pm"])
    assert too_long.status_code == 422

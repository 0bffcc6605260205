"""The fault page on both stores: what it shows, the actions it offers (exactly the API's), the
forms that drive the lifecycle through the same services (CSRF, If-Match, 422 beside the field,
a stale version told and refused), the contact reveal, pausing the clocks, replies, and escaping."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from tests.conftest import a_report
from tests.integration.lifecycle_helpers import drive, new_fault, take
from tests.integration.session_helpers import TEST_CSRF, log_in, with_cookie

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"]
USERS = {"agent": "agent1", "pm": "pm1", "tech_lead": "tech_lead1", "developer": "developer1", "tester": "tester1"}
HTMX = {"HX-Request": "true"}


def page(client, token: str, number: str) -> str:
    res = client.get(f"/faults/{number}", headers=with_cookie(token))
    assert res.status_code == 200, res.text
    return res.text


def hidden(html: str, action: str, name: str) -> str:
    """A hidden field of one action's form on the page."""
    form = _form_of(html, action)
    m = re.search(rf'name="{name}" value="([^"]*)"', form)
    assert m, (action, name)
    return m.group(1)


def _form_of(html: str, action: str) -> str:
    start = html.index(f'id="act-{action}"')
    return html[start : html.index("</section>", start)]


def act(client, token: str, number: str, action: str, fields: dict[str, Any], *, html: str | None = None, **kw):
    """Post one action's form as the page would: its version and last-seen audit event, the CSRF field."""
    html = html if html is not None else page(client, token, number)
    data = {
        "version": hidden(html, action, "version"),
        "seen": hidden(html, action, "seen"),
        "csrf_token": TEST_CSRF,
        **fields,
    }
    headers = {**with_cookie(token), **kw.pop("headers", {})}
    headers.pop("X-CSRF-Token")  # the form's own field carries it, as a plain post does
    return client.post(f"/faults/{number}/act/{action}", data=data, headers=headers, follow_redirects=False, **kw)


def offered(html: str) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', html)


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def actions(client, headers, number: str) -> list[dict[str, Any]]:
    res = client.get(f"/api/v1/faults/{number}/actions", headers=headers)
    assert res.status_code == 200, res.text
    return list(res.json()["actions"])


def status(client, staff, number: str) -> dict[str, Any]:
    return client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()


@pytest.fixture
def tokens(client, staff) -> dict[str, str]:
    return {role: log_in(client, name) for role, name in {**USERS, "admin": "admin1"}.items()}


def test_the_page_shows_header_reports_clocks_and_timeline_in_words(client, staff, tokens):
    number = new_fault(client, staff["agent"], symptom="支付后页面一直转圈", device_model="Mate 60")
    html = page(client, tokens["pm"], number)
    words = text_of(html)
    assert number in words and "支付后页面一直转圈" in words and "功能异常" in words
    assert "已登记" in words and "未分级" in words and "registered" not in words
    assert "Mate 60" in words and "138****1234" in words and "13812341234" not in words  # masked
    assert "分析分级" in words and "首次回复" in words and 'data-due="' in html  # the clocks, counting down
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d agent1（客服专员）登记故障单（1 条反馈，影响 1 位用户）", words)
    assert "影响用户分布" in words and "应用内（App）" in words  # the breakdown, by channel in words
    assert "无法联系" in words  # a phone number and no SMS channel: said, not "0 recipients"


def test_the_product_and_function_show_by_their_catalogue_names(client, staff, tokens):
    from faultdesk.services.catalogue import add_product
    from faultdesk.services.records import Actor

    add_product(client.app.state.desk, "mall", "优选商城", [("login", "账号登录", "core")], actor=Actor.system())
    number = new_fault(client, staff["agent"], product="mall", function="login")
    words = text_of(page(client, tokens["pm"], number))
    assert "产品功能 优选商城 / 账号登录" in words and "mall" not in words


def test_the_page_offers_exactly_the_actions_the_api_lists_for_each_role(client, staff, tokens):
    for state in ("registered", "triaging", "locating"):
        number = new_fault(client, staff["agent"])
        drive(client, staff["admin"], number, state)
        for role in USERS:
            api = client.get(f"/api/v1/faults/{number}/actions", headers=staff[role]).json()
            assert offered(page(client, tokens[role], number)) == [a["action"] for a in api["actions"]], (state, role)
    assert offered(page(client, tokens["developer"], number)) == [
        "acknowledge",
        "record_cause",
        "close_cannot_reproduce",
    ]


def test_start_analysis_grade_and_record_cause_through_the_forms(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    res = act(client, tokens["pm"], number, "start_analysis", {"recurrence": "new", "impact": "partial"})
    assert res.status_code == 303 and res.headers["location"] == f"/faults/{number}"
    assert status(client, staff, number)["status"] == "triaging"

    lead = page(client, tokens["tech_lead"], number)
    grade = _form_of(lead, "grade")
    assert "系统建议级别" in grade and "调整建议级别时必填" in grade
    assert re.search(r'<option value="P2" selected>P2 一般</option>', grade)  # the suggestion, preselected
    assert '<select id="f-grade-owners-handling" name="owners.handling">' in grade
    assert "developer1 · 研发工程师" in grade and 'type="number"' not in grade  # people by name, never an id box
    res = act(
        client,
        tokens["tech_lead"],
        number,
        "grade",
        {"severity": "P2", "owners.handling": "4", "owners.verification": "5"},
        html=lead,
    )
    assert res.status_code == 303, res.text
    fault = status(client, staff, number)
    assert fault["status"] == "locating" and fault["severity"] == "P2"
    assert fault["owners"] == {"handling": 4, "verification": 5}

    res = act(
        client, tokens["developer"], number, "record_cause", {"cause": "接口参数校验逻辑错误", "category": "code_logic"}
    )
    assert res.status_code == 303
    assert status(client, staff, number)["status"] == "planning"
    words = text_of(page(client, tokens["pm"], number))
    assert "pm1（产品经理）记录复发判断：新发问题；影响程度：功能部分异常" in words
    assert "tech_lead1（技术负责人）定级为 P2 一般" in words and "跨部门协同处理 developer1（研发工程师）" in words
    assert "developer1（研发工程师）记录问题原因（代码逻辑错误）：接口参数校验逻辑错误" in words
    assert "问题定位中" not in words.split("处理记录")[0] and "制定解决方案" in words  # the state now


def test_a_plan_with_a_local_deadline_and_cases_as_rows(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "planning")  # graded P1 by the admin path: the PM plans
    res = act(
        client,
        tokens["pm"],
        number,
        "propose_plan",
        {"kind": "emergency_patch", "description": "修改校验规则", "deadline": "2026-11-25T18:00"},
    )
    assert res.status_code == 303, res.text
    records = client.get(f"/api/v1/faults/{number}/records", headers=staff["admin"]).json()
    assert records[-1]["data"]["deadline"] == "2026-11-25T18:00:00+08:00"  # the org's local time
    res = act(
        client,
        tokens["tester"],
        number,
        "attach_cases",
        {
            "cases.0.key": "TC1",
            "cases.0.title": "模拟10笔不同金额支付",
            "cases.0.expected": "均成功",
            "cases.3.key": "TC2",  # a row added by the script, after one removed
            "cases.3.title": "余额不足",
            "cases.3.expected": "提示余额不足",
            "cases.1.key": "",  # an empty row the plain form offered
        },
    )
    assert res.status_code == 303, res.text
    assert [c["key"] for c in status(client, staff, number)["cases"]] == ["TC1", "TC2"]


def test_bad_input_is_422_with_the_reason_beside_the_field(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "triaging")
    res = act(client, tokens["tech_lead"], number, "grade", {"severity": "P0", "owners.handling": "4"})
    assert res.status_code == 422
    grade = _form_of(res.text, "grade")
    # the suggestion was P2: overriding it needs a reason (the service's rule, shown where it belongs)
    assert re.search(r'id="f-grade-reason-err" role="alert">调整建议级别须说明理由<', grade)
    assert 'aria-invalid="true"' in grade and 'value="4" selected' in grade  # what they chose is kept
    assert status(client, staff, number)["status"] == "triaging"

    assert take(client, staff["admin"], number, "grade").status_code == 200
    res = act(client, tokens["developer"], number, "record_cause", {"category": "code_logic"}, headers=HTMX)
    assert res.status_code == 422 and "<html" not in res.text  # htmx gets the form alone, to swap in
    assert re.search(r'id="f-record_cause-cause-err" role="alert">必填字段缺失<', res.text)
    assert '<option value="code_logic" selected>代码逻辑错误</option>' in res.text

    res = act(client, tokens["admin"], number, "record_cause", {"cause": "x" * 5001, "category": "code_logic"})
    assert res.status_code == 422 and "长度不能超过 5000 个字符" in res.text


def test_an_action_out_of_turn_is_409_in_words_naming_only_the_callers_actions(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    html = page(client, tokens["pm"], number)
    html = html.replace('id="act-start_analysis"', 'id="act-mark_fix_ready"')  # a form from another page
    res = act(client, tokens["pm"], number, "mark_fix_ready", {"fix_version": "5.2.2"}, html=html)
    assert res.status_code == 409 and 'data-action="mark_fix_ready"' not in res.text  # told, not offered
    res = act(client, tokens["pm"], number, "mark_fix_ready", {"fix_version": "5.2.2"}, html=html, headers=HTMX)
    assert res.status_code == 409
    notice = text_of(re.search(r'<p class="notice bad" role="alert">(.*?)</p>', res.text).group(1))
    assert "不能修复完成，提交验证" in notice and "记录复发判断与影响" in notice and "定级" not in notice
    assert "mark_fix_ready" not in notice and "start_analysis" not in notice


def test_a_stale_version_shows_who_changed_what_and_overwrites_nothing(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "triaging")
    seen_by_lead = page(client, tokens["tech_lead"], number)
    res = act(client, tokens["pm"], number, "assign", {"owners.handling": "4"})  # someone else, meanwhile
    assert res.status_code == 303
    res = act(
        client, tokens["tech_lead"], number, "grade", {"severity": "P2", "owners.handling": "3"}, html=seen_by_lead
    )
    assert res.status_code == 412
    conflict = text_of(_form_of(res.text, "grade"))
    assert "已被他人修改" in conflict and "没有覆盖任何人的修改" in conflict
    assert "pm1（产品经理）指定负责人：跨部门协同处理 developer1（研发工程师）" in conflict
    assert "刷新页面" in conflict
    fault = status(client, staff, number)
    assert fault["status"] == "triaging" and fault["severity"] is None and fault["owners"] == {"handling": 4}


def test_revealing_a_contact_is_audited_and_refused_to_a_role_not_allowed(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    report_id = client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()["reports"][0]["id"]
    assert "显示联系方式" in page(client, tokens["agent"], number)
    assert "显示联系方式" not in page(client, tokens["developer"], number)
    path = f"/faults/{number}/reports/{report_id}/contact"
    res = client.post(path, headers={**with_cookie(tokens["agent"]), **HTMX})
    assert res.status_code == 200 and "13812341234" in res.text and "<html" not in res.text
    events = client.get(f"/api/v1/faults/{number}/timeline", headers=staff["admin"]).json()
    assert [e for e in events if e["action"] == "contact_revealed" and e["actor"] == "agent1"]
    assert "agent1（客服专员）查看了反馈 #" in text_of(page(client, tokens["pm"], number))
    refused = client.post(path, headers=with_cookie(tokens["developer"]))
    assert refused.status_code == 403 and "13812341234" not in refused.text


def test_pausing_and_resuming_the_clocks_from_the_page(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    headers = with_cookie(tokens["agent"])
    res = client.post(f"/faults/{number}/clocks/pause", data={"reason": " "}, headers=headers)
    assert res.status_code == 422 and "请说明暂停原因" in res.text
    res = client.post(
        f"/faults/{number}/clocks/pause", data={"reason": "等待用户提供截图"}, headers=headers, follow_redirects=False
    )
    assert res.status_code == 303
    clocks = {
        c["kind"]: c["state"] for c in client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()
    }
    assert clocks["grade"] == "paused" and clocks["first_reply"] == "running"
    words = text_of(page(client, tokens["agent"], number))
    assert "已暂停" in words and "恢复计时" in words and "agent1（客服专员）暂停计时：等待用户提供截图" in words
    res = client.post(f"/faults/{number}/clocks/resume", headers=headers, follow_redirects=False)
    assert res.status_code == 303
    clocks = {
        c["kind"]: c["state"] for c in client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()
    }
    assert clocks["grade"] == "running"
    assert (
        client.post(
            f"/faults/{number}/clocks/pause", data={"reason": "x"}, headers=with_cookie(tokens["developer"])
        ).status_code
        == 403
    )


def test_a_reply_starts_from_the_templates_and_says_when_nobody_can_be_reached(client, staff, tokens):
    number = new_fault(client, staff["agent"], contact="13812341234")
    html = page(client, tokens["agent"], number)
    assert "已收到您的故障反馈，我们正在紧急处理" in html  # the template's first reply, to edit
    assert "问题已确认，计划下个版本修复，上线后将通知您。" in html  # a canned progress update
    assert "目前没有可联系的反馈人" in text_of(html)
    res = client.post(
        f"/faults/{number}/updates",
        data={"text": "已完成问题定位，正在修复中", "first_reply": "true"},
        headers=with_cookie(tokens["agent"]),
        follow_redirects=False,
    )
    assert res.status_code == 303
    words = text_of(page(client, tokens["agent"], number))
    assert "记录了首次反馈（无可联系的反馈人，未发送）：已完成问题定位，正在修复中" in words
    clocks = {c["kind"]: c for c in client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()}
    assert clocks["first_reply"]["met_at"] is not None

    reachable = new_fault(client, staff["agent"], contact="li@example.com", reporter_id="u-2")
    words = text_of(page(client, tokens["agent"], reachable))
    assert "将发送给 1 位可联系的反馈人" in words and "可通过邮件联系" in words


def test_payloads_in_report_fault_and_stage_record_texts_show_as_text(client, staff, tokens):
    number = new_fault(client, staff["agent"], symptom=XSS[0] + XSS[2], scenario=XSS[1], device_model=XSS[1])
    drive(client, staff["admin"], number, "locating")
    assert take(client, staff["admin"], number, "record_cause", cause=" ".join(XSS)).status_code == 200
    html = page(client, tokens["pm"], number)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "{{7*7}}" in html and "alert(1)</script>{{7*7}}" in text_of(html)


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    html = page(client, tokens["pm"], number)
    cookie_only = {"Cookie": with_cookie(tokens["pm"])["Cookie"]}
    data = {"recurrence": "new", "impact": "partial", "version": hidden(html, "start_analysis", "version")}
    res = client.post(f"/faults/{number}/act/start_analysis", data=data, headers=cookie_only)
    assert res.status_code == 403 and "安全令牌" in res.text
    for path in ("clocks/pause", "clocks/resume", "updates"):
        assert (
            client.post(f"/faults/{number}/{path}", data={"reason": "x", "text": "x"}, headers=cookie_only).status_code
            == 403
        )
    assert status(client, staff, number)["status"] == "registered"


def test_an_unknown_fault_is_a_404_page(client, staff, tokens):
    res = client.get("/faults/991231-01-999", headers=with_cookie(tokens["pm"]))
    assert res.status_code == 404 and "故障单 991231-01-999 不存在" in res.text


def test_the_action_forms_speak_english_to_who_chose_it(client, staff, tokens):
    """The forms' widgets (a macro file of their own) take the page's language: imported without
    the page's context they gave an English page 请选择, 方案说明, 紧急修复上线 …)."""
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "planning")
    client.post("/language", data={"lang": "en", "csrf_token": TEST_CSRF}, headers=with_cookie(tokens["pm"]))
    html = page(client, tokens["pm"], number)
    plan = _form_of(html, "propose_plan")
    assert "Choose" in plan and "Emergency" in plan.title(), plan[:2000]
    assert not re.findall(r"[\u4e00-\u9fff]+", plan)


def reply_once(html: str) -> str:
    m = re.search(r'id="reply-form">.*?name="once" value="([^"]+)"', html, re.S)
    assert m
    return m.group(1)


def test_an_emptied_reply_is_refused_and_the_same_form_is_sent_once(client, staff, tokens):
    """The reply box: emptied, it is refused beside the box (the first reply is not met by
    nothing); sent, the page says to how many; the same form posted again (back, then send) is
    refused, not sent twice."""
    number = new_fault(client, staff["agent"], contact="li@example.com", reporter_id="u-2")
    agent = with_cookie(tokens["agent"])
    empty = client.post(f"/faults/{number}/updates", data={"text": "  ", "first_reply": "true"}, headers=agent)
    assert empty.status_code == 422 and "请先填写回复内容" in empty.text
    clocks = {c["kind"]: c for c in client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()}
    assert clocks["first_reply"]["met_at"] is None

    once = reply_once(page(client, tokens["agent"], number))
    form = {"text": "已收到，正在处理", "first_reply": "true", "once": once}
    sent = client.post(f"/faults/{number}/updates", data=form, headers=agent, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/faults/{number}?sent=1#reply-h"
    assert "已发送给 1 位反馈人" in text_of(client.get(sent.headers["location"], headers=agent).text)
    again = client.post(f"/faults/{number}/updates", data=form, headers=agent, follow_redirects=False)
    assert again.status_code == 409 and "这条进展已经发送过了" in again.text
    events = client.get(f"/api/v1/faults/{number}/timeline", headers=staff["admin"]).json()
    assert [e["action"] for e in events].count("first_reply") == 1
    fresh = reply_once(page(client, tokens["agent"], number))
    assert fresh != once  # each page a form of its own: a second reply is sent
    again_new = client.post(
        f"/faults/{number}/updates", data={"text": "修复中", "once": fresh}, headers=agent, follow_redirects=False
    )
    assert again_new.status_code == 303


def test_the_page_says_whose_turn_it_is(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    assert "下一步：产品经理：记录复发判断与影响" in text_of(page(client, tokens["agent"], number)).replace(" ", "")
    drive(client, staff["admin"], number, "releasing")
    words = text_of(page(client, tokens["developer"], number)).replace(" ", "")
    assert "下一步：产品经理：全量发布" in words and "您在当前阶段没有可执行的操作" in words


def test_acknowledging_is_offered_until_the_response_clock_is_met_and_refused_after(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "locating")
    for role in ("developer", "tech_lead"):
        assert "acknowledge" in {a["action"] for a in actions(client, staff[role], number)}
    assert "acknowledge" in offered(page(client, tokens["developer"], number))
    assert take(client, staff["developer"], number, "acknowledge", note="在处理").status_code == 200
    clocks = {c["kind"]: c for c in client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()}
    assert clocks["response"]["met_at"] is not None
    for role in ("developer", "tech_lead"):
        assert "acknowledge" not in {a["action"] for a in actions(client, staff[role], number)}
        assert "acknowledge" not in offered(page(client, tokens[role], number))
    again = take(client, staff["tech_lead"], number, "acknowledge")
    assert again.status_code == 409 and "响应时限已达成" in again.json()["error"]["message"]
    assert "record_cause" in again.json()["error"]["allowed"]


def test_the_retrospective_is_offered_until_it_is_recorded(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "resolved")
    assert "retrospect" in offered(page(client, tokens["pm"], number))
    assert take(client, staff["pm"], number, "retrospect").status_code == 200
    assert take(client, staff["pm"], number, "archive").status_code == 200
    assert "retrospect" not in {a["action"] for a in actions(client, staff["pm"], number)}
    html = page(client, tokens["pm"], number)
    assert "retrospect" not in offered(html)
    again = take(client, staff["pm"], number, "retrospect")
    assert again.status_code == 409 and "该故障单已复盘" in again.json()["error"]["message"]
    assert len(client.get("/api/v1/improvement-actions", headers=staff["admin"]).json()) == 1


def test_an_archived_fault_runs_no_clock_and_its_reply_box_starts_from_the_closing(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "archived")
    html = page(client, tokens["agent"], number)
    assert "暂停计时" not in html and "/clocks/pause" not in html and "/clocks/resume" not in html
    for path, body in (("pause", {"reason": "等待用户"}), ("resume", {})):
        res = client.post(f"/api/v1/faults/{number}/clocks/{path}", json=body, headers=staff["agent"])
        assert res.status_code == 409 and "已结束" in res.json()["error"]["message"], res.text
        web = client.post(f"/faults/{number}/clocks/{path}", data=body, headers=with_cookie(tokens["agent"]))
        assert web.status_code == 409 and "已结束（已归档）" in text_of(web.text)
    # the reply box: no first reply, no "we are fixing it"; the box is not ticked as the first reply
    reply = html[html.index('id="reply-form"') :]
    assert re.findall(r'<option value="\d+">([^<]+)</option>', reply[: reply.index("</select>")]) == [
        "闭环沟通：已修复，请协助验证"
    ]
    assert not re.search(r'name="first_reply" value="true"\s+checked', reply)
    first = client.post(f"/api/v1/faults/{number}/updates", json={"first_reply": True}, headers=staff["agent"])
    assert first.status_code == 409 and "首次反馈" in first.json()["error"]["message"]
    # publishing stays: the report form then shows its knowledge-base article (domain/public_issues.publishable)
    assert "此故障已解决。公开后" in text_of(html)
    published = {"public_title": "支付失败已修复", "public_status": "请升级到 5.2.2"}
    assert client.post(f"/api/v1/faults/{number}/public", json=published, headers=staff["agent"]).status_code == 200


def test_the_first_reply_is_not_sent_twice_and_the_box_moves_on_to_progress(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    html = page(client, tokens["agent"], number)
    assert re.search(r'name="first_reply" value="true"\s+checked', html)
    assert (
        client.post(f"/api/v1/faults/{number}/updates", json={"first_reply": True}, headers=staff["agent"]).status_code
        == 201
    )
    again = client.post(f"/api/v1/faults/{number}/updates", json={"first_reply": True}, headers=staff["agent"])
    assert again.status_code == 409
    reply = page(client, tokens["agent"], number)
    reply = reply[reply.index('id="reply-form"') :]
    options = re.findall(r'<option value="\d+">([^<]+)</option>', reply[: reply.index("</select>")])
    assert not any(o.startswith("首次反馈") for o in options) and options[-1] == "闭环沟通：已修复，请协助验证"
    assert not re.search(r'name="first_reply" value="true"\s+checked', reply)
    progress = {"text": "已完成问题定位，正在修复中"}
    assert client.post(f"/api/v1/faults/{number}/updates", json=progress, headers=staff["agent"]).status_code == 201


def test_a_fault_closed_without_a_fix_cannot_be_published(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    assert take(client, staff["pm"], number, "close_not_a_fault").status_code == 200
    body = {"public_title": "不是故障", "public_status": "操作说明"}
    res = client.post(f"/api/v1/faults/{number}/public", json=body, headers=staff["agent"])
    assert res.status_code == 409 and "没有可公开的已知问题" in res.json()["error"]["message"]
    assert "无法公开" in text_of(page(client, tokens["agent"], number))


def test_a_plan_deadline_in_the_past_is_refused_on_the_deadline(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "planning")
    past = take(client, staff["pm"], number, "propose_plan", deadline="2026-11-25T09:59:00")  # now: 10:00 local
    assert past.status_code == 422
    assert past.json()["error"]["fields"] == [{"field": "deadline", "reason": "不能早于现在"}]
    english = {**staff["pm"], "Accept-Language": "en"}
    en = take(client, english, number, "propose_plan", deadline="2026-11-24T18:00:00")
    assert en.json()["error"]["fields"] == [{"field": "deadline", "reason": "is in the past"}]
    form = {"kind": "emergency_patch", "description": "紧急补丁", "deadline": "2026-11-25T09:00"}
    res = act(client, tokens["pm"], number, "propose_plan", form)
    assert res.status_code == 422 and "不能早于现在" in res.text
    assert status(client, staff, number)["status"] == "planning"
    assert take(client, staff["pm"], number, "propose_plan", deadline="2026-11-25T10:00:00").status_code == 200


def test_after_the_full_release_the_page_shows_the_released_version_beside_the_fix_build(client, staff, tokens):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "fixing")
    assert take(client, staff["admin"], number, "attach_cases").status_code == 200
    assert (
        take(client, staff["admin"], number, "mark_fix_ready", fix_version="admin-web 3.8.2-hotfix1").status_code == 200
    )
    for action in ("record_verification", "confirm", "record_gray_step"):
        assert take(client, staff["admin"], number, action).status_code == 200, action
    before = status(client, staff, number)
    assert before["fix_version"] == "admin-web 3.8.2-hotfix1" and before["released_version"] is None
    assert "尚未全量发布" in text_of(page(client, tokens["pm"], number))
    assert take(client, staff["pm"], number, "release_full", version="admin-web 3.8.2").status_code == 200
    after = status(client, staff, number)
    assert after["released_version"] == "admin-web 3.8.2" and after["fix_version"] == "admin-web 3.8.2-hotfix1"
    words = text_of(page(client, tokens["pm"], number))
    assert "修复版本 admin-web 3.8.2 （全量发布） · 研发提交的修复构建：admin-web 3.8.2-hotfix1" in words


def test_a_reports_version_is_called_the_apps_only_when_it_came_from_the_app(client, staff, tokens):
    number = new_fault(client, staff["agent"], channel="app", app_version="5.2.1")
    web = client.post("/api/v1/reports", json=a_report(channel="web", app_version="Chrome 120.0")).json()
    client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": [web["report"]["id"]]}, headers=staff["pm"])
    words = text_of(page(client, tokens["agent"], number))
    assert "App 5.2.1" in words and "Chrome 120.0" in words and "App Chrome" not in words

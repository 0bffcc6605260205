"""Stage 1 in the console, on both stores: the waiting list (only reports without a fault, counted
and paged for real), one report beside its known-issue candidates, linking it to one in one click,
registering a new fault from several selected reports, merging a duplicate, and the hotline form —
bad input beside its field with nothing stored, no CSRF token refused, payloads shown as text."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.roles import Role
from faultdesk.services import known_issues
from faultdesk.services.records import Actor
from tests.conftest import a_report
from tests.integration.session_helpers import form, log_in, with_cookie

PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"]


def count(wiring, table) -> int:
    with wiring.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def report(client, **fields) -> int:
    res = client.post("/api/v1/reports", json=a_report(**fields))
    assert res.status_code == 201, res.text
    return int(res.json()["report"]["id"])


def register(client, headers, report_ids: list[int], type_code: str = "01") -> str:
    res = client.post("/api/v1/faults", json={"type_code": type_code, "report_ids": report_ids}, headers=headers)
    assert res.status_code == 201, res.text
    return str(res.json()["fault"]["number"])


def rows(page: str) -> list[int]:
    """The report ids the waiting list shows, in order."""
    return [int(i) for i in re.findall(r'<tr data-row data-href="/reports/(\d+)"', page)]


@pytest.fixture
def agent(client, staff) -> dict[str, str]:
    return with_cookie(log_in(client, "agent1"))


def post(client, path: str, headers: dict[str, str], **fields):
    return client.post(path, data=form(client, **fields), headers=headers, follow_redirects=False)


# ---- the waiting list ---------------------------------------------------------------------------


def test_the_waiting_list_shows_only_unlinked_reports_newest_first_with_real_pages(client, staff, agent):
    ids = [report(client, symptom=f"第 {n} 条：首页加载缓慢") for n in range(23)]
    register(client, staff["agent"], ids[:2])  # two are registered: 21 still wait
    first = client.get("/reports", headers=agent)
    assert first.status_code == 200
    assert "共 21 条" in first.text and "第 1 / 2 页" in first.text
    assert rows(first.text) == list(reversed(ids[3:]))  # newest first, 20 on a page
    second = client.get("/reports?page=2", headers=agent)
    assert rows(second.text) == [ids[2]] and "第 2 / 2 页" in second.text
    past = client.get("/reports?page=9", headers=agent)  # past the end: the last page, not an empty one
    assert rows(past.text) == [ids[2]] and "第 2 / 2 页" in past.text
    assert ids[0] not in rows(first.text) + rows(second.text) and ids[1] not in rows(first.text) + rows(second.text)
    searched = client.get("/reports", params={"q": "首页", "channel": "app"}, headers=agent).text
    assert 'href="/reports?channel=app&amp;q=%E9%A6%96%E9%A1%B5&amp;page=2" rel="next"' in searched  # filters kept
    oldest = client.get("/reports?sort=received_at", headers=agent)
    assert rows(oldest.text)[0] == ids[2]
    assert 'data-due="' in first.text and "剩余 30 分钟" in first.text  # the register clock, counting down


def test_the_waiting_list_filters_by_channel_received_time_and_text(client, staff, agent):
    older = report(client, symptom="优惠券领取没有反应", received_at="2026-11-20T09:00:00+08:00", occurred_at=None)
    hotline = client.post(
        "/api/v1/reports", json=a_report(channel="hotline", symptom="电话里说购物车数量不更新"), headers=staff["agent"]
    ).json()["report"]["id"]
    plain = report(client, symptom="分享给好友后打开提示页面不存在")
    by_channel = client.get("/reports?channel=hotline", headers=agent)
    assert rows(by_channel.text) == [hotline] and "共 1 条" in by_channel.text and "客服热线" in by_channel.text
    by_day = client.get("/reports?received_from=2026-11-19&received_to=2026-11-20", headers=agent)
    assert rows(by_day.text) == [older]
    by_text = client.get("/reports", params={"q": "页面不存在"}, headers=agent)
    assert rows(by_text.text) == [plain]
    bad = client.get("/reports?received_from=yesterday", headers=agent)
    assert bad.status_code == 422 and 'id="err-received_from"' in bad.text and "须为日期" in bad.text


def test_ticked_reports_open_the_first_with_the_others_carried_along(client, agent):
    a, b, c = (report(client, symptom=s) for s in ("购物车数量不更新", "加入购物车后图标显示 0", "订单物流三天没更新"))
    res = client.get(f"/reports/selected?ids={a}&ids={c}", headers=agent, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == f"/reports/{a}?with={c}"
    page = client.get(f"/reports/{a}?with={c},{b}", headers=agent).text
    assert f'name="report_ids" value="{c}" checked' in page and f'name="report_ids" value="{b}" checked' in page
    none = client.get("/reports/selected", headers=agent, follow_redirects=False)
    assert none.headers["location"] == "/reports?pick=true"


# ---- one report beside its candidates -----------------------------------------------------------


def test_a_report_shows_every_template_field_with_the_contact_masked(client, agent):
    rid = report(client, description="三次重试都一样", product=None)
    page = client.get(f"/reports/{rid}", headers=agent)
    assert page.status_code == 200
    text = page.text
    for shown in (
        "登录页面点击忘记密码后提示系统繁忙",
        "用户在登录页面‘忘记密码’时提交手机号",
        "iPhone 13",
        "iOS 16.4",
        "5.2.1",
    ):
        assert shown in text
    assert "WiFi 连接" in text and "应用内（App）" in text and "2026-11-25 09:40" in text and "三次重试都一样" in text
    assert "138****1234" in text and "13812341234" not in text  # masked, never in clear
    assert "u-1001" in text


def test_candidates_show_number_state_confidence_and_the_matching_terms(client, staff, wiring, agent):
    number = register(
        client,
        staff["agent"],
        [report(client, symptom="支付成功后订单一直显示待支付", scenario="用户用微信支付购买商品")],
    )
    rid = report(client, symptom="微信支付成功了但订单还是待支付", scenario="用户在 App 用微信支付下单")
    page = client.get(f"/reports/{rid}", headers=agent).text
    found = known_issues.report_candidates(wiring.desk, rid, actor=Actor(1, "agent1", Role.AGENT))
    best = next(c for c in found if c.fault_number == number)
    assert f'href="/faults/{number}"' in page and "已登记" in page
    assert f"{round(best.confidence * 100)}%" in page and "置信度" in page
    for term in best.terms[:3]:
        assert f'<span class="reg-term">{html.escape(term)}</span>' in page
    assert "关联到此故障" in page and f'name="number" value="{number}"' in page


def test_linking_a_waiting_report_to_a_candidate_takes_one_click(client, staff, agent):
    number = register(client, staff["agent"], [report(client, symptom="支付成功后订单一直显示待支付")])
    rid, other = report(client, symptom="付款后订单仍是待支付"), report(client, symptom="订单付完款还是待支付")
    res = post(client, f"/reports/{rid}/link", agent, number=number, report_ids=str(other))
    assert res.status_code == 303 and res.headers["location"] == f"/faults/{number}"
    fault = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert {r["id"] for r in fault["reports"]} >= {rid, other} and fault["report_count"] == 3
    assert rid not in rows(client.get("/reports", headers=agent).text)
    again = post(client, f"/reports/{rid}/link", agent, number=number)  # already linked: said, not a 500
    assert again.status_code == 409 and "已属于故障单" in again.text


def test_two_selected_reports_register_one_new_fault_and_land_on_its_page(client, staff, wiring, agent):
    a = report(client, symptom="购物车数量不更新", product=None)
    b = report(client, symptom="加入购物车后图标显示 0", reporter_id="u-2002", contact="13900001111")
    page = client.get(f"/reports/{a}?with={b}", headers=agent).text
    assert 'value="购物车数量不更新"' in page  # the title starts from the symptom
    assert "01 功能异常" in page and "02 性能问题" in page  # the types in words
    res = post(client, f"/reports/{a}/register", agent, type_code="03", title="购物车角标数量不刷新", report_ids=str(b))
    assert res.status_code == 303
    number = res.headers["location"].removeprefix("/faults/")
    fault = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert fault["type_code"] == "03" and fault["title"] == "购物车角标数量不刷新" and fault["status"] == "registered"
    assert sorted(r["id"] for r in fault["reports"]) == [a, b] and fault["affected_users"] == 2
    assert rows(client.get("/reports", headers=agent).text) == []


def test_registering_with_bad_input_shows_it_beside_the_field_and_stores_nothing(client, wiring, agent):
    rid = report(client)
    bad_type = post(client, f"/reports/{rid}/register", agent, type_code="7", title="x")
    assert bad_type.status_code == 422 and 'id="err-type_code"' in bad_type.text and "格式不正确" in bad_type.text
    retired = post(client, f"/reports/{rid}/register", agent, type_code="98", title="x")
    assert retired.status_code == 422 and "未知或已停用的故障类型" in retired.text
    too_long = post(client, f"/reports/{rid}/register", agent, type_code="01", title="长" * 201)
    assert too_long.status_code == 422 and 'id="err-title"' in too_long.text and "200" in too_long.text
    assert count(wiring, t.faults) == 0


def test_a_developer_reads_the_report_but_is_offered_no_registration(client, staff):
    rid = report(client)
    dev = with_cookie(log_in(client, "developer1"))
    page = client.get(f"/reports/{rid}", headers=dev).text
    assert "登录页面点击忘记密码后提示系统繁忙" in page
    assert "登记为新故障" not in page and "关联到此故障" not in page
    refused = post(client, f"/reports/{rid}/register", dev, type_code="01")
    assert refused.status_code == 403


# ---- merging a duplicate ------------------------------------------------------------------------


def test_a_registered_duplicate_is_merged_into_its_fault_from_the_report_page(client, staff, agent):
    kept = register(client, staff["agent"], [report(client, symptom="支付成功后订单一直显示待支付")])
    rid = report(client, symptom="支付成功后订单仍显示待支付")
    twice = register(client, staff["agent"], [rid])  # registered apart by mistake
    page = client.get(f"/reports/{rid}", headers=agent).text
    assert f'href="/faults/{twice}"' in page and "合并到故障单" in page
    assert f'name="into" value="{kept}"' in page  # offered on the candidate list
    unknown = post(client, f"/reports/{rid}/merge", agent, into="000000-01-999", version="1")
    assert unknown.status_code == 422 and 'id="err-into"' in unknown.text and "目标故障单不存在" in unknown.text
    version = client.get(f"/api/v1/faults/{twice}", headers=staff["agent"]).json()["version"]
    stale = post(client, f"/reports/{rid}/merge", agent, into=kept, version=str(version + 5))
    assert stale.status_code == 412 and "已被修改" in stale.text
    res = post(client, f"/reports/{rid}/merge", agent, into=kept, version=str(version))
    assert res.status_code == 303 and res.headers["location"] == f"/faults/{kept}"
    assert client.get(f"/api/v1/faults/{twice}", headers=staff["agent"]).json()["status"] == "duplicate"
    assert client.get(f"/api/v1/reports/{rid}", headers=staff["agent"]).json()["fault_number"] == kept


# ---- the hotline / offline form -----------------------------------------------------------------


HOTLINE = {
    "channel": "hotline",
    "received_at": "2026-11-25T09:50",
    "occurred_at": "2026-11-25T09:30",
    "symptom": "电话反馈：App 打开就闪退",
    "scenario": "用户更新 App 后从桌面图标启动",
    "device_model": "Redmi K60",
    "os_version": "Android 14",
    "app_version": "5.2.1",
    "network": "4g",
    "reporter_id": "u-3003",
    "contact": "021-62345678",
    "description": "",
    "product": "",
    "function": "",
}


def test_the_hotline_form_stores_a_report_through_intake_and_shows_it_with_its_tracking_key(client, staff, agent):
    blank = client.get("/reports/new", headers=agent).text
    assert 'value="hotline" checked' in blank and 'value="2026-11-25T10:00"' in blank  # now, local
    key = re.search(r'name="idempotency_key" value="([^"]+)"', blank).group(1)
    res = post(client, "/reports/new", agent, **HOTLINE, idempotency_key=key)
    assert res.status_code == 303
    rid = int(res.headers["location"].removeprefix("/reports/"))
    stored = client.get(f"/api/v1/reports/{rid}", headers=staff["agent"]).json()
    assert stored["channel"] == "hotline" and stored["network"] == "4g" and stored["contact"] == "021****5678"
    assert stored["received_at"].startswith("2026-11-25T01:50") and stored["fault_number"] is None
    token = re.search(r"faultdesk_new_report=([^;]+)", res.headers["set-cookie"]).group(1)
    cookie = f"{agent['Cookie']}; faultdesk_new_report={token}"
    page = client.get(f"/reports/{rid}", headers={**agent, "Cookie": cookie})
    assert (
        token in page.text and "只显示这一次" in page.text and "客服热线" in page.text and "已知问题候选" in page.text
    )
    assert client.get(f"/api/v1/track/{token}").json()["report_id"] == rid
    assert token not in client.get(f"/reports/{rid}", headers=agent).text  # once
    retry = post(client, "/reports/new", agent, **HOTLINE, idempotency_key=key)  # a double click
    assert retry.headers["location"] == f"/reports/{rid}"
    assert client.get("/api/v1/reports?linked=false", headers=staff["agent"]).json()["total"] == 1


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"symptom": ""}, "symptom", "必填字段缺失"),
        ({"contact": "12345"}, "contact", "须为手机号"),
        ({"occurred_at": "2026-11-25T09:58", "received_at": "2026-11-25T09:50"}, "occurred_at", "不能晚于反馈时间"),
        ({"received_at": "2026-11-25T12:00"}, "received_at", "不能晚于当前时间"),
        ({"product": "no-such"}, "product", "未知产品"),
        ({"network": "pigeon"}, "network", "取值须为"),
        ({"channel": "app"}, "channel", "取值须为"),
        ({"symptom": "长" * 501}, "symptom", "500"),
    ],
)
def test_bad_hotline_input_is_shown_beside_its_field_and_nothing_is_stored(
    client, wiring, agent, changes, field, reason
):
    res = post(client, "/reports/new", agent, **(HOTLINE | changes))
    assert res.status_code == 422
    error = re.search(rf'<span class="field-error" id="err-{field}">([^<]*)</span>', res.text)
    assert error and reason in error.group(1), res.text[-3000:]
    assert "Redmi K60" in res.text  # what was typed stays in the form
    assert count(wiring, t.reports) == 0 and count(wiring, t.clocks) == 0 and count(wiring, t.outbox) == 0


# ---- the safety rails ---------------------------------------------------------------------------


def test_every_registration_post_without_the_csrf_token_is_refused(client, staff, agent, wiring):
    number = register(client, staff["agent"], [report(client)])
    rid = report(client, symptom="另一条")
    cookie_only = {"Cookie": agent["Cookie"]}
    for path, fields in (
        (f"/reports/{rid}/register", {"type_code": "01"}),
        (f"/reports/{rid}/link", {"number": number}),
        (f"/reports/{rid}/merge", {"into": number}),
        ("/reports/new", HOTLINE),
    ):
        res = client.post(path, data=fields, headers=cookie_only, follow_redirects=False)
        assert res.status_code == 403 and "安全令牌" in res.text, path
        wrong = client.post(path, data={**fields, "csrf_token": "guess"}, headers=cookie_only, follow_redirects=False)
        assert wrong.status_code == 403, path
    assert count(wiring, t.faults) == 1 and count(wiring, t.reports) == 2


def test_payloads_in_the_symptom_and_scenario_show_as_text_on_both_pages(client, agent):
    rids = [report(client, symptom=f"现象 {p}", scenario=f"场景 {p}", description=p) for p in PAYLOADS]
    pages = [client.get("/reports", headers=agent).text] + [
        client.get(f"/reports/{r}", headers=agent).text for r in rids
    ]
    for page in pages:
        assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page or "&#34;&gt;&lt;img" in page or "{{7*7}}" in page
    assert "现象 &lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]
    assert "场景 &#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages[0]
    assert "现象 {{7*7}}" in pages[3] and "现象 49" not in pages[3]
    assert 'value="现象 &lt;script&gt;alert(1)&lt;/script&gt;"' in pages[1]  # the title prefilled, escaped too


def test_a_report_page_asked_for_without_a_session_goes_to_the_login(client, staff):
    rid = report(client)
    res = client.get(f"/reports/{rid}", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == f"/login?next=/reports/{rid}"
    missing = client.get("/reports/999999", headers={**with_cookie(log_in(client)), "Accept": "text/html"})
    assert missing.status_code == 404 and "反馈 999999 不存在" in missing.text


def test_the_pages_speak_english_to_who_chose_it(client, staff):
    rid = report(client, channel="mini_program", network="5g")
    session = log_in(client, "pm1")
    client.post("/language", data={"lang": "en", "csrf_token": "test-csrf-token"}, headers=with_cookie(session))
    english = with_cookie(session)
    waiting = client.get("/reports", headers=english).text
    assert "Reports waiting for registration" in waiting and "mini-program" in waiting and "待登记反馈" not in waiting
    page = client.get(f"/reports/{rid}", headers=english).text
    assert "Known-issue candidates" in page and "5G mobile" in page and "Register a new fault" in page
    assert "Functional fault" in page
    form_page = client.get("/reports/new", headers=english).text
    assert "Take a report by phone or in person" in form_page and "hotline" in form_page

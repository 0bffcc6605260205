"""The reporter's pages on both stores: the public form (the API's model and service, the intake
limit, a honeypot, CSRF), the receipt (tracking link, QR code), the tracking page in reporter words
with their own messages only, the closing check, the rating, and XSS payloads inert everywhere."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from faultdesk.bootstrap import bootstrap
from faultdesk.domain.faults import Criticality
from faultdesk.entrypoints.api.app import create_app
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.conftest import FAST_PASSWORDS, a_report
from tests.integration.lifecycle_helpers import drive, take
from tests.integration.session_helpers import form, log_in, with_cookie

HTML = {"Accept": "text/html"}
PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}")
LIMIT = 100 * 1024


def a_form(**overrides: str) -> dict[str, str]:
    body = {
        "channel": "app",
        "symptom": "登录页面点击忘记密码后提示系统繁忙",
        "scenario": "在登录页面点「忘记密码」时提示错误",
        "occurred_at": "2026-11-25T09:40",
        "device_model": "iPhone 13",
        "os_version": "iOS 16.4",
        "app_version": "5.2.1",
        "network": "wifi",
        "reporter_id": "u-1001",
        "contact": "reporter@example.com",
    }
    body.update(overrides)
    return body


def submit(client: TestClient, **fields: str):
    client.get("/report", headers=HTML)  # the page sets the CSRF cookie the form echoes
    return client.post("/report", data=form(client, **a_form(**fields)), headers=HTML, follow_redirects=False)


def receipt_link(client: TestClient, **fields: str) -> tuple[str, str]:
    """Submit through the form; the receipt page's tracking path and HTML."""
    posted = submit(client, **fields)
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == "/report/receipt"
    page = client.get("/report/receipt", headers=HTML)
    assert page.status_code == 200
    link = re.search(r'id="tracking-link" class="mono" value="([^"]+)"', page.text)
    assert link, page.text
    return "/t/" + unescape(link.group(1)).rsplit("/t/", 1)[1], page.text


def register(client, staff, report_id: int, title: str = "内部标题：短信网关超时") -> str:
    res = client.post(
        "/api/v1/faults", json={"type_code": "01", "report_ids": [report_id], "title": title}, headers=staff
    )
    assert res.status_code == 201, res.text
    return str(res.json()["fault"]["number"])


def report_id_of(wiring, path: str) -> int:
    token = path.rsplit("/", 1)[1]
    with wiring.desk.uow() as uow:
        view = uow.reports.by_token_hash(wiring.desk.secrets.digest(token))
    assert view is not None
    return view.id


def to_confirmation(client, h, number: str) -> None:
    """Admin path with a P2 grade, so a recovered answer resolves the fault."""
    steps = [
        ("start_analysis", {}),
        ("grade", {"severity": "P2"}),
        ("record_cause", {}),
        ("propose_plan", {}),
        ("review_plan", {}),
        ("attach_cases", {}),
        ("mark_fix_ready", {}),
        ("record_verification", {}),
    ]
    for action, overrides in steps:
        res = take(client, h, number, action, **overrides)
        assert res.status_code == 200, (action, res.text)


# ---- the form and the receipt -------------------------------------------------------------------


def test_the_form_offers_the_templates_fields_in_plain_words(client, wiring):
    add_product(wiring.desk, "app", "掌上商城", [("login", "登录", Criticality.CORE)], actor=Actor.system())
    page = client.get("/report?channel=mini_program&reporter_id=u-77", headers=HTML)
    assert page.status_code == 200
    text = page.text
    for words in ("问题现象", "在登录页面点「忘记密码」时提示错误", "iPhone 13", "iOS 16.4", "WiFi", "5G", "4G"):
        assert words in text, words
    assert 'name="channel" value="mini_program"' in text
    assert 'name="reporter_id" value="u-77"' in text
    assert "掌上商城" in text and '<option value="login"' in text
    assert "严格保密" in text  # the confidentiality notice beside the contact
    assert 'name="csrf_token"' in text and "faultdesk_csrf" in page.headers["set-cookie"]
    assert 'class="nav"' not in text  # no staff frame
    english = client.get("/report", headers={**HTML, "Accept-Language": "en"})
    assert "What happened" in english.text and "kept confidential" in english.text
    assert "问题现象" not in english.text
    embedded = client.get("/report?embed=1", headers=HTML)
    assert "故障快响" not in embedded.text.split("<main", 1)[0].split("<body", 1)[1]  # no site frame
    assert 'action="/report?embed=1"' in embedded.text


def test_a_form_report_is_stored_as_the_api_stores_it(client, wiring):
    path, page = receipt_link(client)
    assert path.startswith("/t/") and len(path) > 20
    assert "http://127.0.0.1:8000" + path in page  # the full link, readonly
    assert 'src="data:image/svg+xml' in page  # the QR code
    assert "1 小时内回复" in page  # the first-reply promise, from the clock policy
    form_id = report_id_of(wiring, path)
    api = client.post(
        "/api/v1/reports", json=a_report(contact="reporter@example.com", occurred_at="2026-11-25T09:40:00")
    )
    assert api.status_code == 201
    with wiring.desk.uow() as uow:
        by_form, by_api = uow.reports.get(form_id), uow.reports.get(api.json()["report"]["id"])
    assert by_form is not None and by_api is not None
    same = ("symptom", "occurred_at", "device_model", "os_version", "app_version", "network", "reporter_id")
    assert {k: getattr(by_form, k) for k in same} == {k: getattr(by_api, k) for k in same}
    assert by_form.contact_masked == by_api.contact_masked == "r***@example.com"
    assert by_form.channel.value == "app"
    assert by_form.scenario == "在登录页面点「忘记密码」时提示错误"


def test_the_receipt_message_carries_the_working_tracking_link(client, wiring):
    path, _ = receipt_link(client)
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        sent = uow.outbox.listing(state=None, report_id=rid, fault_id=None, limit=10)
    receipt = next(m for m in sent if m.kind == "receipt")
    assert "http://127.0.0.1:8000" + path in receipt.body
    assert "…0000" not in receipt.body
    assert client.get(path, headers=HTML).status_code == 200  # the link works


def test_the_receipt_without_its_cookie_goes_back_to_the_form(client):
    res = client.get("/report/receipt", headers=HTML, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/report"


def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(client, wiring):
    with wiring.desk.uow() as uow:
        before = len(uow.reports.since(0, 1000))
    res = submit(client, symptom="", contact="not a contact", network="carrier-pigeon", occurred_at="yesterday")
    assert res.status_code == 422
    text = res.text
    assert 'id="symptom-error"' in text and "请填写此项" in text
    assert 'id="contact-error"' in text and "手机号" in text
    assert 'id="network-error"' in text
    assert 'id="occurred_at-error"' in text
    assert 'aria-invalid="true"' in text
    assert 'value="not a contact"' in text  # what was typed is kept
    future = submit(client, occurred_at="2030-01-01T10:00")
    assert future.status_code == 422 and 'id="occurred_at-error"' in future.text and "不能晚于当前时间" in future.text
    english = client.post(
        "/report",
        data=form(client, **a_form(contact="nope")),
        headers={**HTML, "Accept-Language": "en"},
        follow_redirects=False,
    )
    assert english.status_code == 422 and "must be a mobile number" in english.text
    with wiring.desk.uow() as uow:
        assert len(uow.reports.since(0, 1000)) == before


def test_a_filled_honeypot_looks_accepted_and_stores_nothing(client, wiring):
    client.get("/report", headers=HTML)
    res = client.post(
        "/report", data=form(client, **a_form(website="http://spam.example")), headers=HTML, follow_redirects=False
    )
    assert res.status_code == 303 and res.headers["location"] == "/report/receipt"
    page = client.get("/report/receipt", headers=HTML)
    assert page.status_code == 200 and "/t/" in page.text
    with wiring.desk.uow() as uow:
        assert uow.reports.since(0, 10) == []
        assert uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=10) == []


def test_a_post_without_the_csrf_token_is_refused(client, wiring):
    client.get("/report", headers=HTML)
    res = client.post("/report", data=a_form(), headers=HTML, follow_redirects=False)
    assert res.status_code == 403
    with wiring.desk.uow() as uow:
        assert uow.reports.since(0, 10) == []


def test_the_intake_limit_answers_a_429_page(wiring, clock):
    wired = bootstrap(
        wiring.settings.with_overrides(intake_rate_limit="2/minute"), clock=clock, passwords=FAST_PASSWORDS
    )
    try:
        with TestClient(create_app(wiring=wired), client=("198.51.100.9", 1)) as c:
            assert submit(c).status_code == 303
            assert submit(c).status_code == 303
            third = submit(c)
            assert third.status_code == 429
            assert "操作太频繁" in third.text and int(third.headers["retry-after"]) > 0
            assert "<html" in third.text
    finally:
        wired.engine.dispose()


def test_guessing_tracking_links_is_limited(wiring, clock):
    wired = bootstrap(
        wiring.settings.with_overrides(track_rate_limit="3/minute"), clock=clock, passwords=FAST_PASSWORDS
    )
    try:
        with TestClient(create_app(wiring=wired), client=("198.51.100.10", 1)) as c:
            for _ in range(3):
                miss = c.get("/t/not-a-token", headers=HTML)
                assert miss.status_code == 404 and "找不到这条反馈" in miss.text
            assert c.get("/t/another-guess", headers=HTML).status_code == 429
    finally:
        wired.engine.dispose()


# ---- the tracking page ---------------------------------------------------------------------------


def test_tracking_shows_reporter_words_and_own_messages_only(client, wiring, staff):
    path, _ = receipt_link(client, symptom="我的问题：付款按钮没反应")
    other_path, _ = receipt_link(client, symptom="别人的问题", contact="other@example.com")
    mine, theirs = report_id_of(wiring, path), report_id_of(wiring, other_path)
    page = client.get(path, headers=HTML)
    assert "已受理" in page.text and "我的问题：付款按钮没反应" in page.text
    number = register(client, staff["agent"], mine)
    client.post(
        "/api/v1/faults", json={"type_code": "01", "report_ids": [theirs], "title": "另一单"}, headers=staff["agent"]
    )
    assert take(client, staff["admin"], number, "start_analysis").status_code == 200
    assert take(client, staff["admin"], number, "grade", severity="P2").status_code == 200  # starts the cadence
    update = client.post(
        f"/api/v1/faults/{number}/updates", json={"text": "已定位到短信服务，正在修复"}, headers=staff["agent"]
    )
    assert update.status_code == 201, update.text
    page = client.get(path, headers=HTML)
    text = page.text
    assert "处理中" in text
    assert "已定位到短信服务，正在修复" in text
    assert "别人的问题" not in text and "other@example.com" not in text and "o***@example.com" not in text
    assert "内部标题" not in text  # the internal title never shows; the reporter's symptom does
    for staff_word in ("agent1", "admin1", "问题定位中", "locating", "客服专员", "P2 一般"):
        assert staff_word not in text, staff_word
    assert "reporter@example.com" not in text and "r***@example.com" not in text  # not even their own address
    assert "下次进展告知" in text  # the update clock's due time
    english = client.get(path, headers={**HTML, "Accept-Language": "en"})
    assert "Being handled" in english.text


def test_still_broken_reopens_and_recovered_resolves(client, wiring, staff):
    path, _ = receipt_link(client)
    number = register(client, staff["agent"], report_id_of(wiring, path))
    to_confirmation(client, staff["admin"], number)
    page = client.get(path, headers=HTML)
    assert "待您确认" in page.text and 'value="still_broken"' in page.text
    token_form = form(client, outcome="still_broken", comment="还是收不到验证码")
    res = client.post(path + "/confirm", data=token_form, headers=HTML, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == path
    fault = client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()
    assert fault["status"] == "locating" and fault["reopen_count"] == 1
    assert "处理中" in client.get(path, headers=HTML).text
    late = client.post(path + "/confirm", data=form(client, outcome="recovered"), headers=HTML)
    assert late.status_code == 409 and "notice bad" in late.text  # nothing is asked of them now
    for action in ("record_cause", "propose_plan", "review_plan", "mark_fix_ready", "record_verification"):
        assert take(client, staff["admin"], number, action).status_code == 200, action
    res = client.post(path + "/confirm", data=form(client, outcome="recovered"), headers=HTML, follow_redirects=False)
    assert res.status_code == 303
    assert client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()["status"] == "resolved"
    page = client.get(path, headers=HTML)
    assert "已解决" in page.text and 'name="satisfaction"' in page.text
    bad = client.post(path + "/confirm", data=form(client, outcome="maybe"), headers=HTML)
    assert bad.status_code == 422


def test_the_rating_is_stored_once_and_fills_the_archive_record(client, wiring, staff):
    path, _ = receipt_link(client)
    number = register(client, staff["agent"], report_id_of(wiring, path))
    early = client.post(path + "/rate", data=form(client, satisfaction="5"), headers=HTML)
    assert early.status_code == 409  # not resolved yet
    to_confirmation(client, staff["admin"], number)
    client.post(path + "/confirm", data=form(client, outcome="recovered"), headers=HTML)
    for bad in ("0", "6", "x", ""):
        res = client.post(path + "/rate", data=form(client, satisfaction=bad), headers=HTML)
        assert res.status_code == 422 and 'id="satisfaction-error"' in res.text, bad
        assert "请选择 1–5 分" in res.text, bad  # the reporter's words, not pydantic's
    long = client.post(path + "/rate", data=form(client, satisfaction="4", comment="长" * 5001), headers=HTML)
    assert long.status_code == 422 and "长度不能超过 5000 个字符" in long.text
    ok = client.post(
        path + "/rate", data=form(client, satisfaction="4", comment="处理很快"), headers=HTML, follow_redirects=False
    )
    assert ok.status_code == 303
    again = client.post(path + "/rate", data=form(client, satisfaction="1"), headers=HTML)
    assert again.status_code == 409
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        rating = uow.reports.rating(rid)
    assert rating is not None and (rating.satisfaction, rating.comment) == (4, "处理很快")
    page = client.get(path, headers=HTML)
    assert "感谢您的评价" in page.text and "4 / 5" in page.text and 'name="satisfaction"' not in page.text
    archived = take(client, staff["admin"], number, "archive", reporter_feedback=None, satisfaction=None)
    assert archived.status_code == 200, archived.text
    records = client.get(f"/api/v1/faults/{number}/records", headers=staff["admin"])
    assert records.status_code == 200
    archive = next(r for r in records.json() if r["action"] == "archive")
    assert archive["data"]["satisfaction"] == 4 and archive["data"]["reporter_feedback"] == "处理很快"


def test_an_unknown_token_is_a_friendly_404(client):
    res = client.get("/t/no-such-token", headers=HTML)
    assert res.status_code == 404 and "找不到这条反馈" in res.text and "<html" in res.text
    assert client.post("/t/no-such-token/rate", data=form(client, satisfaction="5"), headers=HTML).status_code == 404


# ---- XSS, weight ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_show_as_text_on_the_receipt_tracking_page_and_staff_list(client, wiring, staff, payload):
    fields = {
        name: payload
        for name in ("symptom", "scenario", "device_model", "os_version", "app_version", "description", "reporter_id")
    }
    path, receipt = receipt_link(client, **fields)
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        assert uow.reports.get(rid).symptom == payload  # stored as typed
    register(client, staff["agent"], rid, title=payload)
    page = client.get(path, headers=HTML).text
    token = log_in(client, "agent1")
    staff_list = client.get("/", headers={**with_cookie(token), **HTML}).text
    for html in (receipt, page, staff_list):
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html
        assert ">49<" not in html and "49</" not in html
    assert "&lt;script&gt;" in page or "{{7*7}}" in page or "&#34;&gt;&lt;img" in page
    bad = client.post("/report", data=form(client, **a_form(**fields, contact=payload)), headers=HTML)
    assert bad.status_code == 422 and "<script>alert(1)</script>" not in bad.text and "<img src=x" not in bad.text


def test_every_page_weighs_under_100_kb(client, wiring, staff):
    path, receipt = receipt_link(client)
    number = register(client, staff["agent"], report_id_of(wiring, path))
    to_confirmation(client, staff["admin"], number)
    css = client.get("/static/app.css").content
    js = client.get("/static/js/reporter.js").content
    for html in (client.get("/report", headers=HTML).text, receipt, client.get(path, headers=HTML).text):
        assert len(html.encode()) + len(css) + len(js) <= LIMIT
        assert not re.search(r'(src|href)="(https?:)?//', html)  # no external font, script or style


def test_the_served_app_masks_tracking_links_in_the_access_log(client):
    import logging

    from faultdesk.entrypoints.common.log_masking import TokenMask

    assert any(isinstance(f, TokenMask) for f in logging.getLogger("uvicorn.access").filters)


def test_the_reporter_adds_information_later_and_the_owner_hears_of_it(client, wiring, staff):
    path, _ = receipt_link(client, description="第一次描述")
    rid = report_id_of(wiring, path)
    early = client.post(path + "/more", data=form(client, text="注册前的补充"), headers=HTML, follow_redirects=False)
    assert early.status_code == 303 and early.headers["location"] == path + "?added=1"
    number = register(client, staff["agent"], rid)
    payload = PAYLOADS[0]
    added = client.post(
        path + "/more", data=form(client, text=f"今天又出现了 {payload}"), headers=HTML, follow_redirects=False
    )
    assert added.status_code == 303
    page = client.get(path + "?added=1", headers=HTML).text
    assert "已收到您的补充" in page and "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    with wiring.desk.uow() as uow:
        report = uow.reports.get(rid)
        fault = uow.faults.by_number(number)
        notices = uow.outbox.listing(state=None, report_id=None, fault_id=fault.id, limit=50)
    assert report.description.startswith("第一次描述\n\n[") and "注册前的补充" in report.description
    assert report.description.endswith(f"今天又出现了 {payload}")
    told = [m for m in notices if m.kind == "reporter_added"]
    assert len(told) == 1 and told[0].recipient == f"user:{fault.registered_by_id}" and "今天又出现了" in told[0].body
    assert all(m.recipient != f"report:{rid}" for m in told)  # staff notices never show on the reporter's page
    empty = client.post(path + "/more", data=form(client, text="   "), headers=HTML)
    assert empty.status_code == 422 and 'id="text-error"' in empty.text and "请填写补充内容" in empty.text
    too_long = client.post(path + "/more", data=form(client, text="长" * 2001), headers=HTML)
    assert too_long.status_code == 422 and "2000" in too_long.text
    with wiring.desk.uow() as uow:
        assert uow.reports.get(rid).description == report.description  # nothing half-stored
    assert client.post(path + "/more", data={"text": "no token"}, headers=HTML).status_code == 403


def test_after_the_agent_records_recovery_the_rollout_reads_fixed_not_fixing(client, wiring, staff):
    """A P1 confirmed recovered goes on to releasing: the reporter's word moves on to 已修复, never
    back to 修复中, and reads 已解决 after the full release."""
    path, _ = receipt_link(client)
    number = register(client, staff["agent"], report_id_of(wiring, path))
    drive(client, staff["admin"], number, "awaiting_confirmation")
    assert "待您确认" in client.get(path, headers=HTML).text
    assert take(client, staff["agent"], number, "confirm").status_code == 200  # the agent, for the reporter
    assert client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()["status"] == "releasing"
    html = client.get(path, headers=HTML).text
    assert 'class="status state-fixed"><span class="status-word">已修复</span>' in html
    assert "问题已修复，修复版本正在陆续发布给所有用户。" in html and "问题已找到，正在修复" not in html
    for action in ("record_gray_step", "release_full"):
        assert take(client, staff["admin"], number, action).status_code == 200, action
    assert "已解决" in client.get(path, headers=HTML).text


def test_a_reporter_who_cannot_be_reached_reads_the_receipt_and_the_replies_on_the_tracking_page(client, wiring, staff):
    """Only a phone number and no SMS channel: nothing can be sent, so the messages are kept for
    the tracking page ("暂无消息" there before), never claimed by the worker; staff see the
    delivery state in words, and the reply box still says nobody was reached."""
    path, _ = receipt_link(client, symptom="付款按钮没反应", contact="13812341234")
    rid = report_id_of(wiring, path)
    assert "已收到您的故障反馈" in client.get(path, headers=HTML).text  # the receipt
    number = register(client, staff["agent"], rid)
    reply = client.post(
        f"/api/v1/faults/{number}/updates", json={"text": "已定位到支付服务，正在修复"}, headers=staff["agent"]
    )
    assert reply.status_code == 201 and reply.json()["recipients"] == 0
    assert "已定位到支付服务，正在修复" in client.get(path, headers=HTML).text
    kept = client.get("/api/v1/messages", params={"state": "shown"}, headers=staff["admin"]).json()
    assert {m["channel"] for m in kept} == {"page"} and {m["kind"] for m in kept} >= {"receipt", "progress"}
    from faultdesk.entrypoints import worker

    assert worker.tick(wiring.desk, {})["messages_sent"] == 0  # nothing to claim
    assert len(client.get("/api/v1/messages", params={"state": "shown"}, headers=staff["admin"]).json()) == len(kept)
    from tests.integration.session_helpers import log_in, with_cookie

    fault_page = client.get(f"/faults/{number}", headers=with_cookie(log_in(client, "agent1"))).text
    assert "（查询页）：无法联系，仅在查询页显示" in fault_page

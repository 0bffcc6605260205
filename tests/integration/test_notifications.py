"""Clocks fire and messages arrive: a real SMTP server and real HTTP robots on loopback."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from faultdesk.adapters.notify import DingTalkNotifier, SmtpNotifier, WebhookNotifier
from faultdesk.bootstrap import bootstrap
from faultdesk.domain import sla
from faultdesk.domain.faults import Severity
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind
from faultdesk.entrypoints import worker
from faultdesk.entrypoints.api.app import create_app
from faultdesk.services import delivery, messages
from faultdesk.services.catalogue import ensure_default_fault_types
from faultdesk.services.messages import new_message_id
from faultdesk.services.ports import ChannelDown, DeliveryFailed, Envelope
from faultdesk.services.records import Actor, Outgoing
from faultdesk.services.staff import create_user
from tests.conftest import FAST_PASSWORDS, a_report, create_staff
from tests.integration.lifecycle_helpers import drive, take
from tests.integration.receivers import SECRET, HttpReceiver, SmtpServer, free_port


@pytest.fixture
def peers():
    with SmtpServer() as smtp, HttpReceiver() as http:
        yield smtp, http


@pytest.fixture
def desk_env(settings, clock, peers):
    smtp, http = peers
    configured = settings.with_overrides(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_sender="faultdesk@example.com",
        webhook_url=http.url("/webhook"),
        webhook_secret=SECRET,
        dingtalk_url=http.url("/dingtalk?access_token=t"),
        dingtalk_secret=SECRET,
        feishu_url=http.url("/feishu/hook"),
        feishu_secret=SECRET,
        wecom_url=http.url("/wecom?key=wecom-key"),
    )
    wired = bootstrap(configured, clock=clock, passwords=FAST_PASSWORDS)
    ensure_default_fault_types(wired.desk)
    headers = create_staff(wired.desk, emails=True)
    with TestClient(create_app(wiring=wired)) as client:
        yield wired, client, headers, smtp, http
    wired.engine.dispose()


def tick(wired):
    return worker.tick(wired.desk, wired.notifiers)


def report(client, **kw):
    return client.post("/api/v1/reports", json=a_report(**kw)).json()


def register(client, headers, *report_ids, type_code="01"):
    res = client.post("/api/v1/faults", json={"type_code": type_code, "report_ids": list(report_ids)}, headers=headers)
    assert res.status_code == 201, res.text
    return res.json()["fault"]["number"]


def grade_p0(client, headers, number, members=(4,)):
    """Analysis finds an outage with revenue impact; the tech lead grades P0 with a special team."""
    take(client, headers["pm"], number, "start_analysis", impact="outage", revenue_impact=True)
    graded = take(
        client,
        headers["tech_lead"],
        number,
        "grade",
        severity="P0",
        reason=None,
        team_lead=3,
        team_members=list(members),
    )
    assert graded.status_code == 200, graded.text


def reminded_p0(client, headers, wired, clock, contact):
    """A P0 with one reporter, 80 % into its 2 h update cadence: the owner has been reminded."""
    number = register(client, headers["agent"], report(client, contact=contact)["report"]["id"])
    grade_p0(client, headers, number)
    tick(wired)
    clock.advance(timedelta(minutes=96))
    tick(wired)
    return number


def test_a_reporter_with_an_email_gets_a_receipt_by_real_smtp(desk_env):
    wired, client, h, smtp, _ = desk_env
    report(client, contact="li.lei@example.com")
    report(client, contact="13812341234")  # no SMS gateway configured: nothing to send
    assert tick(wired)["messages_sent"] == 1
    [mail] = smtp.messages
    assert mail["X-Rcpt-To"] == "li.lei@example.com" and "已收到您的故障反馈" in mail["Subject"]
    assert mail["Message-ID"].endswith("@faultdesk>")


def test_a_p0_reaches_the_special_team_and_every_robot_with_valid_signatures(desk_env):
    wired, client, h, smtp, http = desk_env
    number = register(client, h["agent"], report(client)["report"]["id"])
    grade_p0(client, h, number, members=(4, 5))
    tick(wired)
    p0 = [m for m in smtp.messages if "P0" in m["Subject"]]
    assert sorted(m["X-Rcpt-To"] for m in p0) == [
        "developer1@corp.example",
        "tech_lead1@corp.example",
        "tester1@corp.example",
    ]
    for path in ("/webhook", "/dingtalk", "/feishu/hook", "/wecom"):
        hits = [hit for hit in http.on(path) if "P0" in hit.raw.decode()]  # after the registration notice
        assert len(hits) == 1 and hits[0].signature_ok, path
        assert hits[0].headers["X-FaultDesk-Delivery"]
    assert "P0" in http.on("/dingtalk")[-1].body["text"]["content"]


def test_a_breached_clock_escalates_owner_then_tech_lead_then_admin(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    clock.set(clock.now().replace(hour=2))  # 10:00 in Shanghai, a Wednesday
    number = register(client, h["agent"], report(client)["report"]["id"])
    tick(wired)
    clock.advance(timedelta(minutes=49))  # 80 % of the 1 h grading clock
    tick(wired)
    warned = client.get("/api/v1/clocks?state=due_soon", headers=h["pm"]).json()
    assert [(c["fault_number"], c["kind"]) for c in warned] == [(number, "grade"), (number, "first_reply")]
    clock.advance(timedelta(minutes=11))
    tick(wired)
    breached = client.get("/api/v1/clocks?state=breached", headers=h["pm"]).json()
    assert {c["kind"] for c in breached} == {"grade", "first_reply"}
    clock.advance(timedelta(minutes=30))
    tick(wired)
    clock.advance(timedelta(minutes=30))
    tick(wired)
    grade_mail = Counter(
        m["X-Rcpt-To"] for m in smtp.messages if "已超时" in m["Subject"] and "分析分级" in m["Subject"]
    )
    assert grade_mail == {"agent1@corp.example": 1, "tech_lead1@corp.example": 1, "admin1@corp.example": 1}
    assert len([h for h in http.on("/wecom") if "分析分级" in h.body["text"]["content"]]) == 3
    clock.advance(timedelta(hours=5))
    tick(wired)  # the chain has ended: nothing more
    assert sum(1 for m in smtp.messages if "已超时" in m["Subject"] and "分析分级" in m["Subject"]) == 3


def test_a_staff_update_restarts_the_update_clock_and_keeps_the_first_reply_clock(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(clock.now().replace(hour=2))
    number = register(client, h["agent"], report(client, contact="wang@example.com")["report"]["id"])
    drive(client, h["admin"], number, "locating")  # graded P1
    assert client.post(
        f"/api/v1/faults/{number}/updates", json={"text": "已完成问题定位，正在修复"}, headers=h["agent"]
    ).json() == {"recipients": 1}
    clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json()
    by_kind = Counter((c["kind"], c["state"]) for c in clocks)
    assert by_kind[("update", "met")] == 1 and by_kind[("update", "running")] == 1
    assert by_kind[("first_reply", "met")] == 1  # the first update is the first reply; never overwritten
    client.post(f"/api/v1/faults/{number}/updates", json={"text": "修复中"}, headers=h["agent"])
    first = [
        c
        for c in client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json()
        if c["kind"] == "first_reply"
    ]
    assert len(first) == 1 and first[0]["met_at"] == clocks[[c["kind"] for c in clocks].index("first_reply")]["met_at"]
    tick(wired)
    assert [m["Subject"] for m in smtp.messages if "进展" in m["Subject"]] == [f"【故障快响】{number} 处理进展"] * 2
    assert client.post(f"/api/v1/faults/{number}/updates", json={"text": " "}, headers=h["agent"]).status_code == 422
    assert client.post(f"/api/v1/faults/{number}/updates", json={"text": "x"}, headers=h["tester"]).status_code == 403


def test_when_nobody_posts_a_templated_update_goes_out_on_the_p0_cadence(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    reminded_p0(client, h, wired, clock, "zhao@example.com")
    assert any("请同步进展" in m["Subject"] for m in smtp.messages)
    clock.advance(timedelta(minutes=24))
    tick(wired)
    auto = [m for m in smtp.messages if m["X-Rcpt-To"] == "zhao@example.com" and "处理进展" in m["Subject"]]
    assert len(auto) == 1 and "正在处理中" in auto[0].get_content()
    clock.advance(timedelta(hours=2))
    tick(wired)
    assert len([m for m in smtp.messages if m["X-Rcpt-To"] == "zhao@example.com" and "处理进展" in m["Subject"]]) == 2


def test_p1_staff_notices_wait_for_working_hours(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(clock.now().replace(hour=9, minute=30))  # 17:30 in Shanghai
    number = register(client, h["agent"], report(client)["report"]["id"])
    drive(client, h["admin"], number, "locating")  # graded P1: respond the same working day, by 18:00
    tick(wired)
    clock.advance(timedelta(minutes=35))  # 18:05: breached after hours
    before = len(smtp.messages)
    tick(wired)
    assert len(smtp.messages) == before  # nobody is woken for a P1
    waiting = [
        m
        for m in client.get("/api/v1/messages?state=pending", headers=h["admin"]).json()
        if m["kind"] == "clock_breach"
    ]
    assert waiting and all(m["next_attempt_at"].startswith("2026-11-26T01:00:00") for m in waiting)  # 09:00 local
    clock.set(clock.now().replace(day=26, hour=1, minute=0))
    tick(wired)
    assert any("响应" in m["Subject"] and "已超时" in m["Subject"] for m in smtp.messages)


def test_an_outage_is_retried_with_backoff_and_nothing_is_duplicated(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    number = register(client, h["agent"], report(client)["report"]["id"])
    tick(wired)  # the registration notices go out before the outage
    http.failing = True
    grade_p0(client, h, number)
    result = tick(wired)
    assert result["messages_retried"] == 4  # the four robots are down; e-mail went through
    for _ in range(3):
        clock.advance(timedelta(minutes=5))
        tick(wired)
    assert len(http.on("/webhook")) >= 2
    http.failing = False
    clock.advance(timedelta(hours=1))
    tick(wired)
    hits = http.on("/webhook")
    taken = Counter(hit.headers["X-FaultDesk-Delivery"] for hit in hits if hit.ok)
    outbox = client.get("/api/v1/messages", headers=h["admin"]).json()
    webhook_ids = {m["message_id"] for m in outbox if m["channel"] == "webhook"}
    assert set(taken) == webhook_ids and set(taken.values()) == {1}  # every one arrived, none twice
    first = next(m for m in outbox if m["channel"] == "webhook" and m["kind"] == "p0_opened")
    assert (
        first["attempts"] >= 3
        and sum(1 for x in hits if x.headers["X-FaultDesk-Delivery"] == first["message_id"]) == first["attempts"]
    )
    assert {m["state"] for m in outbox if m["channel"] != "page"} == {"sent"}  # (the page's: kept, not sent)


def test_a_message_that_never_gets_through_becomes_a_dead_letter_and_can_be_retried(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    number = register(client, h["agent"], report(client)["report"]["id"])
    tick(wired)  # the registration notices go out before the outage
    http.failing = True
    grade_p0(client, h, number)
    for _ in range(10):
        tick(wired)
        clock.advance(timedelta(hours=2))
    dead = [m for m in client.get("/api/v1/messages?state=dead", headers=h["admin"]).json() if m["kind"] == "p0_opened"]
    assert len(dead) == 4 and all(m["attempts"] == 8 and "503" in m["last_error"] for m in dead)
    assert client.post(f"/api/v1/messages/{dead[0]['id']}/retry", headers=h["agent"]).status_code == 403
    http.failing = False
    assert client.post(f"/api/v1/messages/{dead[0]['id']}/retry", headers=h["admin"]).status_code == 204
    assert client.post(f"/api/v1/messages/{dead[0]['id']}/retry", headers=h["admin"]).status_code == 409
    tick(wired)
    retried = {m["id"]: m for m in client.get("/api/v1/messages?state=sent", headers=h["admin"]).json()}
    assert dead[0]["id"] in retried


def test_the_tracking_page_shows_only_this_reporters_messages(desk_env):
    wired, client, h, smtp, _ = desk_env
    mine = report(client, contact="me@example.com", reporter_id="me")
    other = report(client, contact="other@example.com", reporter_id="other")
    number = register(client, h["agent"], mine["report"]["id"], other["report"]["id"])
    client.post(f"/api/v1/faults/{number}/updates", json={"first_reply": True}, headers=h["agent"])
    tick(wired)
    seen = client.get(f"/api/v1/track/{mine['tracking_token']}/messages").json()
    assert [m["subject"] for m in seen] == ["【故障快响】已收到您的故障反馈", f"【故障快响】{number} 正在处理"]
    assert "已收到您的故障反馈，我们正在紧急处理" in seen[1]["body"]
    assert all("other" not in m["body"] for m in seen)
    assert client.get("/api/v1/track/nope/messages").status_code == 404


def test_pausing_keeps_the_time_left(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(clock.now().replace(hour=2))
    number = register(client, h["agent"], report(client)["report"]["id"])
    clock.advance(timedelta(minutes=20))
    assert client.post(
        f"/api/v1/faults/{number}/clocks/pause", json={"reason": "等待用户提供截图"}, headers=h["agent"]
    ).json() == {"clocks": 1}  # grading; the first reply to the reporter never waits
    clock.advance(timedelta(hours=5))
    tick(wired)
    breached = client.get("/api/v1/clocks?state=breached", headers=h["agent"]).json()
    assert [c["kind"] for c in breached] == ["first_reply"]  # the paused grading clock did not breach
    client.post(f"/api/v1/faults/{number}/clocks/resume", headers=h["agent"])
    grade = next(
        c for c in client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json() if c["kind"] == "grade"
    )
    assert grade["state"] == "running" and grade["due_at"].startswith("2026-11-25T08:00")  # resumed 15:20 + 40 min left
    assert (
        client.post(f"/api/v1/faults/{number}/clocks/pause", json={"reason": ""}, headers=h["agent"]).status_code == 422
    )


def test_admins_enter_the_calendar_and_are_warned_about_unannounced_years(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(clock.now().replace(month=12, day=31, hour=9, minute=50))  # 17:50 on New Year's Eve: due in 2027
    number = register(client, h["agent"], report(client)["report"]["id"])
    warnings = client.get("/api/v1/calendar/warnings", headers=h["admin"]).json()
    assert any("2027" in w for w in warnings), warnings
    assert (
        client.put("/api/v1/calendar/days/2027-01-02", json={"kind": "workday"}, headers=h["agent"]).status_code == 403
    )
    assert (
        client.put("/api/v1/calendar/days/2027-01-02", json={"kind": "weekday"}, headers=h["admin"]).status_code == 422
    )
    assert (
        client.put(
            "/api/v1/calendar/days/2027-01-02", json={"kind": "workday", "note": "调休"}, headers=h["admin"]
        ).status_code
        == 204
    )
    assert client.post("/api/v1/calendar/years/2027/announced", headers=h["admin"]).status_code == 204
    assert client.get("/api/v1/calendar/warnings", headers=h["admin"]).json() == []
    assert number


def test_an_edited_template_is_used_and_a_broken_one_refused(desk_env):
    wired, client, h, smtp, _ = desk_env
    res = client.put(
        "/api/v1/templates/receipt/zh", json={"subject": "收到啦 {{ symptom[:4] }}", "body": "谢谢"}, headers=h["admin"]
    )
    assert res.status_code == 204
    assert (
        client.put(
            "/api/v1/templates/receipt/zh", json={"subject": "{{ oops", "body": "x"}, headers=h["admin"]
        ).status_code
        == 422
    )
    assert (
        client.put("/api/v1/templates/nope/zh", json={"subject": "a", "body": "b"}, headers=h["admin"]).status_code
        == 422
    )
    report(client, contact="a@example.com", symptom="登录失败请处理")
    tick(wired)
    assert smtp.messages[0]["Subject"] == "收到啦 登录失败"


def test_firing_writes_its_effects_once(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    register(client, h["agent"], report(client)["report"]["id"])
    clock.advance(timedelta(days=3))
    first = tick(wired)["clocks_fired"]
    again = tick(wired)["clocks_fired"]
    assert (first, again) == (2, 0)  # grade and first reply breach once; the met register clock never fires
    with wired.engine.connect() as conn:
        per_clock = conn.execute(
            text("SELECT COUNT(*) FROM outbox WHERE kind = 'clock_breach' AND recipient = 'user:1'")
        ).scalar()
    assert per_clock == 2  # grade and first reply, each breached once towards the owner


def test_reporters_of_a_merged_fault_hear_of_the_merge_and_follow_the_surviving_fault(desk_env):
    wired, client, h, smtp, _ = desk_env
    keep = register(client, h["agent"], report(client, contact="keep@example.com", reporter_id="u-1")["report"]["id"])
    dup = register(client, h["agent"], report(client, contact="dup@example.com", reporter_id="u-2")["report"]["id"])
    res = take(client, h["agent"], dup, "merge", into=keep)
    assert res.status_code == 200, res.text
    tick(wired)
    merged = [m for m in smtp.messages if m["X-Rcpt-To"] == "dup@example.com" and dup in m["Subject"]]
    assert len(merged) == 1 and keep in merged[0].get_content()  # told where their report went
    smtp.messages.clear()
    posted = client.post(f"/api/v1/faults/{keep}/updates", json={"text": "正在修复"}, headers=h["agent"])
    assert posted.json() == {"recipients": 2}
    tick(wired)
    assert sorted(m["X-Rcpt-To"] for m in smtp.messages if keep in m["Subject"]) == [
        "dup@example.com",
        "keep@example.com",
    ]


def test_a_batch_reaches_each_recipient_it_can_and_retries_those_it_cannot(desk_env, clock):
    """One delivery batch mixes staff, reporters and a robot: the reachable ones arrive, a user
    without an e-mail and a reporter without a contact are retried later with the reason."""
    wired, client, h, smtp, http = desk_env
    with_mail = report(client, contact="chen@example.com")["report"]["id"]
    without = report(client, contact=None, reporter_id="u-anon")["report"]["id"]
    tick(wired)  # the receipt to chen
    smtp.messages.clear()
    now = clock.now()
    recipients = ["user:2", "user:99", f"report:{with_mail}", f"report:{without}", "robot:webhook"]
    with wired.desk.uow() as uow:
        for who in recipients:
            channel = "webhook" if who.startswith("robot") else "email"
            uow.outbox.add(Outgoing(new_message_id(), channel, who, "progress", f"to {who}", "正文", now, now))
        uow.commit()
    result = tick(wired)
    assert (result["messages_sent"], result["messages_retried"]) == (3, 2)
    assert sorted(m["X-Rcpt-To"] for m in smtp.messages) == ["chen@example.com", "pm1@corp.example"]
    [robot] = [hit for hit in http.on("/webhook") if hit.body["subject"] == "to robot:webhook"]
    assert robot.signature_ok
    failed = {m["recipient"]: m for m in client.get("/api/v1/messages", headers=h["admin"]).json()}
    assert failed["user:99"]["state"] == "pending" and "no e-mail" in failed["user:99"]["last_error"]
    assert "no contact" in failed[f"report:{without}"]["last_error"]


def queue(wired, now, *recipients: str, channel: str = "webhook") -> list[str]:
    """Due messages straight into the outbox; returns their message ids in order."""
    ids = []
    with wired.desk.uow() as uow:
        for i, who in enumerate(recipients):
            ids.append(new_message_id())
            uow.outbox.add(Outgoing(ids[-1], channel, who, "progress", f"#{i} to {who}", "正文", now, now))
        uow.commit()
    return ids


def test_a_channel_that_is_down_is_tried_once_per_batch_and_the_rest_wait_untried(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    now = clock.now()
    hooks = queue(wired, now, *["robot:webhook"] * 5)
    queue(wired, now, "user:1", "user:2", channel="email")
    http.failing = True
    result = delivery.deliver(wired.desk, wired.notifiers, limit=100)
    assert (result.sent, result.retried, result.dead, result.deferred) == (2, 1, 0, 4)
    assert len(http.on("/webhook")) == 1  # not five requests into an endpoint that is down
    rows = {m.message_id: m for m in outbox_rows(wired)}
    waiting = [rows[i] for i in hooks[1:]]
    assert all(m.state == "pending" and m.attempts == 0 and "webhook is down" in (m.last_error or "") for m in waiting)
    assert all(now + timedelta(seconds=15) <= m.next_attempt_at <= now + timedelta(seconds=30) for m in waiting)
    assert rows[hooks[0]].attempts == 1
    http.failing = False
    for _ in range(3):
        clock.advance(timedelta(minutes=2))
        tick(wired)
    taken = Counter(hit.headers["X-FaultDesk-Delivery"] for hit in http.on("/webhook") if hit.ok)
    assert taken == dict.fromkeys(hooks, 1)  # each arrived, once


def test_a_slow_far_end_cannot_hold_a_batch_past_its_window(desk_env, clock):
    """Each request takes 12 s (the test's clock moves, nobody sleeps): after 30 s the batch stops,
    the rest go back due at once, the tick returns so clocks can fire, and nothing is sent twice."""
    wired, client, h, smtp, http = desk_env
    http.on_request = lambda hit: clock.advance(timedelta(seconds=12))
    hooks = queue(wired, clock.now(), *["robot:webhook"] * 10)
    first = tick(wired)
    assert (first["messages_sent"], first["messages_deferred"]) == (3, 7)
    assert {m.state for m in outbox_rows(wired)} == {"sent", "pending"}
    while tick(wired)["messages_deferred"]:
        pass
    taken = Counter(hit.headers["X-FaultDesk-Delivery"] for hit in http.on("/webhook"))
    assert taken == dict.fromkeys(hooks, 1)
    assert all(m.attempts == 1 for m in outbox_rows(wired))  # deferral is not an attempt


@pytest.mark.parametrize(
    ("status", "down"), [(503, True), (429, True), (404, False), (400, False)], ids=["503", "429", "404", "400"]
)
def test_http_failures_are_told_apart(status, down):
    with HttpReceiver(status=status) as http:
        notifier = WebhookNotifier(http.url("/webhook"), SECRET)
        with pytest.raises(DeliveryFailed) as failed:
            notifier.send(Envelope("m1", "progress", "", "s", "b"))
    assert isinstance(failed.value, ChannelDown) is down


def test_smtp_failures_are_told_apart():
    with pytest.raises(ChannelDown):  # nothing listens there
        SmtpNotifier("127.0.0.1", free_port(), "faultdesk@example.com").send(
            Envelope("m1", "progress", "a@example.com", "s", "b")
        )
    with SmtpServer(refuse="nobody@example.com") as smtp:
        notifier = SmtpNotifier("127.0.0.1", smtp.port, "faultdesk@example.com")
        with pytest.raises(DeliveryFailed) as refused:
            notifier.send(Envelope("m2", "progress", "nobody@example.com", "s", "b"))
        assert not isinstance(refused.value, ChannelDown)  # this message, not the server
        notifier.send(Envelope("m3", "progress", "somebody@example.com", "s", "b"))  # the same connection
        notifier.close()
        assert [m["X-Rcpt-To"] for m in smtp.messages] == ["somebody@example.com"]


def outbox_rows(wired):
    with wired.desk.uow() as uow:
        return uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=1000)


def test_one_smtp_connection_carries_a_batch_and_a_dropped_one_is_opened_again():
    with SmtpServer() as smtp:
        notifier = SmtpNotifier("127.0.0.1", smtp.port, "faultdesk@example.com")
        for i in range(3):
            notifier.send(Envelope(f"m{i}", "progress", "a@example.com", f"s{i}", "b"))
        assert len({m["X-Peer"] for m in smtp.messages}) == 1
        smtp.restart()  # the server drops the kept connection
        notifier.send(Envelope("m3", "progress", "a@example.com", "s3", "b"))
        assert [m["Subject"] for m in smtp.messages] == ["s0", "s1", "s2", "s3"]
        assert len({m["X-Peer"] for m in smtp.messages}) == 2
        notifier.close()


def test_an_admins_calendar_day_and_template_take_effect_at_once(desk_env, clock):
    """The calendar and templates are cached per process; an edit must not wait for the cache."""
    wired, client, h, smtp, _ = desk_env
    clock.set(clock.now().replace(hour=9, minute=30))  # 17:30 in Shanghai: grading runs into Thursday

    def grade_due() -> str:
        number = register(client, h["agent"], report(client, contact="a@example.com")["report"]["id"])
        clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json()
        return next(c["due_at"] for c in clocks if c["kind"] == "grade")

    assert grade_due() == "2026-11-26T01:30:00Z"  # Thursday 09:30; the cache now holds the calendar
    tick(wired)  # and the receipt template
    put = client.put("/api/v1/calendar/days/2026-11-26", json={"kind": "holiday"}, headers=h["admin"])
    assert put.status_code == 204
    edited = {"subject": "收到啦 {{ symptom }}", "body": "{{ tracking_hint }}"}
    assert client.put("/api/v1/templates/receipt/zh", json=edited, headers=h["admin"]).status_code == 204
    assert grade_due() == "2026-11-27T01:30:00Z"  # Thursday is off now: Friday 09:30
    tick(wired)
    assert [m for m in smtp.messages if m["X-Rcpt-To"] == "a@example.com"][-1]["Subject"].startswith("收到啦")


@pytest.mark.slow
def test_a_backlog_to_a_slow_far_end_does_not_hold_a_due_clock_back(desk_env, clock):
    """600 messages to a webhook that takes 0.3 s each (the test's clock moves; nobody sleeps): a
    clock falling due 10 s into the backlog still fires within a minute, in the same tick."""
    wired, client, h, smtp, http = desk_env
    number = register(client, h["agent"], report(client)["report"]["id"])
    tick(wired)
    desk, now = wired.desk, clock.now()
    with desk.uow() as uow:
        fault_id = uow.faults.by_number(number).id
        due = sla.start_clock(
            ClockKind.VERIFY,
            None,
            now - timedelta(minutes=50),
            desk.policy,
            desk.calendar,
            due_at=now + timedelta(seconds=10),
        )
        uow.clocks.add(sla.fire(due, due.warn_at or now, desk.policy)[0], fault_id=fault_id)  # warned already
        uow.commit()
    queue(wired, now, *["robot:webhook"] * 600)
    http.on_request = lambda hit: clock.advance(timedelta(milliseconds=300))
    done = tick(wired)
    assert done["messages_sent"] >= 600 and done["clocks_fired"] >= 1
    verify = next(
        c for c in client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json() if c["kind"] == "verify"
    )
    late = datetime.fromisoformat(verify["breached_at"]) - datetime.fromisoformat(verify["due_at"])
    assert timedelta(0) <= late <= timedelta(minutes=1)


def test_an_update_posted_after_the_reminder_stops_the_automatic_update_and_its_breach(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    number = reminded_p0(client, h, wired, clock, "qian@example.com")
    assert any("请同步进展" in m["Subject"] for m in smtp.messages)
    clock.advance(timedelta(minutes=4))
    posted = client.post(f"/api/v1/faults/{number}/updates", json={"text": "已定位，修复中"}, headers=h["agent"])
    assert posted.status_code == 201
    clock.advance(timedelta(minutes=30))  # past the old due time, before the new reminder
    tick(wired)
    to_reporter = [m for m in smtp.messages if m["X-Rcpt-To"] == "qian@example.com" and "处理进展" in m["Subject"]]
    assert len(to_reporter) == 1 and "已定位" in to_reporter[0].get_content()  # ours, no templated one
    assert not [m for m in smtp.messages if "已超时" in m["Subject"] and "进度同步" in m["Subject"]]
    assert not [m for m in outbox_rows(wired) if m.kind == "progress_auto"]  # what a missed update sends
    clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json()
    updates = [c for c in clocks if c["kind"] == "update"]
    assert [c["state"] for c in updates] == ["met", "running"] and updates[0]["escalation_level"] == 0


def test_a_regrade_replans_the_running_clocks(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    number = register(client, h["agent"], report(client)["report"]["id"])
    take(client, h["pm"], number, "start_analysis")
    assert take(client, h["tech_lead"], number, "grade", severity="P2", reason="个别用户").status_code == 200
    graded_at = clock.now()

    def due(kind: str) -> datetime:
        clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=h["agent"]).json()
        return datetime.fromisoformat(
            next(c["due_at"] for c in clocks if c["kind"] == kind and c["state"] == "running")
        )

    assert due("response") == graded_at + timedelta(hours=48)  # P2: 48 h around the clock
    clock.advance(timedelta(minutes=5))
    raised = take(client, h["tech_lead"], number, "regrade", severity="P0", reason="支付全部失败")
    assert raised.status_code == 200, raised.text
    assert due("response") == graded_at + timedelta(minutes=15)  # re-planned from its start
    assert due("update") == graded_at + timedelta(hours=2)
    tick(wired)
    raised_notices = [m for m in smtp.messages if m["Subject"] == f"【级别调整】{number} P2 → P0"]
    assert raised_notices and all("支付全部失败" in m.get_content() for m in raised_notices)


def test_the_closing_message_asks_the_reporter_to_check(desk_env):
    wired, client, h, smtp, _ = desk_env
    number = register(client, h["agent"], report(client, contact="sun@example.com")["report"]["id"])
    drive(client, h["admin"], number, "awaiting_confirmation")
    tick(wired)
    [closing] = [m for m in smtp.messages if m["X-Rcpt-To"] == "sun@example.com" and "已修复" in m["Subject"]]
    assert number in closing["Subject"] and "故障已修复，麻烦您协助测试" in closing.get_content()


@contextmanager
def english_desk(settings, clock, smtp, **overrides):
    """A desk that writes its messages in English, e-mailing them to ``smtp``."""
    english = settings.with_overrides(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_sender="faultdesk@example.com", language="en", **overrides
    )
    wired = bootstrap(english, clock=clock, passwords=FAST_PASSWORDS)
    ensure_default_fault_types(wired.desk)
    headers = create_staff(wired.desk, emails=True)
    try:
        with TestClient(create_app(wiring=wired)) as client:
            yield wired, client, headers
    finally:
        wired.engine.dispose()


def test_messages_go_out_in_english_and_the_english_template_is_editable(settings, clock, peers):
    smtp, _ = peers
    with english_desk(settings, clock, smtp) as (wired, client, headers):
        report(client, contact="li@example.com")
        tick(wired)
        assert smtp.messages[-1]["Subject"] == "[FaultDesk] We received your fault report"
        edited = {"subject": "Got it: {{ symptom }}", "body": "Code {{ tracking_hint }}"}
        assert client.put("/api/v1/templates/receipt/en", json=edited, headers=headers["admin"]).status_code == 204
        report(client, contact="li@example.com", symptom="Login fails")
        tick(wired)
        assert smtp.messages[-1]["Subject"] == "Got it: Login fails"


def test_a_robot_that_answers_200_with_an_error_code_is_a_failed_delivery(peers):
    _, http = peers
    http.answer = b'{"errcode": 310000, "errmsg": "keywords not in content"}'
    notifier = DingTalkNotifier(http.url("/dingtalk?access_token=t"), SECRET)
    with pytest.raises(DeliveryFailed, match="310000") as refused:
        notifier.send(Envelope("m1", "clock_breach", "", "s", "b"))
    assert not isinstance(refused.value, ChannelDown)


def test_p1_notices_wait_for_each_recipients_own_working_hours(desk_env, clock):
    """18:30 on a Wednesday in Shanghai is 11:30 in Berlin: the tech lead who works from Berlin hears
    at once, the Shanghai owner at 09:00 the next morning, the robots by the organisation's hours."""
    wired, client, h, smtp, http = desk_env
    clock.set(clock.now().replace(hour=10, minute=30))  # 18:30 in Shanghai
    number = register(client, h["agent"], report(client)["report"]["id"])
    moved = client.put("/api/v1/me/timezone", json={"timezone": "Europe/Berlin"}, headers=h["tech_lead"])
    assert moved.status_code == 200 and moved.json() == {"username": "tech_lead1", "timezone": "Europe/Berlin"}
    with wired.desk.uow() as uow:
        fault = uow.faults.by_number(number)
        fault = replace(fault, severity=Severity.P1)
        messages.to_staff(wired.desk, uow, fault, [1, 3], "severity_raised", {}, clock.now(), robots=True)
        uow.commit()
    queued = {m.recipient: m.next_attempt_at for m in outbox_rows(wired) if m.kind == "severity_raised"}
    thursday_9am_shanghai = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert queued == {
        "user:1": thursday_9am_shanghai,
        "user:3": clock.now(),
        "robot:webhook": thursday_9am_shanghai,
        "robot:dingtalk": thursday_9am_shanghai,
        "robot:feishu": thursday_9am_shanghai,
        "robot:wecom": thursday_9am_shanghai,
    }
    tick(wired)
    assert [m["X-Rcpt-To"] for m in smtp.messages if "级别调整" in m["Subject"]] == ["tech_lead1@corp.example"]
    back = client.put("/api/v1/me/timezone", json={"timezone": None}, headers=h["tech_lead"])
    assert back.json()["timezone"] is None


@pytest.mark.parametrize(
    "body", [{"timezone": "Mars/Olympus"}, {"timezone": "x" * 65}, {"zone": "Europe/Berlin"}, {}], ids=str
)
def test_a_bad_time_zone_is_refused_and_nothing_changes(desk_env, body):
    wired, client, h, *_ = desk_env
    res = client.put("/api/v1/me/timezone", json=body, headers=h["pm"])
    assert res.status_code == 422
    assert res.json()["error"]["fields"]
    with wired.desk.uow() as uow:
        assert uow.users.by_username("pm1").timezone is None


def test_a_fault_title_with_line_breaks_still_alerts_everyone_on_every_channel(desk_env):
    """A fault registered without a title takes the symptom, which the public form lets hold line
    breaks: its P0 notices must go out (one-line subjects) instead of blocking the outbox."""
    wired, client, h, smtp, http = desk_env
    rid = report(client, symptom="支付失败\r\n点击「支付」无反应\n\t请尽快处理")["report"]["id"]
    number = register(client, h["agent"], rid)
    grade_p0(client, h, number)
    tick(wired)
    p0 = [m for m in smtp.messages if "P0" in m["Subject"]]
    assert len(p0) == 2 and all("\n" not in m["Subject"] and "\r" not in m["Subject"] for m in p0)
    assert "支付失败 点击「支付」无反应 请尽快处理" in p0[0]["Subject"]
    assert all(http.on(path) for path in ("/webhook", "/dingtalk", "/feishu/hook", "/wecom"))
    assert not [m for m in outbox_rows(wired) if m.state != "sent" and m.kind == "p0_opened"]


class _Poisoned:
    """A real notifier that cannot prepare one given message (as a header with a line break once
    could not): everything else goes through to the real far end."""

    def __init__(self, real, poisoned_id: str) -> None:
        self.real, self.poisoned_id = real, poisoned_id

    def send(self, envelope: Envelope) -> None:
        if envelope.message_id == self.poisoned_id:
            raise ValueError("Header values may not contain linefeed or carriage return characters")
        self.real.send(envelope)

    def close(self) -> None:
        self.real.close()


def test_a_message_that_cannot_be_prepared_fails_alone_and_is_dead_lettered_at_the_limit(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    now = clock.now()
    hooks = queue(wired, now, *["robot:webhook"] * 3)
    queue(wired, now, "user:1", channel="email")
    notifiers = {**wired.notifiers, "webhook": _Poisoned(wired.notifiers["webhook"], hooks[1])}
    result = delivery.deliver(wired.desk, notifiers, limit=100)
    assert (result.sent, result.retried, result.dead, result.deferred) == (3, 1, 0, 0)
    assert len(http.on("/webhook")) == 2 and len(smtp.messages) == 1  # the others, on both channels
    rows = {m.message_id: m for m in outbox_rows(wired)}
    poisoned = rows[hooks[1]]
    assert poisoned.state == "pending" and poisoned.attempts == 1
    assert "ValueError" in (poisoned.last_error or "") and poisoned.next_attempt_at > now  # backed off
    for _ in range(12):  # each attempt counted, then a dead letter instead of a retry for ever
        clock.advance(timedelta(hours=2))
        delivery.deliver(wired.desk, notifiers, limit=100)
    poisoned = {m.message_id: m for m in outbox_rows(wired)}[hooks[1]]
    assert poisoned.state == "dead" and poisoned.attempts == 8


def test_a_contact_that_cannot_be_decrypted_fails_its_message_only(desk_env):
    wired, client, h, smtp, http = desk_env
    first = report(client, contact="li.lei@example.com")["report"]["id"]
    report(client, contact="han.mei@example.com")
    with wired.engine.begin() as conn:  # a contact written under another key
        conn.execute(
            text("UPDATE reports SET contact_cipher = :junk WHERE id = :id"), {"junk": b"not-fernet", "id": first}
        )
    tick(wired)
    assert [m["X-Rcpt-To"] for m in smtp.messages] == ["han.mei@example.com"]
    failed = [m for m in outbox_rows(wired) if m.report_id == first]
    assert failed and all(m.state == "pending" and "decrypted" in (m.last_error or "") for m in failed)


EARLY = datetime(2026, 11, 24, 21, 8, tzinfo=UTC)  # 05:08 on Wednesday in Shanghai, before working hours


def early_report(client):
    return report(client, occurred_at="2026-11-25T04:50:00+08:00")["report"]["id"]


def first_reply_clock(client, headers, number):
    clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=headers).json()
    [first] = [c for c in clocks if c["kind"] == "first_reply"]
    return first


def test_a_p0_first_reply_is_due_an_hour_after_registration_around_the_clock(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(EARLY)
    number = register(client, h["agent"], early_report(client))
    assert first_reply_clock(client, h["agent"], number)["due_at"] == "2026-11-25T02:00:00Z"  # 10:00: working hours
    clock.advance(timedelta(minutes=12))
    grade_p0(client, h, number)
    first = first_reply_clock(client, h["agent"], number)
    assert (first["due_at"], first["mode"], first["severity"]) == ("2026-11-24T22:08:00Z", "24x7", "P0")  # 06:08
    assert first["started_at"] == "2026-11-24T21:08:00Z"
    clock.set(datetime(2026, 11, 24, 22, 9, tzinfo=UTC))  # 06:09, long before anyone's working day
    tick(wired)
    late = [m for m in smtp.messages if m["Subject"] == f"【已超时】{number} 首次回复"]
    assert [m["X-Rcpt-To"] for m in late] == ["tech_lead1@corp.example"]  # the team lead, woken: it is a P0
    assert "2026-11-25 06:08" in late[0].get_content()


def test_a_p0_graded_after_its_first_reply_was_due_breaches_at_the_next_tick(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(EARLY)
    number = register(client, h["agent"], early_report(client))
    clock.advance(timedelta(hours=1, minutes=52))  # 07:00: the hour is gone, working hours are not here yet
    grade_p0(client, h, number)
    tick(wired)
    first = first_reply_clock(client, h["agent"], number)
    assert (first["state"], first["due_at"], first["breached_at"]) == (
        "breached",
        "2026-11-24T22:08:00Z",  # the promise as it was: 06:08
        "2026-11-24T23:00:00Z",  # fired at once
    )
    assert [m["X-Rcpt-To"] for m in smtp.messages if m["Subject"] == f"【已超时】{number} 首次回复"] == [
        "tech_lead1@corp.example"
    ]


def test_an_automatic_raise_to_p0_puts_the_running_first_reply_on_24x7(desk_env, clock):
    wired, client, h, smtp, _ = desk_env
    clock.set(EARLY)
    number = register(client, h["agent"], early_report(client))
    drive(client, h["admin"], number, "locating")  # graded P1: the first reply stays on working hours
    assert first_reply_clock(client, h["agent"], number)["due_at"] == "2026-11-25T02:00:00Z"
    raised = client.put(
        f"/api/v1/faults/{number}/estimate", json={"estimated_users": 5000, "source": "支付监控"}, headers=h["pm"]
    )
    assert raised.status_code == 200 and raised.json()["severity"] == "P0"
    first = first_reply_clock(client, h["agent"], number)
    assert (first["due_at"], first["mode"]) == ("2026-11-24T22:08:00Z", "24x7")
    history = client.get(f"/api/v1/faults/{number}/severity-history", headers=h["pm"]).json()
    assert [(c["from_severity"], c["to_severity"]) for c in history][-1] == ("P1", "P0")  # kept once, by the table
    assert len(history) == 2


def test_a_registered_fault_goes_to_the_pms_and_tech_leads_and_every_robot_at_once(desk_env):
    """信息同步: stage 1 ends with the product manager and the tech lead told, by real SMTP and robots."""
    wired, client, h, smtp, http = desk_env
    create_user(wired.desk, "pm2", Role.PM, "correct-horse", actor=Actor.system(), email="pm2@corp.example")
    create_user(wired.desk, "pm3", Role.PM, "correct-horse", actor=Actor.system(), email="pm3@corp.example")
    with wired.engine.begin() as conn:  # pm3 has left: no notices for inactive accounts
        conn.execute(text("UPDATE users SET active = :no WHERE username = 'pm3'"), {"no": False})
    rid = report(client, symptom="下单后支付页面白屏")["report"]["id"]
    second = report(client, symptom="支付页面一直白屏", reporter_id="u-2002")["report"]["id"]
    number = register(client, h["agent"], rid, second)
    tick(wired)
    notices = [m for m in smtp.messages if m["Subject"] == f"【新故障】{number} 下单后支付页面白屏"]
    assert sorted(m["X-Rcpt-To"] for m in notices) == [
        "pm1@corp.example",
        "pm2@corp.example",
        "tech_lead1@corp.example",
    ]
    body = notices[0].get_content()
    assert f"新登记故障 {number}（功能异常）：下单后支付页面白屏，影响 2 用户" in body
    assert f"http://127.0.0.1:8000/api/v1/faults/{number}" in body
    for path in ("/webhook", "/dingtalk", "/feishu/hook", "/wecom"):
        [hit] = http.on(path)
        assert hit.signature_ok and number in hit.raw.decode(), path
    outbox = [m for m in outbox_rows(wired) if m.kind == "registered"]
    assert len(outbox) == 7 and {m.state for m in outbox} == {"sent"}  # three e-mails, four robots
    timeline = client.get(f"/api/v1/faults/{number}/timeline", headers=h["agent"]).json()
    assert [e["action"] for e in timeline if e["entity"] == "fault"] == ["registered"]  # the trail is as it was


def test_a_fault_registered_after_hours_is_shared_when_the_working_day_starts(desk_env, clock):
    wired, client, h, smtp, http = desk_env
    clock.set(clock.now().replace(hour=10, minute=30))  # 18:30 in Shanghai
    number = register(client, h["agent"], report(client)["report"]["id"])
    tick(wired)
    assert not [m for m in smtp.messages if "新故障" in m["Subject"]] and not http.hits
    waiting = [m for m in outbox_rows(wired) if m.kind == "registered"]
    assert len(waiting) == 6 and {m.next_attempt_at for m in waiting} == {datetime(2026, 11, 26, 1, 0, tzinfo=UTC)}
    clock.set(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # 09:00 on Thursday
    tick(wired)
    assert sorted(m["X-Rcpt-To"] for m in smtp.messages if number in m["Subject"]) == [
        "pm1@corp.example",
        "tech_lead1@corp.example",
    ]
    assert all(len(http.on(path)) == 1 for path in ("/webhook", "/dingtalk", "/feishu/hook", "/wecom"))


def test_the_registration_notice_is_editable_and_goes_out_in_english(settings, clock, peers):
    smtp, _ = peers
    with english_desk(settings, clock, smtp, public_url="https://faultdesk.example.com/") as (wired, client, headers):
        number = register(client, headers["agent"], report(client, symptom="Checkout page is blank")["report"]["id"])
        tick(wired)
        [mail, *_] = [m for m in smtp.messages if m["X-Rcpt-To"] == "pm1@corp.example"]
        assert mail["Subject"] == f"[New fault] {number} Checkout page is blank"
        assert "(Functional fault)" in mail.get_content()
        assert f"https://faultdesk.example.com/api/v1/faults/{number}" in mail.get_content()
        edited = {"subject": "New: {{ number }} ({{ type }}, {{ users }} users)", "body": "{{ title }} {{ link }}"}
        put = client.put("/api/v1/templates/registered/en", json=edited, headers=headers["admin"])
        assert put.status_code == 204, put.text
        number = register(client, headers["agent"], report(client)["report"]["id"])
        tick(wired)
        assert smtp.messages[-1]["Subject"] == f"New: {number} (Functional fault, 1 users)"


def test_the_full_release_publishes_the_announcement_and_tells_the_reporters_it_is_live(desk_env):
    """产品经理同步发布上线公告: the staff and the group robots read the PM's announcement; every
    reporter hears once, in their words, that the fix is live and in which version."""
    wired, client, h, smtp, http = desk_env
    first = report(client, contact="zhou@example.com", reporter_id="zhou")
    mine, token = first["report"]["id"], first["tracking_token"]
    again = report(client, contact="zhou@example.com", reporter_id="zhou")["report"]["id"]  # wrote in twice
    number = register(client, h["agent"], mine, again)
    drive(client, h["admin"], number, "releasing", steps=10)  # graded P1, one gray step
    released = take(
        client, h["pm"], number, "release_full", version="5.2.3", announcement="登录问题已修复，请升级至 5.2.3"
    )
    assert released.status_code == 200 and released.json()["status"] == "resolved"
    tick(wired)
    announced = [m for m in smtp.messages if m["Subject"].startswith(f"【上线公告】{number}")]
    assert sorted(m["X-Rcpt-To"] for m in announced) == [
        "agent1@corp.example",
        "pm1@corp.example",
        "tech_lead1@corp.example",  # the handling owner, and a tech lead
    ]
    assert "（版本 5.2.3）" in announced[0]["Subject"]
    assert "登录问题已修复，请升级至 5.2.3" in announced[0].get_content()
    for path in ("/webhook", "/dingtalk", "/feishu/hook", "/wecom"):
        hits = [hit for hit in http.on(path) if "上线公告" in hit.raw.decode()]
        assert len(hits) == 1 and hits[0].signature_ok and "请升级至 5.2.3" in hits[0].raw.decode(), path
    [live] = [m for m in smtp.messages if m["X-Rcpt-To"] == "zhou@example.com" and "已修复上线" in m["Subject"]]
    assert live["Subject"] == f"【故障快响】{number} 已修复上线"
    assert live.get_content().strip() == "您反馈的问题已修复并全量发布（版本 5.2.3），如仍有问题请回复。"
    seen = client.get(f"/api/v1/track/{token}/messages").json()
    assert f"【故障快响】{number} 已修复上线" in [m["subject"] for m in seen]  # on the tracking page too


def test_a_p2_that_ships_in_the_next_version_publishes_no_release(desk_env):
    wired, client, h, smtp, http = desk_env
    number = register(client, h["agent"], report(client, contact="wu@example.com")["report"]["id"])
    drive(client, h["admin"], number, "awaiting_confirmation")
    assert take(client, h["tech_lead"], number, "regrade", severity="P2", reason="个别用户").status_code == 200
    assert take(client, h["agent"], number, "confirm").json()["status"] == "resolved"
    tick(wired)
    kinds = {m.kind for m in outbox_rows(wired)}
    assert "closing" in kinds and not kinds & {"release_announced", "fix_released"}


def test_the_new_notices_are_editable_in_both_languages(client, staff):
    edits = {
        "registered": "{{ number }} {{ type }} {{ title }} {{ users }} {{ link }}",
        "release_announced": "{{ number }} {{ version }} {{ announcement }} {{ link }}",
        "fix_released": "{{ number }} {{ version }}",
    }
    for key, body in edits.items():
        for lang in ("zh", "en"):
            put = client.put(
                f"/api/v1/templates/{key}/{lang}", json={"subject": key, "body": body}, headers=staff["admin"]
            )
            assert put.status_code == 204, (key, lang, put.text)

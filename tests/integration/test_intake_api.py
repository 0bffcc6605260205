"""Public intake: POST /api/v1/reports, idempotency, rate limits, tracking, and every bad input."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from faultdesk.adapters.db import tables as t
from tests.conftest import a_report


def count(wiring, table) -> int:
    with wiring.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_report_is_stored_with_a_masked_contact_and_a_long_tracking_token(client, wiring):
    res = client.post("/api/v1/reports", json=a_report())
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["report"]["contact"] == "138****1234"
    assert body["report"]["received_at"].startswith("2026-11-25T02:00:00")  # the server's clock
    assert len(body["tracking_token"]) >= 32  # 24 random bytes, url-safe: 192 bits
    with wiring.engine.connect() as conn:
        row = conn.execute(select(t.reports)).one()
    assert b"13812341234" not in row.contact_cipher  # encrypted at rest
    assert row.tracking_token_hash != body["tracking_token"]  # only a digest is kept


def test_local_times_without_a_zone_are_read_in_the_organisations_zone(client):
    res = client.post("/api/v1/reports", json=a_report(occurred_at="2026-11-25T09:30:00"))
    assert res.json()["report"]["occurred_at"].startswith("2026-11-25T01:30:00")


def test_the_reporter_tracks_only_their_own_report(client, staff):
    first = client.post("/api/v1/reports", json=a_report()).json()
    client.post("/api/v1/reports", json=a_report(symptom="支付后订单仍显示未支付", reporter_id="u-2"))
    res = client.get(f"/api/v1/track/{first['tracking_token']}")
    assert res.status_code == 200
    assert res.json() == {
        "report_id": first["report"]["id"],
        "received_at": res.json()["received_at"],
        "symptom": "登录页面点击忘记密码后提示系统繁忙",
        "fault_number": None,
        "status": "received",
    }
    assert "contact" not in res.text and "u-2" not in res.text
    client.post(
        "/api/v1/faults", json={"type_code": "01", "report_ids": [first["report"]["id"]]}, headers=staff["agent"]
    )
    tracked = client.get(f"/api/v1/track/{first['tracking_token']}").json()
    assert tracked["status"] == "registered" and tracked["fault_number"].endswith("-01-001")
    assert client.get("/api/v1/track/not-a-real-token").status_code == 404


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer(client, wiring):
    headers = {"Idempotency-Key": "a1b2c3"}
    first = client.post("/api/v1/reports", json=a_report(), headers=headers)
    again = client.post("/api/v1/reports", json=a_report(), headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert count(wiring, t.reports) == 1


def test_an_idempotency_key_reused_for_another_report_is_a_conflict(client, wiring):
    headers = {"Idempotency-Key": "k-1"}
    client.post("/api/v1/reports", json=a_report(), headers=headers)
    res = client.post("/api/v1/reports", json=a_report(symptom="另一件事"), headers=headers)
    assert res.status_code == 409
    assert count(wiring, t.reports) == 1


@pytest.mark.slow
def test_concurrent_retries_with_one_key_file_one_report(client, wiring):
    body = a_report()

    def send(_: int) -> tuple[int, str]:
        res = client.post("/api/v1/reports", json=body, headers={"Idempotency-Key": "burst"})
        return res.status_code, res.json()["tracking_token"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(send, range(16)))
    assert count(wiring, t.reports) == 1
    assert len({token for _, token in results}) == 1
    assert sorted(code for code, _ in results).count(201) == 1


def test_public_intake_is_rate_limited_per_client(wiring):
    from fastapi.testclient import TestClient

    from faultdesk.entrypoints.api.app import create_app

    app = create_app(wiring.settings.with_overrides(intake_rate_limit="3/minute"), wiring=wiring)
    with TestClient(app, client=("198.51.100.1", 1)) as one, TestClient(app, client=("198.51.100.2", 1)) as two:
        codes = [one.post("/api/v1/reports", json=a_report()).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        limited = one.post("/api/v1/reports", json=a_report())
        assert int(limited.headers["Retry-After"]) >= 1
        assert two.post("/api/v1/reports", json=a_report()).status_code == 201  # another client
    assert count(wiring, t.reports) == 4


BAD_INPUTS = [
    ("missing symptom", {k: v for k, v in a_report().items() if k != "symptom"}, "symptom", "必填字段缺失"),
    ("blank symptom", a_report(symptom="   "), "symptom", "长度至少 1 个字符"),
    ("over-long symptom", a_report(symptom="卡" * 501), "symptom", "长度不能超过 500 个字符"),
    ("over-long device", a_report(device_model="x" * 101), "device_model", "长度不能超过 100 个字符"),
    ("unknown channel", a_report(channel="fax"), "channel", "取值须为"),
    ("unknown network", a_report(network="6g"), "network", "取值须为"),
    ("wrong type", a_report(symptom=12345), "symptom", "须为字符串"),
    ("wrong time type", a_report(occurred_at="yesterday"), "occurred_at", "ISO 8601"),
    ("future fault", a_report(occurred_at="2030-01-01T00:00:00+08:00"), "occurred_at", "不能晚于当前时间"),
    ("future receipt", a_report(received_at="2030-01-01T00:00:00+08:00"), "received_at", "不能晚于当前时间"),
    (
        "fault after receipt",
        a_report(received_at="2026-11-25T08:00:00+08:00", occurred_at="2026-11-25T09:00:00+08:00"),
        "occurred_at",
        "故障发生时间不能晚于反馈时间",
    ),
    ("malformed contact", a_report(contact="call me maybe"), "contact", "手机号"),
    ("unknown field", a_report(priority="P0"), "priority", "不允许的字段"),
    ("unknown product", a_report(product="nope"), "product", "未知产品"),
    ("function without product", a_report(function="login"), "function", "需同时指定产品"),
]


@pytest.mark.parametrize(("case", "body", "field", "reason"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_422_naming_the_field_and_writes_nothing(client, wiring, case, body, field, reason):
    res = client.post("/api/v1/reports", json=body)
    assert res.status_code == 422, res.text
    fields = {f["field"]: f["reason"] for f in res.json()["error"]["fields"]}
    assert field in fields, fields
    assert reason in fields[field]
    assert count(wiring, t.reports) == 0
    assert count(wiring, t.audit_events) == 0


def test_reasons_are_english_when_asked(client):
    res = client.post("/api/v1/reports", json=a_report(contact="nope"), headers={"Accept-Language": "en-GB,en"})
    assert res.json()["error"]["fields"] == [
        {
            "field": "contact",
            "reason": "must be a mobile number (e.g. 13812341234), a landline (010-12345678) or an e-mail address",
        }
    ]
    res = client.post("/api/v1/reports", json=a_report(symptom="x" * 501), headers={"Accept-Language": "en"})
    assert "at most 500 characters" in res.json()["error"]["fields"][0]["reason"]


def test_invalid_json_is_a_422_not_a_500(client, wiring):
    res = client.post(
        "/api/v1/reports", content=b'{"channel": "app", "symptom": ', headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 422
    assert res.json()["error"]["fields"][0] == {"field": "body", "reason": "JSON 格式错误（第 30 个字符处）"}
    res = client.post("/api/v1/reports", content=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert res.status_code == 422
    assert count(wiring, t.reports) == 0


def test_an_oversized_body_is_refused_before_parsing(client, wiring):
    body = json.dumps(a_report(description="长" * 100_000)).encode()  # ~300 KB > 256 KiB
    res = client.post("/api/v1/reports", content=body, headers={"Content-Type": "application/json"})
    assert res.status_code == 422
    assert res.json()["error"]["fields"][0]["field"] == "body"

    def chunks():  # no Content-Length: the limit must hold for chunked bodies too
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    res = client.post("/api/v1/reports", content=chunks(), headers={"Content-Type": "application/json"})
    assert res.status_code == 422
    assert count(wiring, t.reports) == 0


def test_a_chunked_body_under_the_limit_is_accepted(client):
    body = json.dumps(a_report()).encode()
    res = client.post(
        "/api/v1/reports", content=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 201


def test_every_create_is_audited_without_the_clear_contact(client, wiring):
    client.post("/api/v1/reports", json=a_report())
    with wiring.engine.connect() as conn:
        event = conn.execute(select(t.audit_events)).one()
    assert (event.entity, event.action, event.actor_label) == ("report", "submitted", "public")
    assert event.after["contact"] == "138****1234"
    assert "13812341234" not in json.dumps(event.after)

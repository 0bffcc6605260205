"""Registration, listing, detail, timeline, contact reveal and roles on the staff API."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from faultdesk.domain.roles import Role
from tests.conftest import a_report


def submit(client, **overrides) -> int:
    res = client.post("/api/v1/reports", json=a_report(**overrides))
    assert res.status_code == 201, res.text
    return int(res.json()["report"]["id"])


def register(client, headers, **body):
    return client.post("/api/v1/faults", json={"type_code": "01", **body}, headers=headers)


def test_an_agent_registers_a_fault_from_reports_and_it_is_numbered(client, staff):
    ids = [submit(client, reporter_id=f"u{i % 2}") for i in range(3)]  # two distinct reporters
    res = register(client, staff["agent"], report_ids=ids, title="忘记密码提示系统繁忙")
    assert res.status_code == 201, res.text
    fault = res.json()["fault"]
    assert fault["number"] == "261125-01-001"
    assert (fault["status"], fault["severity"], fault["affected_users"]) == ("registered", None, 2)
    assert [r["id"] for r in fault["reports"]] == ids
    assert all(r["contact"] == "138****1234" for r in fault["reports"])
    second = register(client, staff["agent"], report_ids=[submit(client)])
    assert second.json()["fault"]["number"] == "261125-01-002"
    other_type = client.post(
        "/api/v1/faults", json={"type_code": "03", "report_ids": [submit(client)]}, headers=staff["agent"]
    )
    assert other_type.json()["fault"]["number"] == "261125-03-001"


def test_a_phone_report_is_taken_and_registered_in_one_call(client, staff):
    res = register(
        client,
        staff["agent"],
        new_reports=[a_report(channel="hotline", contact="zhang@example.com", reporter_id=None)],
        estimated_users=300,
        estimate_source="客服热线当日来电量",
    )
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["fault"]["reports"][0]["channel"] == "hotline"
    assert body["fault"]["reports"][0]["contact"] == "z***@example.com"
    assert body["fault"]["estimated_users"] == 300
    assert len(body["new_report_tokens"]) == 1
    tracked = client.get(f"/api/v1/track/{body['new_report_tokens'][0]}").json()
    assert tracked["fault_number"] == body["fault"]["number"]


def test_registration_refuses_bad_input_and_writes_nothing(client, staff):
    rid = submit(client)
    cases = [
        ({"report_ids": []}, 422, "report_ids"),
        ({"report_ids": [rid, rid]}, 422, "report_ids"),
        ({"report_ids": [9999]}, 422, "report_ids"),
        ({"report_ids": [rid], "type_code": "77"}, 422, "type_code"),
        ({"report_ids": [rid], "type_code": "1"}, 422, "type_code"),
        ({"report_ids": [rid], "product": "ghost"}, 422, "product"),
        ({"report_ids": ["one"]}, 422, "report_ids.0"),
        ({"report_ids": [rid], "estimated_users": -1}, 422, "estimated_users"),
        ({"new_reports": [a_report(contact="bad")]}, 422, "contact"),
    ]
    for body, status, field in cases:
        res = client.post("/api/v1/faults", json={"type_code": "01", **body}, headers=staff["agent"])
        assert res.status_code == status, (body, res.text)
        assert field in [f["field"] for f in res.json()["error"]["fields"]], (body, res.json())
    assert client.get("/api/v1/faults", headers=staff["agent"]).json()["total"] == 0
    ok = register(client, staff["agent"], report_ids=[rid])
    assert ok.json()["fault"]["number"].endswith("-001")  # no serial was spent by the failures


def test_a_report_belongs_to_one_fault_only(client, staff):
    rid = submit(client)
    assert register(client, staff["agent"], report_ids=[rid]).status_code == 201
    res = register(client, staff["agent"], report_ids=[rid])
    assert res.status_code == 409
    assert "已属于故障单" in res.json()["error"]["message"]


@pytest.mark.parametrize("role", list(Role))
def test_only_agents_pms_and_admins_register(client, staff, role):
    res = register(client, staff[role.value], report_ids=[submit(client)])
    expected = 201 if role in (Role.AGENT, Role.PM, Role.ADMIN) else 403
    assert res.status_code == expected, res.text


def test_staff_endpoints_need_credentials(client):
    assert client.get("/api/v1/faults").status_code == 401
    assert client.get("/api/v1/faults", headers={"Authorization": "Bearer fdt_nope"}).status_code == 401
    assert client.get("/api/v1/faults", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [1]}).status_code == 401


def test_lists_filter_sort_and_page(client, staff):
    for i in range(5):
        register(client, staff["agent"], report_ids=[submit(client, channel="web" if i % 2 else "app")])
    register(client, staff["agent"], type_code="03", report_ids=[submit(client, channel="hotline")])
    submit(client, channel="mini_program")  # waiting at intake
    h = staff["developer"]
    page = client.get("/api/v1/faults?page_size=2&page=2&sort=number", headers=h).json()
    assert page["total"] == 6 and [f["number"] for f in page["items"]] == ["261125-01-003", "261125-01-004"]
    assert client.get("/api/v1/faults?type=03", headers=h).json()["total"] == 1
    assert client.get("/api/v1/faults?channel=web", headers=h).json()["total"] == 2
    assert client.get("/api/v1/faults?channel=web&channel=hotline", headers=h).json()["total"] == 3
    assert client.get("/api/v1/faults?status=registered", headers=h).json()["total"] == 6
    assert client.get("/api/v1/faults?status=archived", headers=h).json()["total"] == 0
    assert client.get("/api/v1/faults?severity=P0", headers=h).json()["total"] == 0
    assert client.get("/api/v1/faults?registered_from=2026-11-25T10:00:00", headers=h).json()["total"] == 6
    assert client.get("/api/v1/faults?registered_to=2026-11-25T10:00:00", headers=h).json()["total"] == 0
    reports = client.get("/api/v1/reports?linked=false", headers=h).json()
    assert reports["total"] == 1 and reports["items"][0]["channel"] == "mini_program"
    assert client.get("/api/v1/reports?channel=web&channel=app", headers=h).json()["total"] == 5
    assert client.get("/api/v1/reports?type=03", headers=h).json()["total"] == 1
    assert client.get("/api/v1/reports?sort=-id&page_size=1", headers=h).json()["items"][0]["id"] == 7
    for bad in ("sort=colour", "page=0", "page_size=1000", "status=lost", "severity=P9", "registered_from=soon"):
        res = client.get(f"/api/v1/faults?{bad}", headers=h)
        assert res.status_code == 422, bad


def test_fault_detail_and_unknown_numbers(client, staff):
    number = register(client, staff["agent"], report_ids=[submit(client)]).json()["fault"]["number"]
    detail = client.get(f"/api/v1/faults/{number}", headers=staff["tester"]).json()
    assert detail["number"] == number and detail["reports"][0]["fault_number"] == number
    assert client.get("/api/v1/faults/000000-01-001", headers=staff["tester"]).status_code == 404


def test_the_timeline_tells_the_story_in_order(client, staff):
    rid = submit(client)
    number = register(client, staff["agent"], report_ids=[rid]).json()["fault"]["number"]
    client.post(f"/api/v1/reports/{rid}/contact/reveal", headers=staff["pm"])
    events = client.get(f"/api/v1/faults/{number}/timeline", headers=staff["developer"]).json()
    assert [(e["entity"], e["action"], e["actor"]) for e in events] == [
        ("fault", "registered", "agent1"),
        ("report", "linked", "agent1"),
        ("report", "contact_revealed", "pm1"),
    ]
    assert events[0]["after"]["number"] == number and events[1]["after"] == {"fault": number}
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


@pytest.mark.parametrize("role", list(Role))
def test_revealing_a_contact_is_for_those_who_reply_and_is_audited(client, staff, wiring, role):
    rid = submit(client)
    res = client.post(f"/api/v1/reports/{rid}/contact/reveal", headers=staff[role.value])
    if role in (Role.AGENT, Role.PM, Role.ADMIN):
        assert res.json() == {"report_id": rid, "contact": "13812341234"}
    else:
        assert res.status_code == 403
    with wiring.engine.connect() as conn:
        revealed = conn.execute(text("SELECT COUNT(*) FROM audit_events WHERE action = 'contact_revealed'")).scalar()
    assert revealed == (1 if res.status_code == 200 else 0)
    listed = client.get("/api/v1/reports", headers=staff[role.value]).json()["items"][0]
    assert listed["contact"] == "138****1234"


def test_audit_events_cannot_be_changed_or_deleted(client, wiring):
    submit(client)
    for statement in ("UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), wiring.engine.begin() as conn:
            conn.execute(text(statement))
    with wiring.engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_events")).scalar() == "submitted"


def test_fault_types_are_seeded_from_the_brief(client, staff):
    types = client.get("/api/v1/fault-types", headers=staff["agent"]).json()
    assert [(t["code"], t["label_zh"]) for t in types][:3] == [
        ("01", "功能异常"),
        ("02", "性能问题"),
        ("03", "界面显示"),
    ]
    assert types[-1]["code"] == "99"

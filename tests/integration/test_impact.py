"""Affected users counted once each, broken down, and severity raised at 100 and 1000 users."""

from __future__ import annotations

import pytest

from tests.conftest import a_report
from tests.integration.lifecycle_helpers import drive


def _reports(client, n, fields):
    return [client.post("/api/v1/reports", json=a_report(**fields(i))).json()["report"]["id"] for i in range(n)]


def test_users_are_counted_by_reporter_id_else_by_contact(client, staff):
    ids = _reports(
        client,
        4,
        lambda i: {
            "reporter_id": None,
            "contact": "13812341234" if i < 3 else "zhou@example.com",
            "channel": "hotline" if i else "app",
        },
    )
    ids += _reports(
        client, 2, lambda i: {"reporter_id": "u-9", "device_model": "华为 Mate 60", "os_version": "HarmonyOS 4.0"}
    )
    res = client.post("/api/v1/faults", json={"type_code": "01", "report_ids": ids}, headers=staff["agent"])
    number = res.json()["fault"]["number"]
    assert res.json()["fault"]["affected_users"] == 3  # one phone number thrice, one e-mail, one reporter id twice
    impact = client.get(f"/api/v1/faults/{number}/impact", headers=staff["pm"]).json()
    assert impact["affected_users"] == 3
    assert impact["by_channel"] == {"app": 2, "hotline": 2}
    assert impact["by_device"] == {"iPhone 13": 2, "华为 Mate 60": 1}
    assert impact["by_os"]["HarmonyOS 4.0"] == 1 and impact["by_app_version"] == {"5.2.1": 3}


@pytest.mark.slow
def test_crossing_100_users_raises_p2_to_p1_and_1000_raises_to_p0_never_lowering(client, staff):
    first = _reports(client, 1, lambda i: {"reporter_id": "first"})
    number = client.post(
        "/api/v1/faults", json={"type_code": "03", "report_ids": first}, headers=staff["agent"]
    ).json()["fault"]["number"]
    drive(client, staff["admin"], number, "triaging")
    graded = client.post(
        f"/api/v1/faults/{number}/transitions",
        json={"action": "grade", "severity": "P2", "reason": None},
        headers=staff["tech_lead"],
    )
    assert graded.json()["severity"] == "P2"
    more = _reports(client, 99, lambda i: {"reporter_id": f"u{i}"})
    linked = client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": more[:98]}, headers=staff["agent"])
    assert (linked.json()["affected_users"], linked.json()["severity"]) == (99, "P2")
    linked = client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": more[98:]}, headers=staff["agent"])
    assert (linked.json()["affected_users"], linked.json()["severity"]) == (100, "P1")
    raised = client.put(
        f"/api/v1/faults/{number}/estimate", json={"estimated_users": 5000, "source": "支付监控"}, headers=staff["pm"]
    ).json()
    assert raised["severity"] == "P0"
    lowered = client.put(
        f"/api/v1/faults/{number}/estimate", json={"estimated_users": 10, "source": "复核"}, headers=staff["pm"]
    ).json()
    assert lowered["severity"] == "P0"  # never lowered automatically
    history = client.get(f"/api/v1/faults/{number}/severity-history", headers=staff["agent"]).json()
    assert [(c["from_severity"], c["to_severity"], c["changed_by"]) for c in history] == [
        (None, "P2", "tech_lead1"),
        ("P2", "P1", "system"),
        ("P1", "P0", "system"),
    ]
    assert "100" in history[1]["reason"]
    timeline = [e["action"] for e in client.get(f"/api/v1/faults/{number}/timeline", headers=staff["agent"]).json()]
    assert timeline.count("severity_raised") == 2
    notices = client.get(f"/api/v1/messages?fault={number}", headers=staff["admin"]).json()
    assert sum(1 for m in notices if m["kind"] == "severity_raised") >= 2


def test_an_ungraded_fault_takes_its_user_count_into_the_suggestion(client, staff):
    ids = _reports(client, 120, lambda i: {"reporter_id": f"r{i}"})
    number = client.post("/api/v1/faults", json={"type_code": "02", "report_ids": ids}, headers=staff["agent"]).json()[
        "fault"
    ]["number"]
    fault = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert (fault["severity"], fault["affected_users"]) == (None, 120)
    assert client.get(f"/api/v1/faults/{number}/severity-suggestion", headers=staff["agent"]).json()["severity"] == "P1"

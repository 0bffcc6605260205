"""Numbers and dates out of range are 4xx on both stores: ids at or past 2^31 (PostgreSQL
integer) and 2^63, and datetimes whose zone conversion overflows, in paths, bodies and queries."""

from __future__ import annotations

import pytest

from tests.conftest import a_report

HUGE_IDS = [2**31, 2**63, -1, 0]
FAR_TIMES = ["0001-01-01T00:00:00", "9999-12-31T23:59:59-14:00", "1900-01-01T00:00:00+08:00"]


@pytest.mark.parametrize("bad", HUGE_IDS)
def test_ids_out_of_range_in_paths_are_refused(client, staff, bad):
    h = staff["admin"]
    for method, path in [
        ("GET", f"/api/v1/reports/{bad}"),
        ("GET", f"/api/v1/reports/{bad}/candidates"),
        ("POST", f"/api/v1/reports/{bad}/contact/reveal"),
        ("POST", f"/api/v1/messages/{bad}/retry"),
        ("PATCH", f"/api/v1/improvement-actions/{bad}"),
        ("DELETE", f"/api/v1/faults/261125-01-001/reports/{bad}"),
    ]:
        res = client.request(method, path, headers=h, json={"status": "done"} if method == "PATCH" else None)
        assert res.status_code == 422, (method, path, res.status_code, res.text)


@pytest.mark.parametrize("bad", HUGE_IDS)
def test_ids_out_of_range_in_bodies_are_refused(client, staff, bad):
    h = staff["admin"]
    assert client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [bad]}, headers=h).status_code == 422
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=h).json()["fault"][
        "number"
    ]
    res = client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": [bad]}, headers=h)
    assert res.status_code == 422, res.text
    res = client.post(
        f"/api/v1/faults/{number}/transitions", json={"action": "assign", "owners": {"handling": bad}}, headers=h
    )
    assert res.status_code == 422, res.text


@pytest.mark.parametrize("bad", FAR_TIMES)
def test_datetimes_out_of_range_are_refused_in_bodies_and_filters(client, staff, bad):
    h = staff["agent"]
    for field in ("received_at", "occurred_at"):
        res = client.post("/api/v1/reports", json=a_report(**{field: bad}))
        assert res.status_code == 422 and res.json()["error"]["fields"][0]["field"] == field, res.text
    for path, name in [("/api/v1/faults", "registered_from"), ("/api/v1/reports", "received_to")]:
        res = client.get(path, params={name: bad}, headers=h)
        assert res.status_code == 422, (path, res.text)


def test_a_report_received_long_ago_is_refused_and_one_within_the_window_kept(client):
    res = client.post("/api/v1/reports", json=a_report(received_at="2026-01-01T10:00:00+08:00", occurred_at=None))
    assert res.status_code == 422 and res.json()["error"]["fields"][0]["field"] == "received_at"
    res = client.post("/api/v1/reports", json=a_report(received_at="2026-11-20T10:00:00+08:00", occurred_at=None))
    assert res.status_code == 201, res.text


def test_far_dates_are_refused(client, staff):
    h = staff["admin"]
    assert client.put("/api/v1/calendar/days/9999-12-31", json={"kind": "holiday"}, headers=h).status_code == 422
    assert client.put("/api/v1/calendar/days/0001-01-01", json={"kind": "holiday"}, headers=h).status_code == 422

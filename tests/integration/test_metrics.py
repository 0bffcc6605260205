"""Metrics on both stores against figures worked out by hand from tests/integration/metrics_seed.py."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.integration.metrics_seed import NUMBER, seed

NOV = {"from": "2026-11-01", "to": "2026-12-01"}
H = 3600.0


@pytest.fixture
def seeded(wiring, staff, client):
    seed(wiring.engine)
    return client, staff


def _get(client, headers, **params):
    res = client.get("/api/v1/metrics", params={**NOV, **params}, headers=headers)
    assert res.status_code == 200, res.text
    return res.json()


def test_every_figure_of_the_month_as_worked_out_by_hand(seeded):
    client, staff = seeded
    m = _get(client, staff["pm"])
    assert m["period"] == {
        "from": "2026-11-01T00:00:00+08:00",
        "to": "2026-12-01T00:00:00+08:00",
        "zone": "Asia/Shanghai",
        "bucket": "day",
    }
    # Reports 1–6 arrived in November (6 is not registered yet), 7 in October.
    assert m["reports_in"] == 6
    assert m["faults_in"] == 4  # faults 3–6
    assert (m["reopened"], m["reopen_rate"]) == (1, 0.25)
    assert (m["recurrences"], m["recurrence_rate"]) == (1, 0.25)
    assert m["volume"] == [
        {"severity": "P0", "type": "01", "faults": 1},
        {"severity": "P1", "type": "01", "faults": 1},
        {"severity": "P1", "type": "02", "faults": 1},
        {"severity": None, "type": "03", "faults": 1},
    ]
    d = m["durations"]
    # Register: 1800, 600, 3600, 1200, 300 s → sorted 300 600 1200 1800 3600; p90 at 3.6: 1800 + 0.6·1800.
    assert d["register"] == {"count": 5, "mean_s": 1500.0, "median_s": 1200.0, "p90_s": pytest.approx(2880.0)}
    # Grade: 1800, 7200, 600 (fault 6 not graded yet) → p90 at 1.8: 1800 + 0.8·5400.
    assert d["grade"] == {
        "count": 3,
        "mean_s": pytest.approx(3200.0),
        "median_s": 1800.0,
        "p90_s": pytest.approx(6120.0),
    }
    # First reply: 1200, 2400, 300 (fault 6's is paused) → p90: 1200 + 0.8·1200.
    assert d["first_reply"] == {
        "count": 3,
        "mean_s": pytest.approx(1300.0),
        "median_s": 1200.0,
        "p90_s": pytest.approx(2160.0),
    }
    # Resolve: fault 3 resolved last on 11-04 (48 h after registration; its first resolution on
    # 11-03 was reopened), fault 4 on 11-06 (24 h). Fault 1 was resolved in October.
    assert d["resolve"] == {
        "count": 2,
        "mean_s": pytest.approx(36 * H),
        "median_s": pytest.approx(36 * H),
        "p90_s": pytest.approx(24 * H + 0.9 * 24 * H),
    }
    rows = {(r["kind"], r["severity"]): (r["met"], r["breached"], r["pending"]) for r in m["compliance"]["rows"]}
    assert rows == {
        ("register", None): (4, 2, 0),  # report 3 breached, report 6 running past due
        ("grade", None): (2, 2, 0),  # fault 4 met late, fault 6 running past due
        ("first_reply", None): (3, 0, 1),  # fault 6's paused
        ("response", "P0"): (1, 0, 0),
        ("response", "P1"): (1, 1, 0),
        ("archive", "P0"): (2, 0, 0),
        ("archive", "P1"): (0, 1, 0),  # fault 4 resolved on 11-06, not archived since
    }
    assert list(rows) == [k for k in rows]  # kinds in the clocks' order
    assert (m["compliance"]["met"], m["compliance"]["breached"], m["compliance"]["pending"]) == (13, 6, 1)
    assert m["compliance"]["rate"] == pytest.approx(13 / 19)
    assert [(b["kind"], b["fault"], b["report_id"]) for b in m["breaches"]] == [
        ("register", NUMBER[4], 3),
        ("grade", NUMBER[4], None),
        ("response", NUMBER[4], None),
        ("archive", NUMBER[4], None),
        ("grade", NUMBER[6], None),
        ("register", None, 6),
    ]
    assert m["breaches"][0]["due_at"] == "2026-11-05T09:30:00+08:00"
    assert [(f["number"], f["affected_users"]) for f in m["top_faults"]] == [
        (NUMBER[3], 1500),
        (NUMBER[4], 300),
        (NUMBER[5], 50),
        (NUMBER[6], 1),
    ]
    assert m["improvements"] == {"done": 1, "overdue": 1, "open": 1, "dropped": 1}
    # Open now, whatever the period: fault 2 (October) fixing, 5 locating, 6 registered.
    assert m["open_now"] == [
        {"status": "fixing", "severity": "P2", "faults": 1},
        {"status": "locating", "severity": "P1", "faults": 1},
        {"status": "registered", "severity": None, "faults": 1},
    ]
    trend = m["trend"]
    assert len(trend) == 30 and trend[0]["from"] == "2026-11-01T00:00:00+08:00"
    assert trend[1]["faults_in"] == 1 and trend[1]["reports_in"] == 2  # 2 November
    assert trend[3]["mttr"]["count"] == 1 and trend[3]["mttr"]["mean_s"] == pytest.approx(48 * H)  # 4 November
    assert trend[5]["mttr"]["median_s"] == pytest.approx(24 * H)  # 6 November
    assert sum(p["faults_in"] for p in trend) == 4 and sum(p["reports_in"] for p in trend) == 6
    assert sum(p["mttr"]["count"] for p in trend) == 2


def test_the_list_filters_narrow_every_figure(seeded):
    client, staff = seeded
    p1 = _get(client, staff["pm"], severity="P1")
    assert (p1["faults_in"], p1["reports_in"]) == (2, 2)  # faults 4, 5 and their reports 3, 4
    assert p1["durations"]["register"]["mean_s"] == 2400.0  # 3600 and 1200
    assert p1["durations"]["register"]["p90_s"] == pytest.approx(1200 + 0.9 * 2400)
    assert all(b["fault"] in (NUMBER[4], NUMBER[5]) for b in p1["breaches"])
    assert p1["improvements"] == {"done": 0, "overdue": 0, "open": 1, "dropped": 1}
    web = _get(client, staff["pm"], channel="web")
    assert web["reports_in"] == 2  # reports 2 and 6 (6 not registered: the channel is the report's own)
    assert web["faults_in"] == 1  # fault 3 has a web report
    owner = _get(client, staff["pm"], owner="tech_lead1")
    assert owner["faults_in"] == 1 and owner["top_faults"][0]["number"] == NUMBER[5]
    product = _get(client, staff["pm"], product="app", type="01")
    assert product["faults_in"] == 2
    both = client.get(
        "/api/v1/metrics", params=[*NOV.items(), ("severity", "P0"), ("severity", "P2")], headers=staff["pm"]
    )
    assert both.json()["faults_in"] == 1


def test_named_periods_and_buckets(seeded):
    client, staff = seeded
    week = _get(client, staff["agent"], period="week", **{"from": None, "to": None})
    # NOW is Wednesday 2026-11-25 in Shanghai: the week from Monday the 23rd.
    assert week["period"]["from"] == "2026-11-23T00:00:00+08:00" and week["period"]["to"] == "2026-11-30T00:00:00+08:00"
    assert week["reports_in"] == 1 and len(week["trend"]) == 7
    by_week = _get(client, staff["pm"], bucket="week")
    assert [p["from"][:10] for p in by_week["trend"]] == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-09",
        "2026-11-16",
        "2026-11-23",
        "2026-11-30",
    ]
    assert sum(p["faults_in"] for p in by_week["trend"]) == 4


def test_a_resolution_counts_in_the_period_of_the_fault_s_last_one(seeded):
    """Fault 3 was resolved on 11-03 and, after a reopen, again on 11-04 (10:00 in Shanghai): a
    period that holds only the first has no resolution (the store reads only the archive clocks
    started since the period's start, and the last of those must fall before its end)."""
    client, staff = seeded
    first_only = _get(client, staff["pm"], **{"from": "2026-11-03", "to": "2026-11-04"})
    assert first_only["durations"]["resolve"]["count"] == 0
    last = _get(client, staff["pm"], **{"from": "2026-11-04", "to": "2026-11-05"})
    assert last["durations"]["resolve"] == {"count": 1, "mean_s": 48 * H, "median_s": 48 * H, "p90_s": 48 * H}
    assert [p["mttr"]["count"] for p in last["trend"]] == [1]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-13-01", "to": "2026-12-01"}, "from"),
        ({"from": "2026-11-01", "to": "yesterday"}, "to"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "to"),
        ({"from": "1999-12-31", "to": "2026-11-01"}, "from"),
        ({"from": "2026-11-01", "to": "9999-12-31"}, "to"),
        ({"from": "2026-11-01"}, "to"),
        ({"from": "2026-11-01", "to": "2026-12-01", "severity": "P9"}, "severity"),
        ({"from": "2026-11-01", "to": "2026-12-01", "type": "77"}, "type"),
        ({"from": "2026-11-01", "to": "2026-12-01", "product": "nope"}, "product"),
        ({"from": "2026-11-01", "to": "2026-12-01", "channel": "fax"}, "channel"),
        ({"from": "2026-11-01", "to": "2026-12-01", "owner": "nobody"}, "owner"),
        ({"from": "2026-11-01", "to": "2026-12-01", "owner": "x" * 101}, "owner"),
        ({"from": "2020-01-01", "to": "2026-12-01", "bucket": "day"}, "bucket"),
        ({"from": "2026-11-01", "to": "2026-12-01", "bucket": "hour"}, "bucket"),
        ({"period": "decade"}, "period"),
    ],
)
def test_bad_dates_and_filters_are_422_naming_the_field_in_both_languages(wiring, staff, client, params, field):
    zh = client.get("/api/v1/metrics", params=params, headers=staff["pm"])
    assert zh.status_code == 422, zh.text
    fields = zh.json()["error"]["fields"]
    assert field in [f["field"] for f in fields]
    assert any("\u4e00" <= ch <= "\u9fff" for f in fields for ch in f["reason"])
    en = client.get("/api/v1/metrics", params=params, headers={**staff["pm"], "Accept-Language": "en"})
    assert en.status_code == 422
    assert not any("\u4e00" <= ch <= "\u9fff" for f in en.json()["error"]["fields"] for ch in f["reason"])


def test_control_characters_in_a_filter_are_422(wiring, staff, client):
    res = client.get("/api/v1/metrics", params={**NOV, "product": "a\x00b"}, headers=staff["pm"])
    assert res.status_code == 422


def test_metrics_need_a_caller(wiring, client):
    assert client.get("/api/v1/metrics", params=NOV).status_code == 401


def test_the_cli_prints_the_same_figures(seeded, wiring, settings, monkeypatch):
    from faultdesk.entrypoints.cli import app

    client, staff = seeded
    api = _get(client, staff["pm"])
    monkeypatch.setenv("FAULTDESK_HOME", str(settings.home))
    monkeypatch.setenv("FAULTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FAULTDESK_SECRET_KEY", settings.secret_key)
    runner = CliRunner()
    res = runner.invoke(app, ["report", "metrics", "--from", "2026-11-01", "--to", "2026-12-01", "--json"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    for key in (
        "reports_in",
        "faults_in",
        "durations",
        "compliance",
        "top_faults",
        "volume",
    ):  # improvements: the CLI runs on today
        assert cli[key] == api[key], key
    text = runner.invoke(app, ["report", "metrics", "--from", "2026-11-01", "--to", "2026-12-01"])
    assert text.exit_code == 0, text.output
    assert "MTTR" in text.stdout and "13/19" in text.stdout
    bad = runner.invoke(app, ["report", "metrics", "--from", "2026-11-31", "--to", "2026-12-01"])
    assert bad.exit_code == 1 and "from" in bad.output and "Traceback" not in bad.output
    # --back as the API's back: the period before the one holding today
    earlier = runner.invoke(app, ["report", "metrics", "--period", "year", "--back", "1", "--json"])
    assert earlier.exit_code == 0, earlier.output
    period = json.loads(earlier.stdout)["period"]
    api_earlier = client.get("/api/v1/metrics", params={"period": "year", "back": 1}, headers=staff["pm"]).json()
    assert period == api_earlier["period"]

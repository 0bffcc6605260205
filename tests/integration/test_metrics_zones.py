"""The metrics' days start at local midnight in the organisation's zone, across daylight saving."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from faultdesk.adapters.db import tables as t
from tests.integration.metrics_seed import at


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"timezone": "Europe/Berlin"})


def test_a_berlin_day_of_25_hours_counts_its_last_hour(wiring, staff, client):
    # 25 October 2026 lasts 25 hours in Berlin (CEST → CET at 03:00). 22:30Z is 23:30 that evening,
    # so it belongs to the 25th; 24 hours after local midnight (22:00Z) would wrongly end the day at 22:00Z.
    with wiring.engine.begin() as conn:
        for i, registered in enumerate(["2026-10-25T22:30", "2026-10-25T23:30", "2026-10-24T21:59"], start=1):
            conn.execute(
                insert(t.faults).values(
                    id=i,
                    number=f"N{i}",
                    type_code="01",
                    title="t",
                    status="registered",
                    affected_users=0,
                    registered_at=at(registered),
                    registered_by=1,
                    updated_at=at(registered),
                    version=1,
                )
            )
    res = client.get("/api/v1/metrics", params={"from": "2026-10-24", "to": "2026-10-27"}, headers=staff["pm"])
    assert res.status_code == 200, res.text
    trend = res.json()["trend"]
    assert [p["from"] for p in trend] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    assert [p["faults_in"] for p in trend] == [1, 1, 1]  # 21:59Z on the 24th is 23:59 CEST, still the 24th
    assert res.json()["faults_in"] == 3

"""The public endpoints' limits on both stores: a real Retry-After, one bucket for the tracking
pages, staff counted per user rather than per address, and X-Forwarded-For believed only from a
trusted proxy."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from faultdesk.entrypoints.api.app import create_app
from tests.conftest import a_report


def app_with(wiring, **overrides):
    return create_app(wiring.settings.with_overrides(**overrides), wiring=wiring)


def test_retry_after_is_the_real_wait(wiring, clock):
    with TestClient(app_with(wiring, intake_rate_limit="3/minute"), client=("198.51.100.1", 1)) as one:
        assert [one.post("/api/v1/reports", json=a_report()).status_code for _ in range(3)] == [201] * 3
        refused = one.post("/api/v1/reports", json=a_report(), headers={"Accept-Language": "en"})
        assert refused.status_code == 429
        error = refused.json()["error"]
        retry_after = int(refused.headers["Retry-After"])
        assert error["code"] == "rate_limited" and error["retry_after"] == retry_after
        assert f"try again in {retry_after} s" in error["message"]
        assert retry_after == 61  # the minute's 3 weigh in full when it ends, then fade
        clock.advance(timedelta(seconds=retry_after - 1))
        again = one.post("/api/v1/reports", json=a_report())
        assert again.status_code == 429 and again.headers["Retry-After"] == "1"
        assert "秒后再试" in again.json()["error"]["message"]
        clock.advance(timedelta(seconds=1))
        assert one.post("/api/v1/reports", json=a_report()).status_code == 201


def test_the_tracking_pages_share_one_limit_per_address(wiring):
    app = app_with(wiring, track_rate_limit="3/minute")
    with TestClient(app, client=("198.51.100.1", 1)) as one, TestClient(app, client=("198.51.100.2", 1)) as two:
        token = one.post("/api/v1/reports", json=a_report()).json()["tracking_token"]
        assert one.get(f"/api/v1/track/{token}").status_code == 200
        assert one.get(f"/api/v1/track/{token}/messages").status_code == 200
        assert one.get("/api/v1/track/guess-0001").status_code == 404  # a guess counts too
        for path in (f"/api/v1/track/{token}", f"/api/v1/track/{token}/messages", "/api/v1/track/guess-0002"):
            res = one.get(path)
            assert res.status_code == 429 and int(res.headers["Retry-After"]) > 1
        confirm = one.post(f"/api/v1/track/{token}/confirm", json={"outcome": "recovered"})
        assert confirm.status_code == 429
        assert two.get(f"/api/v1/track/{token}").status_code == 200  # another address
        assert one.post("/api/v1/reports", json=a_report()).status_code == 201  # reporting is its own limit


def test_staff_entering_reports_do_not_share_their_addresss_public_limit(wiring, staff):
    with TestClient(app_with(wiring, intake_rate_limit="2/minute"), client=("198.51.100.1", 1)) as office:
        assert [office.post("/api/v1/reports", json=a_report()).status_code for _ in range(3)] == [201, 201, 429]
        agent, pm = staff["agent"], staff["pm"]
        assert [office.post("/api/v1/reports", json=a_report(), headers=agent).status_code for _ in range(3)] == [
            201,
            201,
            429,  # a limit of their own, all the same
        ]
        assert office.post("/api/v1/reports", json=a_report(), headers=pm).status_code == 201
        bad = office.post("/api/v1/reports", json=a_report(), headers={"Authorization": "Bearer fdt_nope"})
        assert bad.status_code == 401  # a bad token is refused, not taken for the public


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(wiring):
    def spoofed(client, i):
        return client.post("/api/v1/reports", json=a_report(), headers={"X-Forwarded-For": f"192.0.2.{i}"})

    with TestClient(app_with(wiring, intake_rate_limit="2/minute"), client=("198.51.100.1", 1)) as direct:
        assert [spoofed(direct, i).status_code for i in range(4)] == [201, 201, 429, 429]  # rotating buys nothing
    behind = app_with(wiring, intake_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    with TestClient(behind, client=("10.0.0.2", 1)) as proxy:
        assert [spoofed(proxy, 9).status_code for _ in range(3)] == [201, 201, 429]  # the client the proxy names
        assert spoofed(proxy, 10).status_code == 201  # and another client behind the same proxy

"""The public endpoints' limits on both stores: a real Retry-After, one bucket for the tracking
pages, staff counted per user rather than per address, and X-Forwarded-For believed only from a
trusted proxy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from faultdesk.bootstrap import bootstrap
from faultdesk.entrypoints.api.app import create_app
from tests.conftest import FAST_PASSWORDS, a_report
from tests.integration.session_helpers import form as with_csrf


@pytest.fixture
def app_with(wiring, clock):
    """An app over the test's store with some settings changed (the login limits are the desk's,
    so it gets a desk of its own)."""
    made = []

    def make(**overrides):
        made.append(bootstrap(wiring.settings.with_overrides(**overrides), clock=clock, passwords=FAST_PASSWORDS))
        return create_app(wiring=made[-1])

    yield make
    for wired in made:
        wired.engine.dispose()


def test_retry_after_is_the_real_wait(app_with, clock):
    with TestClient(app_with(intake_rate_limit="3/minute"), client=("198.51.100.1", 1)) as one:
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


def test_the_tracking_pages_share_one_limit_per_address(app_with):
    app = app_with(track_rate_limit="3/minute")
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


def test_staff_entering_reports_do_not_share_their_addresss_public_limit(app_with, staff):
    with TestClient(app_with(intake_rate_limit="2/minute"), client=("198.51.100.1", 1)) as office:
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


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(app_with):
    def spoofed(client, i):
        return client.post("/api/v1/reports", json=a_report(), headers={"X-Forwarded-For": f"192.0.2.{i}"})

    with TestClient(app_with(intake_rate_limit="2/minute"), client=("198.51.100.1", 1)) as direct:
        assert [spoofed(direct, i).status_code for i in range(4)] == [201, 201, 429, 429]  # rotating buys nothing
    behind = app_with(intake_rate_limit="2/minute", trusted_proxies=["10.0.0.0/8"])
    with TestClient(behind, client=("10.0.0.2", 1)) as proxy:
        assert [spoofed(proxy, 9).status_code for _ in range(3)] == [201, 201, 429]  # the client the proxy names
        assert spoofed(proxy, 10).status_code == 201  # and another client behind the same proxy


def log_in(client, username, password="correct-horse", **headers):
    form = {"username": username, "password": password}
    return client.post("/login", data=with_csrf(client, **form), headers=headers, follow_redirects=False)


def test_forty_wrong_passwords_then_the_right_one_is_refused_until_the_wait_is_over(app_with, staff, clock):
    with TestClient(app_with(), client=("198.51.100.1", 1)) as browser:
        codes = [log_in(browser, "agent1", f"guess-{i:04d}").status_code for i in range(40)]
        assert codes == [401] * 5 + [429] * 35  # five failures per account per 15 minutes by default
        page = log_in(browser, "agent1")
        assert page.status_code == 429 and "登录失败次数过多" in page.text and "分钟后再试" in page.text
        retry_after = int(page.headers["Retry-After"])
        assert 0 < retry_after <= 2 * 15 * 60
        api = log_in(browser, "agent1", Accept="application/json", **{"Accept-Language": "en"})
        assert api.status_code == 429 and api.headers["Retry-After"] == str(retry_after)
        error = api.json()["error"]
        assert error["code"] == "rate_limited" and error["retry_after"] == retry_after
        assert error["message"].startswith("too many failed logins: try again in")
        clock.advance(timedelta(seconds=retry_after - 1))
        assert log_in(browser, "agent1").status_code == 429
        clock.advance(timedelta(seconds=1))
        assert log_in(browser, "agent1").status_code == 303


def test_failures_count_per_account_whatever_the_address(app_with, staff):
    app = app_with(login_account_limit="3/15 minutes")
    for i in range(3):
        with TestClient(app, client=(f"198.51.100.{i}", 1)) as guesser:
            assert log_in(guesser, "agent1", "wrong-pass").status_code == 401
    with TestClient(app, client=("198.51.100.99", 1)) as owner:
        assert log_in(owner, "agent1").status_code == 429  # the account waits, from anywhere
        assert log_in(owner, "pm1").status_code == 303  # other accounts do not
        assert log_in(owner, "ghost", "x").status_code == 401  # unknown names are counted like known ones
        assert [log_in(owner, "ghost", "x").status_code for _ in range(3)] == [401, 401, 429]


def test_failures_count_per_address_and_a_success_does_not_forget_them(app_with, staff):
    app = app_with(login_address_limit="4/15 minutes")
    with TestClient(app, client=("198.51.100.1", 1)) as office, TestClient(app, client=("198.51.100.2", 1)) as home:
        assert [log_in(office, f"user{i}", "wrong-pass").status_code for i in range(3)] == [401] * 3
        assert log_in(office, "agent1").status_code == 303  # someone's right password
        assert log_in(office, "nobody", "wrong-pass").status_code == 401  # the fourth failure still counts
        refused = log_in(office, "pm1", Accept="application/json")
        assert refused.status_code == 429 and "登录失败次数过多" in refused.json()["error"]["message"]
        assert log_in(home, "pm1").status_code == 303  # another address


def test_a_success_forgets_the_accounts_own_failures(app_with, staff):
    with TestClient(app_with(), client=("198.51.100.1", 1)) as browser:
        assert [log_in(browser, "agent1", "typo-typo").status_code for _ in range(4)] == [401] * 4
        assert log_in(browser, "agent1").status_code == 303
        assert [log_in(browser, "agent1", "typo-typo").status_code for _ in range(6)] == [401] * 5 + [429]

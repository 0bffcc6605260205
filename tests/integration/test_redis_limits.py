"""Rate limits in Redis: the counters hold across API processes. Two real `faultdesk serve`
processes share one Redis database (a DB number and key prefix of this run's own, cleaned up);
the request past the limit is refused whichever process it reaches."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
import redis

from faultdesk.adapters.rate_limits import MemoryRateCounters, RedisRateCounters
from faultdesk.entrypoints.common.csrf import CSRF_COOKIE
from faultdesk.services.ports import Rate
from tests.conftest import TEST_SECRET, a_report, create_staff
from tests.integration.receivers import free_port
from tests.integration.session_helpers import TEST_CSRF
from tests.integration.waiting import serving, wait_for

REDIS_URL = os.environ.get("FAULTDESK_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in the test DB; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis does not answer at {REDIS_URL} ({exc}); set FAULTDESK_TEST_REDIS_URL")
    prefix = f"fdtest-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)
        client.close()


def keys_under(prefix: str) -> list[bytes]:
    with redis.Redis.from_url(REDIS_URL) as client:
        return list(client.scan_iter(match=f"{prefix}:*"))


def test_redis_counters_count_refuse_and_answer_the_wait(redis_prefix):
    counters = RedisRateCounters(REDIS_URL, redis_prefix, fallback=MemoryRateCounters())
    rate = Rate(2, 1)
    assert [counters.hit(rate, "k"), counters.hit(rate, "k")] == [0.0, 0.0]
    wait = counters.hit(rate, "k")
    assert 0 < wait <= 2 and counters.wait(rate, "k") > 0
    assert counters.hit(rate, "other") == 0.0
    time.sleep(wait + 0.1)  # a real Redis keeps real time
    assert counters.hit(rate, "k") == 0.0
    counters.clear(rate, "other")
    assert keys_under(redis_prefix) and all(
        k.startswith(redis_prefix.encode() + b":") for k in keys_under(redis_prefix)
    )


def test_when_redis_does_not_answer_the_process_counts_alone(caplog):
    counters = RedisRateCounters("redis://127.0.0.1:1/0", "fdtest", fallback=MemoryRateCounters())
    rate = Rate(2, 60)
    with caplog.at_level(logging.WARNING, logger="faultdesk.rate_limits"):
        results = [counters.hit(rate, "k") for _ in range(3)]
    assert results[:2] == [0.0, 0.0] and results[2] > 0
    assert len([r for r in caplog.records if "Redis does not answer" in r.message]) == 1  # then it waits a while


def test_two_api_processes_share_one_limit_through_redis(store, tmp_path, redis_prefix, wiring):
    staff = create_staff(wiring.desk)
    env = {
        **os.environ,
        "FAULTDESK_HOME": str(tmp_path),
        "FAULTDESK_DATABASE_URL": store.url,
        "FAULTDESK_SECRET_KEY": TEST_SECRET,
        "FAULTDESK_REDIS_URL": REDIS_URL,
        "FAULTDESK_REDIS_PREFIX": redis_prefix,
        "FAULTDESK_INTAKE_RATE_LIMIT": "5/hour",  # Redis windows start at the first hit: no boundary mid-test
        "FAULTDESK_LOGIN_ACCOUNT_LIMIT": "3/hour",
    }
    exe = str(Path(sys.executable).with_name("faultdesk"))
    servers, logs = [], []
    try:
        for i in range(2):
            port = free_port()
            log = tmp_path / f"serve-{i}.log"
            logs.append(log)
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [exe, "serve", "--port", str(port), "--no-worker"], env=env, stdout=out, stderr=out
                )
            servers.append((proc, f"http://127.0.0.1:{port}"))
        for (proc, base), log in zip(servers, logs, strict=True):
            wait_for(lambda base=base: serving(base), proc, log)
        bases = [base for _, base in servers]

        def report(n: int) -> httpx.Response:
            # A fresh X-Forwarded-For each time: no trusted proxy is configured, so it changes nothing.
            headers = {"X-Forwarded-For": f"192.0.2.{n}"}
            return httpx.post(f"{bases[n % 2]}/api/v1/reports", json=a_report(), headers=headers, timeout=10)

        answers = [report(n) for n in range(7)]
        assert [r.status_code for r in answers] == [201] * 5 + [429] * 2  # the 6th, on either process
        assert {r.json()["error"]["code"] for r in answers[5:]} == {"rate_limited"}
        assert all(0 < int(r.headers["Retry-After"]) <= 2 * 3600 for r in answers[5:])
        staffed = httpx.post(f"{bases[0]}/api/v1/reports", json=a_report(), headers=staff["agent"], timeout=10)
        assert staffed.status_code == 201  # staff count per user, not against the address

        def log_in(n: int, password: str) -> int:
            form = {"username": "agent1", "password": password, "csrf_token": TEST_CSRF}
            cookies = {CSRF_COOKIE: TEST_CSRF}
            return httpx.post(f"{bases[n % 2]}/login", data=form, cookies=cookies, timeout=10).status_code

        assert [log_in(n, "wrong-guess") for n in range(4)] == [401, 401, 401, 429]
        assert log_in(1, "correct-horse") == 429 and log_in(0, "correct-horse") == 429
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
    assert keys_under(redis_prefix)  # the counters were Redis's, under this run's prefix

"""Rate counters answer the real wait: a request that many seconds later is let in, one a second
sooner is not; and the client address behind a proxy is believed only from a trusted proxy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from faultdesk.adapters.rate_limits import MemoryRateCounters, rate_of, wait_s
from faultdesk.domain.clock import FixedClock
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.services.ports import Rate

THREE_A_MINUTE = Rate(3, 60)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_rules_read_in_the_limits_notation():
    assert rate_of("120/minute") == Rate(120, 60)
    assert rate_of("5/15 minutes") == Rate(5, 900)
    assert rate_of("20 per hour") == Rate(20, 3600)


def test_a_full_window_waits_until_its_count_fades_below_the_limit():
    clock = FixedClock(NOW + timedelta(seconds=30))  # half way through a minute
    counters = MemoryRateCounters(clock)
    assert [counters.hit(THREE_A_MINUTE, "a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = counters.hit(THREE_A_MINUTE, "a")
    assert int(wait) + 1 == 31  # not the 30 s left of this window: its 3 weigh fully at its end
    clock.advance(timedelta(seconds=30))
    assert counters.wait(THREE_A_MINUTE, "a") > 0
    clock.advance(timedelta(seconds=1))
    assert counters.hit(THREE_A_MINUTE, "a") == 0.0
    assert counters.hit(THREE_A_MINUTE, "b") == 0.0  # another key, another count


def test_refusals_are_not_counted_and_clearing_forgets():
    counters = MemoryRateCounters(FixedClock(NOW))
    for _ in range(3):
        counters.hit(THREE_A_MINUTE, "a")
    assert all(counters.hit(THREE_A_MINUTE, "a") > 0 for _ in range(10))
    counters.clear(THREE_A_MINUTE, "a")
    assert counters.hit(THREE_A_MINUTE, "a") == 0.0


@settings(max_examples=200, deadline=None)
@given(
    rate=st.builds(Rate, st.integers(1, 6), st.sampled_from([1, 10, 60, 900])),
    steps=st.lists(st.tuples(st.integers(0, 1200), st.integers(1, 8)), min_size=1, max_size=12),
)
def test_the_answer_is_the_real_wait(rate, steps):
    """Whatever came before: refused now, refused a second before the answer, let in at it."""
    clock = FixedClock(NOW)
    counters = MemoryRateCounters(clock)
    for pause_s, burst in steps:
        clock.advance(timedelta(seconds=pause_s))
        for _ in range(burst):
            wait = counters.hit(rate, "k")
            if wait == 0.0:
                continue
            retry_after = int(wait) + 1
            start = clock.now()
            clock.set(start + timedelta(seconds=retry_after - 1))
            assert counters.wait(rate, "k") > 0, "let in before the answer"
            clock.set(start + timedelta(seconds=retry_after))
            assert counters.wait(rate, "k") == 0.0, "still refused at the answer"
            clock.set(start)


def test_the_wait_arithmetic_never_says_now_when_it_refuses():
    assert wait_s(Rate(3, 60), previous=3, previous_left_s=40.0, current=1, current_left_s=40.0) > 0
    assert wait_s(Rate(3, 60), previous=0, previous_left_s=0.0, current=2, current_left_s=10.0) == 0.0


def request_from(peer: str, forwarded: str | None = None, proxies: tuple[str, ...] = ()) -> Request:
    app = SimpleNamespace(state=SimpleNamespace(trusted_proxies=tuple(ip_network(p) for p in proxies)))
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "headers": headers, "client": (peer, 1234), "app": app})


@pytest.mark.parametrize(
    ("peer", "forwarded", "proxies", "client"),
    [
        ("198.51.100.7", "203.0.113.1", (), "198.51.100.7"),  # no trusted proxy: the header is ignored
        ("198.51.100.7", "203.0.113.1", ("10.0.0.0/8",), "198.51.100.7"),  # not from a trusted proxy
        ("10.0.0.2", "203.0.113.1", ("10.0.0.0/8",), "203.0.113.1"),
        ("10.0.0.2", "6.6.6.6, 203.0.113.1", ("10.0.0.0/8",), "203.0.113.1"),  # the client's own prefix
        ("10.0.0.2", "203.0.113.1, 10.0.0.9", ("10.0.0.0/8",), "203.0.113.1"),  # two proxies of ours
        ("10.0.0.2", "garbage, 10.0.0.9", ("10.0.0.0/8",), "10.0.0.9"),  # nothing left of junk is believed
        ("10.0.0.2", None, ("10.0.0.0/8",), "10.0.0.2"),
        ("::1", "2001:db8::5", ("::1",), "2001:db8::5"),
    ],
)
def test_x_forwarded_for_is_believed_only_from_a_trusted_proxy(peer, forwarded, proxies, client):
    assert client_of(request_from(peer, forwarded, proxies)) == client

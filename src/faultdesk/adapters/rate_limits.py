"""Rate counters: sliding-window counts per key, in this process or in Redis (shared by processes).

Both keep two fixed windows per key and weigh the previous one by how much of it the sliding
window still covers (the ``limits`` package's sliding-window counter, whose Redis storage and Lua
scripts the shared counters use). Both answer the real time to wait, from the same arithmetic.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from limits import RateLimitItemPerSecond, parse
from limits.storage import RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

from faultdesk.domain.clock import Clock
from faultdesk.services.ports import Rate

log = logging.getLogger("faultdesk.rate_limits")
NOT_NOW = 1e-6  # a refusal never answers "wait 0 s"


def rate_of(rule: str) -> Rate:
    """'120/minute', '5/15 minutes', '20 per hour' (the ``limits`` notation) as a Rate."""
    item = parse(rule)
    return Rate(item.amount, item.get_expiry())


def wait_s(rate: Rate, previous: int, previous_left_s: float, current: int, current_left_s: float) -> float:
    """Seconds until one more hit is taken, when the weighted count is
    ``floor(previous * previous_left_s / window) + current`` and a hit needs it below ``amount``.

    ``previous_left_s``: how long the previous window still weighs; ``current_left_s``: how long
    until the current window becomes the previous one. 0.0 only when a hit is taken now; else a
    hit is taken strictly after the answer.
    """
    window, amount = rate.window_s, rate.amount
    if math.floor(previous * previous_left_s / window) + current < amount:
        return 0.0
    if current < amount:  # the previous window's weight has to fade below what is left
        wait = previous_left_s - window * (amount - current) / previous
    else:  # the current window alone is full: it becomes the previous one, and must fade in turn
        wait = current_left_s + window * (1 - amount / current)
    return max(wait, NOT_NOW)


class MemoryRateCounters:
    """This process's counters: two windows per key behind one lock. (The ``limits`` package's
    MemoryStorage starts a timer thread for expiry about every 10 ms under steady traffic —
    measured: up to 0.3 ms per request — so the counting is done here.) Time comes from the
    desk's clock, so tests move it."""

    MAX_KEYS = 100_000

    def __init__(self, clock: Clock | None = None) -> None:
        self._now: Callable[[], float] = (lambda: clock.now().timestamp()) if clock else time.time
        self._lock = threading.Lock()
        self._counts: dict[tuple[Rate, str], tuple[int, int, int]] = {}  # -> (window index, current, previous)

    def _state(self, rate: Rate, key: str, now: float) -> tuple[int, int, int, float]:
        index = int(now // rate.window_s)
        window, current, previous = self._counts.get((rate, key), (index, 0, 0))
        if window != index:
            previous = current if window == index - 1 else 0
            current = 0
        return index, current, previous, (index + 1) * rate.window_s - now

    def hit(self, rate: Rate, key: str) -> float:
        now = self._now()
        with self._lock:
            index, current, previous, left = self._state(rate, key, now)
            wait = wait_s(rate, previous, left, current, left)
            if wait == 0.0:
                current += 1
            self._counts[(rate, key)] = (index, current, previous)
            if len(self._counts) > self.MAX_KEYS:  # forget idle keys rather than grow without bound
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= int(now // k[0].window_s) - 1}
        return wait

    def wait(self, rate: Rate, key: str) -> float:
        now = self._now()
        with self._lock:
            _, current, previous, left = self._state(rate, key, now)
        return wait_s(rate, previous, left, current, left)

    def clear(self, rate: Rate, key: str) -> None:
        with self._lock:
            self._counts.pop((rate, key), None)


class RedisRateCounters:
    """Counters in Redis, so the limits hold across every API process that shares it. Keys start
    with ``prefix``. When Redis does not answer, this process's own counters stand in (and it is
    logged) for ``retry_after_s`` before Redis is tried again: a limit per process rather than
    none, and no request waits on a dead server."""

    def __init__(self, url: str, prefix: str, *, fallback: MemoryRateCounters, retry_after_s: float = 5.0) -> None:
        self._storage = RedisStorage(url, key_prefix=prefix, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._fallback = fallback
        self._retry_after_s = retry_after_s
        self._down_until = 0.0

    @staticmethod
    def _item(rate: Rate) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(rate.amount, rate.window_s, namespace="rate")

    def _up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _down(self, exc: RedisError) -> None:
        log.warning("Redis does not answer (%s): this process counts alone for %.0f s", exc, self._retry_after_s)
        self._down_until = time.monotonic() + self._retry_after_s

    def _wait(self, rate: Rate, key: str) -> float:
        item = self._item(rate)
        window = item.get_expiry()
        previous, previous_left, current, current_ttl = self._storage.get_sliding_window(item.key_for(key), window)
        # The current window's key lives two windows from its first hit and becomes the previous
        # one when less than a window is left of it.
        return wait_s(rate, previous, previous_left, current, max(0.0, current_ttl - window))

    def hit(self, rate: Rate, key: str) -> float:
        if self._up():
            try:
                if self._limiter.hit(self._item(rate), key):
                    return 0.0
                return max(self._wait(rate, key), NOT_NOW)  # refused, even if the window turned meanwhile
            except RedisError as exc:
                self._down(exc)
        return self._fallback.hit(rate, key)

    def wait(self, rate: Rate, key: str) -> float:
        if self._up():
            try:
                return self._wait(rate, key)
            except RedisError as exc:
                self._down(exc)
        return self._fallback.wait(rate, key)

    def clear(self, rate: Rate, key: str) -> None:
        self._fallback.clear(rate, key)
        if self._up():
            try:
                self._limiter.clear(self._item(rate), key)
            except RedisError as exc:
                self._down(exc)

"""ShortCache: values kept ``ttl_s`` by the time it is given, cleared at once by a change."""

from __future__ import annotations

import threading

from faultdesk.services.desk import ShortCache


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_kept_for_its_ttl_by_the_time_given():
    t = Seconds()
    cache = ShortCache(10, now=t)
    loads: list[int] = []
    assert cache.get("k", lambda: loads.append(1) or 1) == 1
    t.now += 9.9
    assert cache.get("k", lambda: loads.append(2) or 2) == 1
    t.now += 0.1  # ttl over
    assert cache.get("k", lambda: loads.append(3) or 3) == 3
    t.now -= 5  # a clock moved back: not trusted
    assert cache.get("k", lambda: loads.append(4) or 4) == 4
    assert loads == [1, 3, 4]


def test_clear_forgets_every_key_and_a_zero_ttl_keeps_nothing():
    cache = ShortCache(10, now=Seconds())
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    cache.clear()
    assert cache.get("a", lambda: 10) == 10 and cache.get("b", lambda: 20) == 20
    never = ShortCache(0, now=Seconds())
    assert not never.keeps
    assert never.get("a", lambda: 1) == 1 and never.get("a", lambda: 2) == 2


def test_a_value_read_before_a_clear_is_not_kept_after_it():
    """A count read while another request commits a change would otherwise outlive the change."""
    cache = ShortCache(10, now=Seconds())
    reading, cleared = threading.Event(), threading.Event()

    def slow_load() -> str:
        reading.set()
        assert cleared.wait(5)
        return "before the change"

    reader = threading.Thread(target=lambda: cache.get("k", slow_load))
    reader.start()
    assert reading.wait(5)
    cache.clear()  # the change commits while the old value is being read
    cleared.set()
    reader.join(5)
    assert cache.get("k", lambda: "after the change") == "after the change"

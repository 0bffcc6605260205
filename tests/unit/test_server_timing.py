"""Server-Timing covers the app's time up to the complete body, and is added exactly once."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from faultdesk.entrypoints.common import timing


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(app: Any, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    monkeypatch.setattr(timing.time, "perf_counter", clock)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # In a thread of its own: a browser test on the same worker may hold this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(
            asyncio.run, timing.ServerTiming(app)({"type": "http", "method": "GET", "path": "/"}, receive, send)
        ).result()
    return sent


def duration(message: dict[str, Any]) -> float:
    values = [v.decode() for k, v in message["headers"] if k == b"server-timing"]
    assert len(values) == 1, values
    match = re.fullmatch(r"app;dur=([0-9.]+)", values[0])
    assert match, values[0]
    return float(match.group(1))


def test_the_time_runs_to_the_end_of_the_body_not_the_start_of_the_answer(monkeypatch):
    clock = FakeClock()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        clock.now += 0.010  # routing and the handler
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        clock.now += 0.030  # the body is rendered after the start is sent
        await send({"type": "http.response.body", "body": b"<p>hi</p>"})

    start, body = run(app, clock, monkeypatch)
    assert start["type"] == "http.response.start" and start["status"] == 200
    assert duration(start) == pytest.approx(40.0)
    assert (b"content-type", b"text/html") in start["headers"]
    assert body == {"type": "http.response.body", "body": b"<p>hi</p>"}


def test_a_streamed_answer_carries_the_time_to_its_first_part_and_streams_on(monkeypatch):
    clock = FakeClock()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        clock.now += 0.005
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        clock.now += 1.0
        await send({"type": "http.response.body", "body": b"b"})

    start, first, second = run(app, clock, monkeypatch)
    assert duration(start) == pytest.approx(5.0)
    assert first["body"] == b"a" and second["body"] == b"b"

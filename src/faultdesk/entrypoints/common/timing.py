"""``Server-Timing: app;dur=<ms>`` on every answer: the time the app spent on the request.

Measured from the moment the request enters the app to the moment its body is complete, so a
benchmark (bench/pages.py) or a browser's network panel reads the server's own time, not the
client's or the network's. The answer's start is held back until its body is complete (pages, API
answers and errors arrive in one piece, so nothing waits that would not have waited anyway); a
streamed answer (a file, more than one body message) carries the time up to its first part.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"server-timing"


def server_timing(started: float) -> tuple[bytes, bytes]:
    return HEADER, f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()


class ServerTiming:
    """Adds ``Server-Timing: app;dur=<ms>`` to every HTTP answer (pages, API, static files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        start: Message | None = None

        async def timed_send(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message  # sent with the first part of the body, once its time is known
                return
            if message["type"] == "http.response.body" and start is not None:
                held, start = start, None
                await send({**held, "headers": [*held.get("headers", []), server_timing(started)]})
            await send(message)

        await self.app(scope, receive, timed_send)
        if start is not None:  # an answer that never sent a body message
            await send({**start, "headers": [*start.get("headers", []), server_timing(started)]})

"""Request guards in front of the routes: body size and the public intake rate limit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from limits import parse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faultdesk.entrypoints.api.i18n import reason_zh, wants_english


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with a 422 before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > self.limit:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read up to the limit, then replay what was read.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(scope, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        headers = dict(scope["headers"])
        lang = headers.get(b"accept-language", b"").decode("latin-1")
        english = f"request body too large (limit {self.limit} bytes)"
        reason = english if wants_english(lang) else reason_zh("body_too_large", {"limit": self.limit}, english)
        payload = json.dumps(
            {
                "error": {
                    "code": "validation_error",
                    "message": f"body: {reason}",
                    "fields": [{"field": "body", "reason": reason}],
                }
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class RateLimiter:
    """Per-client limit for the public endpoints, a sliding-window counter in process memory.

    The rule uses the ``limits`` notation ("120/minute"). Its MemoryStorage starts a timer
    thread for expiry about every 10 ms under steady traffic (measured: up to 0.3 ms per
    request), so the counting is done here: two windows per client behind one lock.
    """

    def __init__(self, rule: str, *, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now  # seconds on a monotonic scale; a test can hold it still
        item = parse(rule)
        self.amount = item.amount
        self.window = float(item.get_expiry())
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int, int]] = {}  # client -> (window index, current, previous)

    def _estimate(self, client: str, now: float) -> tuple[int, float, int, int]:
        index = int(now // self.window)
        window, current, previous = self._counts.get(client, (index, 0, 0))
        if window != index:
            previous = current if window == index - 1 else 0
            current = 0
        elapsed = (now % self.window) / self.window
        return index, previous * (1 - elapsed) + current, current, previous

    def allow(self, client: str) -> bool:
        now = self.now()
        with self._lock:
            index, used, current, previous = self._estimate(client, now)
            if used + 1 > self.amount:
                self._counts[client] = (index, current, previous)
                return False
            self._counts[client] = (index, current + 1, previous)
            if len(self._counts) > 100_000:  # forget idle clients rather than grow without bound
                self._counts = {k: v for k, v in self._counts.items() if v[0] >= index - 1}
            return True

    def retry_after(self, client: str) -> int:
        now = self.now()
        return max(1, int(self.window - (now % self.window)))

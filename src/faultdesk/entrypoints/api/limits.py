"""Request guards in front of the routes: body size and the public endpoints' rate limits."""

from __future__ import annotations

import json
from typing import Literal

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faultdesk.domain.errors import Throttled
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.entrypoints.common.i18n import reason_zh, wants_english
from faultdesk.services.ports import Rate, RateCounters


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


class PublicLimits:
    """Per-client limits of the public endpoints, counted by the desk's rate counters (this
    process's, or Redis shared by every process). One bucket per kind of endpoint: reporting a
    fault, and following one with its tracking token."""

    def __init__(self, counters: RateCounters, *, intake: Rate, track: Rate) -> None:
        self.counters = counters
        self.rates = {"intake": intake, "track": track}

    def check(self, bucket: Literal["intake", "track"], client: str) -> None:
        """Count this request against ``client``, or refuse it with the real time to wait."""
        wait = self.counters.hit(self.rates[bucket], f"{bucket}/{client}")
        if wait:
            raise Throttled(
                f"too many requests: try again in {int(wait) + 1} s",
                f"请求过于频繁，请 {int(wait) + 1} 秒后再试",
                wait_s=wait,
            )


def limit_public(request: Request, bucket: Literal["intake", "track"], client: str | None = None) -> None:
    """The route's own call (routes run in the threadpool, where a Redis round trip may block)."""
    limits: PublicLimits = request.app.state.public_limits
    limits.check(bucket, client or client_of(request))

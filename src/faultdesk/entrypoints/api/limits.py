"""Request guards in front of the routes: body size and the public endpoints' rate limits (the
limits themselves live in ``entrypoints.common.limits``: the reporter's pages count the same)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faultdesk.entrypoints.common.i18n import reason_zh, wants_english
from faultdesk.entrypoints.common.limits import PublicLimits as PublicLimits
from faultdesk.entrypoints.common.limits import limit_public as limit_public

# The reporter's forms that carry attachments: the report form and the tracking page's addition.
UPLOAD_PATHS = re.compile(r"/(report|t/[^/]+/more)")
# The console's import page: one record table (FAULTDESK_IMPORT_MAX_BYTES), checked there beside its field.
IMPORT_PATH = re.compile(r"/admin/import")


class BodyLimit:
    """Refuses bodies over ``limit`` bytes with a 422 before anything parses them. ``larger``
    gives the paths that may send more their own limit (a path pattern, matched whole): the forms
    that carry attachments, their files then checked one by one beside the field; the import page."""

    def __init__(self, app: ASGIApp, limit: int, larger: Mapping[re.Pattern[str], int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = [(pattern, max(limit, n)) for pattern, n in (larger or {}).items()]

    def limit_of(self, path: str) -> int:
        return next((n for pattern, n in self.larger if pattern.fullmatch(path)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope.get("path", ""))
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await self._refuse(scope, send, limit)
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
            if size > limit:
                await self._refuse(scope, send, limit)
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

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        headers = dict(scope["headers"])
        lang = headers.get(b"accept-language", b"").decode("latin-1")
        english = f"request body too large (limit {limit} bytes)"
        reason = english if wants_english(lang) else reason_zh("body_too_large", {"limit": limit}, english)
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

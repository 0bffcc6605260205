"""Real peers on loopback: an SMTP server (aiosmtpd) and an HTTP server standing in for the
webhook and the DingTalk / Feishu / WeCom robots, checking their signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiosmtpd.controller import Controller

from tests.conftest import WAIT_S

SECRET = "robot-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Collect:
    def __init__(self, refuse: str | None = None) -> None:
        self.messages: list[Message] = []
        self.refuse = refuse

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content, policy=default)
        msg["X-Rcpt-To"] = ",".join(envelope.rcpt_tos)
        msg["X-Peer"] = f"{session.peer[0]}:{session.peer[1]}"  # which connection brought it
        self.messages.append(msg)
        return "250 OK"


class SmtpServer:
    def __init__(self, refuse: str | None = None) -> None:
        self.handler = _Collect(refuse)
        self.controller = self._controller(free_port())

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    def restart(self) -> None:
        """Down and up again on the same port: every open connection is dropped."""
        self.controller.stop()
        self.controller = self._controller(self.port)
        self.controller.start()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def _controller(self, port: int) -> Controller:
        # ready_timeout: start() waits for the server's thread to answer (5 s by default).
        return Controller(self.handler, hostname="127.0.0.1", port=port, ready_timeout=WAIT_S)

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: dict[str, Any]
    raw: bytes
    signature_ok: bool
    ok: bool = True  # answered 200 (False while the receiver is down)


@dataclass
class HttpReceiver:
    """Records every request; ``failing`` makes it answer 503 (an outage)."""

    hits: list[Hit] = field(default_factory=list)
    failing: bool = False
    status: int | None = None  # answer with this status instead (e.g. 404, 429)
    answer: bytes | None = None  # answer 200 with this body instead (e.g. a robot's error code)
    # Called before the answer: e.g. move the test's clock (a slow far end), or kill the sender
    # while the request is in its hands.
    on_request: Callable[[Hit], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def __enter__(self) -> HttpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                url = urlparse(self.path)
                hit = Hit(url.path, parse_qs(url.query), dict(self.headers), json.loads(raw or b"{}"), raw, False)
                hit.signature_ok = _verify(hit)
                with receiver.lock:
                    failing = receiver.failing
                    forced = receiver.status
                    hit.ok = not failing and forced is None
                    receiver.hits.append(hit)
                if receiver.on_request is not None:
                    receiver.on_request(hit)
                status, payload = (503, b"down") if failing else (200, _answer(url.path))
                if forced is not None:
                    status, payload = forced, b"{}"
                if receiver.answer is not None and not failing:
                    payload = receiver.answer
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died before its answer (a killed worker)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.path == path]


def _answer(path: str) -> bytes:
    if path.startswith("/feishu"):
        return b'{"code": 0, "msg": "success"}'
    if path.startswith(("/dingtalk", "/wecom")):
        return b'{"errcode": 0, "errmsg": "ok"}'
    return b"{}"


def _verify(hit: Hit) -> bool:
    """The receivers' side of each scheme, written from the vendors' documentation."""
    if hit.path.startswith("/webhook"):
        ts, sig = hit.headers.get("X-FaultDesk-Timestamp", ""), hit.headers.get("X-FaultDesk-Signature", "")
        expected = hmac.new(SECRET.encode(), ts.encode() + b"." + hit.raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(sig, f"sha256={expected}")
    if hit.path.startswith("/dingtalk"):
        ts, sign = hit.query.get("timestamp", [""])[0], hit.query.get("sign", [""])[0]
        digest = hmac.new(SECRET.encode(), f"{ts}\n{SECRET}".encode(), hashlib.sha256).digest()
        # parse_qs has already undone the URL encoding of the signature.
        return sign == base64.b64encode(digest).decode() and hit.body.get("msgtype") == "text"
    if hit.path.startswith("/feishu"):
        ts = str(hit.body.get("timestamp", ""))
        digest = hmac.new(f"{ts}\n{SECRET}".encode(), b"", hashlib.sha256).digest()
        return hit.body.get("sign") == base64.b64encode(digest).decode() and hit.body.get("msg_type") == "text"
    if hit.path.startswith("/wecom"):
        return hit.query.get("key") == ["wecom-key"] and hit.body.get("msgtype") == "text"
    return False

"""Notifiers: SMTP e-mail, a signed generic webhook, and the DingTalk, Feishu and WeCom group robots.

Each sends one message and raises DeliveryFailed when the far end did not take it. Every attempt
carries the message's stable id (``Message-ID`` / ``X-FaultDesk-Delivery``) so a receiver that
de-duplicates by it sees each message once, although delivery is at least once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import smtplib
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any
from urllib.parse import quote_plus

import httpx2 as httpx

from faultdesk.domain.delivery import single_line
from faultdesk.services.ports import ChannelDown, DeliveryFailed, Envelope

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class SmtpNotifier:
    """E-mail over one SMTP connection per batch: a batch of notices pays for one connect, STARTTLS
    and login, not one each. A connection the server has dropped is opened again once."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password = starttls, username, password
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()  # one conversation at a time on the kept connection

    def send(self, envelope: Envelope) -> None:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = single_line(envelope.address, 254)
        msg["Subject"] = single_line(envelope.subject)  # folded again: a header never carries a line break
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = f"<{envelope.message_id}@faultdesk>"
        msg["X-FaultDesk-Delivery"] = envelope.message_id
        msg.set_content(envelope.body)
        with self._lock:
            kept = self._smtp is not None
            try:
                try:
                    self._connection().send_message(msg)
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    if not kept:
                        raise
                    self._drop()  # the kept connection had gone stale: once more on a new one
                    self._connection().send_message(msg)
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                raise DeliveryFailed(f"smtp {self.host}:{self.port} refused this message: {exc}") from exc
            except OSError as exc:  # unreachable, timed out, disconnected, login refused: every message would fail
                self._drop()
                raise ChannelDown(f"smtp {self.host}:{self.port}: {exc}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.host, self.port, timeout=10)
            try:
                if self.starttls:
                    smtp.starttls()
                if self.username and self.password:
                    smtp.login(self.username, self.password)
            except BaseException:
                smtp.close()
                raise
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        with self._lock:
            if self._smtp is not None:
                with contextlib.suppress(OSError):
                    self._smtp.quit()
            self._drop()


class _HttpNotifier:
    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.Client(timeout=TIMEOUT)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST JSON bytes. Unreachable, timed out, 5xx or 429: the endpoint is down for every
        message (ChannelDown); any other refusal concerns this message (DeliveryFailed)."""
        try:
            res = self._client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
        except httpx.HTTPError as exc:
            raise ChannelDown(f"{type(exc).__name__}: {exc}") from exc
        if res.status_code >= 500 or res.status_code == 429:
            raise ChannelDown(f"HTTP {res.status_code}: {res.text[:200]}")
        if res.status_code >= 300:
            raise DeliveryFailed(f"HTTP {res.status_code}: {res.text[:200]}")
        return res

    def close(self) -> None:
        """Nothing held per batch: httpx keeps its own pool of keep-alive connections."""

    @staticmethod
    def _robot_ok(res: httpx.Response, *codes: str) -> None:
        try:
            data = res.json()
        except ValueError as exc:
            raise DeliveryFailed(f"robot answered no JSON: {res.text[:200]}") from exc
        for key in codes:
            if key in data and data[key] not in (0, "0"):
                raise DeliveryFailed(f"robot refused: {data}")


class WebhookNotifier(_HttpNotifier):
    """JSON with an HMAC-SHA256 signature over ``"{timestamp}.{body}"`` (replay window on the receiver)."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(url)
        self.secret = secret.encode()

    def send(self, envelope: Envelope) -> None:
        payload = {
            "id": envelope.message_id,
            "kind": envelope.kind,
            "to": envelope.address,
            "subject": envelope.subject,
            "body": envelope.body,
        }
        raw = _json(payload)
        ts = str(int(time.time()))
        sig = hmac.new(self.secret, ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
        headers = {
            "X-FaultDesk-Delivery": envelope.message_id,
            "X-FaultDesk-Timestamp": ts,
            "X-FaultDesk-Signature": f"sha256={sig}",
        }
        self._post(self.url, raw, headers)


def _json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _text(envelope: Envelope) -> str:
    return f"{envelope.subject}\n{envelope.body}"


class DingTalkNotifier(_HttpNotifier):
    """DingTalk custom robot, "加签" mode: sign = base64(HMAC-SHA256(secret, "{ms}\\n{secret}"))."""

    def __init__(self, url: str, secret: str | None) -> None:
        super().__init__(url)
        self.secret = secret

    def send(self, envelope: Envelope) -> None:
        url = self.url
        if self.secret:
            ms = str(int(time.time() * 1000))
            digest = hmac.new(self.secret.encode(), f"{ms}\n{self.secret}".encode(), hashlib.sha256).digest()
            url += ("&" if "?" in url else "?") + f"timestamp={ms}&sign={quote_plus(base64.b64encode(digest))}"
        res = self._post(
            url,
            _json({"msgtype": "text", "text": {"content": _text(envelope)}}),
            {"X-FaultDesk-Delivery": envelope.message_id},
        )
        self._robot_ok(res, "errcode")


class FeishuNotifier(_HttpNotifier):
    """Feishu/Lark custom bot: sign = base64(HMAC-SHA256(key="{s}\\n{secret}", msg="")) in the body."""

    def __init__(self, url: str, secret: str | None) -> None:
        super().__init__(url)
        self.secret = secret

    def send(self, envelope: Envelope) -> None:
        payload: dict[str, Any] = {"msg_type": "text", "content": {"text": _text(envelope)}}
        if self.secret:
            ts = str(int(time.time()))
            digest = hmac.new(f"{ts}\n{self.secret}".encode(), b"", hashlib.sha256).digest()
            payload |= {"timestamp": ts, "sign": base64.b64encode(digest).decode()}
        res = self._post(self.url, _json(payload), {"X-FaultDesk-Delivery": envelope.message_id})
        self._robot_ok(res, "code", "StatusCode")


class WeComNotifier(_HttpNotifier):
    """WeCom (企业微信) group robot: the key in the URL is the credential; no signature."""

    def send(self, envelope: Envelope) -> None:
        res = self._post(
            self.url,
            _json({"msgtype": "text", "text": {"content": _text(envelope)}}),
            {"X-FaultDesk-Delivery": envelope.message_id},
        )
        self._robot_ok(res, "errcode")

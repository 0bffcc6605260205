"""The public endpoints' rate limits, shared by the API and the reporter's pages: one bucket for
reporting a fault, one for following it with its tracking token, counted by the desk's counters."""

from __future__ import annotations

from typing import Literal

from fastapi import Request

from faultdesk.domain.errors import Throttled
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.services.ports import Rate, RateCounters

Bucket = Literal["intake", "track", "suggest"]


class PublicLimits:
    """Per-client limits of the public endpoints, counted by the desk's rate counters (this
    process's, or Redis shared by every process). One bucket per kind of endpoint: reporting a
    fault, and following one with its tracking token."""

    def __init__(self, counters: RateCounters, *, intake: Rate, track: Rate) -> None:
        self.counters = counters
        # The report form's suggestions (typed, debounced) count in a bucket of their own at the
        # tracking rate: asking them never eats into a client's budget for reports.
        self.rates = {"intake": intake, "track": track, "suggest": track}

    def check(self, bucket: Bucket, client: str) -> None:
        """Count this request against ``client``, or refuse it with the real time to wait."""
        wait = self.counters.hit(self.rates[bucket], f"{bucket}/{client}")
        if wait:
            raise Throttled(
                f"too many requests: try again in {int(wait) + 1} s",
                f"请求过于频繁，请 {int(wait) + 1} 秒后再试",
                wait_s=wait,
            )


def limit_public(request: Request, bucket: Bucket, client: str | None = None) -> None:
    """The route's own call (routes run in the threadpool, where a Redis round trip may block)."""
    limits: PublicLimits = request.app.state.public_limits
    limits.check(bucket, client or client_of(request))

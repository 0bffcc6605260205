"""Who is on the other end: the client address every per-client limit and idempotency key uses.

``X-Forwarded-For`` is believed only from the configured reverse proxies
(``FAULTDESK_TRUSTED_PROXIES``); from anyone else it is the client's own say-so, and believing it
would let a client pick a fresh address per request and never be limited.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import FastAPI, Request

Networks = tuple[IPv4Network | IPv6Network, ...]


def trust_proxies(app: FastAPI, entries: Iterable[str]) -> None:
    app.state.trusted_proxies = tuple(ip_network(entry, strict=False) for entry in entries)


def _trusted(address: str, proxies: Networks) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_of(request: Request) -> str:
    """The peer's address; behind a trusted proxy, the nearest address in ``X-Forwarded-For``
    that is not one of ours (each proxy appends whom it heard from, so the right end is ours to
    read and the left end is whatever the client sent)."""
    peer = request.client.host if request.client else "unknown"
    proxies: Networks = getattr(request.app.state, "trusted_proxies", ())
    if not proxies or not _trusted(peer, proxies):
        return peer
    client = peer
    for hop in reversed(request.headers.get("x-forwarded-for", "").split(",")):
        hop = hop.strip()
        try:
            ip_address(hop)
        except ValueError:  # not an address: nothing left of it can be believed
            return client
        client = hop
        if not _trusted(hop, proxies):
            return client
    return client

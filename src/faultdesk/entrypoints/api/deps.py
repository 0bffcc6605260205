"""The API's own request helpers; the desk and the caller come from ``entrypoints.common.context``."""

from __future__ import annotations

from fastapi import Request


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"

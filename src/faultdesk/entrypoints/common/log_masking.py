"""Tracking tokens never reach the access log in clear: a tracking link is the reporter's only
key to their report, so a log line that holds one would let whoever reads the logs follow (and
answer for) that reporter. ``/t/<token>`` and ``/api/v1/track/<token>…`` are written masked."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"(/t/|/api/v1/track/)[^/?#\s\"]+")
MASK = "***"


def mask_tokens(text: str) -> str:
    """``/t/AbC…`` → ``/t/***``; ``/api/v1/track/AbC…/confirm`` → ``/api/v1/track/***/confirm``."""
    return _TOKEN_PATH.sub(lambda m: m.group(1) + MASK, text)


class TokenMask(logging.Filter):
    """Rewrites the request line of uvicorn's access records (and any other record's text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(mask_tokens(a) if isinstance(a, str) else a for a in record.args)
        return True


def mask_access_log(name: str = "uvicorn.access") -> None:
    """Put the mask on the access logger (once, however often the app is built)."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, TokenMask) for f in logger.filters):
        logger.addFilter(TokenMask())

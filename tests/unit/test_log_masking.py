"""Tracking tokens never reach the access log in clear."""

from __future__ import annotations

import logging

from faultdesk.entrypoints.common.log_masking import TokenMask, mask_access_log, mask_tokens

TOKEN = "Zb3kQ9x2LmN4pR7sT1vW8yA5cE6gH0jK"


def test_tracking_paths_are_masked_and_nothing_else_is():
    assert mask_tokens(f"/t/{TOKEN}") == "/t/***"
    assert mask_tokens(f"/t/{TOKEN}?embed=1") == "/t/***?embed=1"
    assert mask_tokens(f"/t/{TOKEN}/confirm") == "/t/***/confirm"
    assert mask_tokens(f"/api/v1/track/{TOKEN}/messages") == "/api/v1/track/***/messages"
    assert mask_tokens("/api/v1/faults/261125-01-001") == "/api/v1/faults/261125-01-001"
    assert mask_tokens("/report?channel=app") == "/report?channel=app"
    assert mask_tokens("/static/js/reporter.js") == "/static/js/reporter.js"


def test_uvicorns_access_record_is_rewritten(caplog):
    logger = logging.getLogger("test.access")
    logger.addFilter(TokenMask())
    with caplog.at_level(logging.INFO, logger="test.access"):
        # uvicorn's access format and arguments: client, method, path, HTTP version, status
        logger.info('%s - "%s %s HTTP/%s" %d', "203.0.113.7:50000", "GET", f"/t/{TOKEN}", "1.1", 200)
        logger.info(f"GET /api/v1/track/{TOKEN}")
    assert TOKEN not in caplog.text
    assert '"GET /t/*** HTTP/1.1" 200' in caplog.text and "/api/v1/track/***" in caplog.text


def test_the_app_puts_the_mask_on_uvicorns_access_logger_once():
    mask_access_log()
    mask_access_log()
    masks = [f for f in logging.getLogger("uvicorn.access").filters if isinstance(f, TokenMask)]
    assert len(masks) == 1

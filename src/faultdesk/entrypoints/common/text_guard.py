"""Text the stores cannot hold, refused at the edge in one place.

PostgreSQL text holds no NUL, and control characters have no business in a fault report: every
request's path and query parameters and its JSON or form body pass through
``refuse_control_characters`` (an app-wide dependency) before any route or model sees them, so a
NUL answers 422 naming the field on both stores instead of a 500 on one and a stored NUL on the
other. Bodies may keep tab and line breaks (descriptions have paragraphs); paths and queries may not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

from faultdesk.domain.errors import FieldProblem, RuleViolation
from faultdesk.entrypoints.common.forms import request_form

IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR are text
IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
# A JSON body carries a C0 control character only as a \u00XX escape (raw ones are invalid JSON),
# DEL either way: bodies with neither are not parsed twice.
_ESCAPED_CONTROL = re.compile(rb"\\u00(?:[01][0-9a-fA-F]|7[fF])|\x7f")


def _reason(field: str) -> FieldProblem:
    return FieldProblem(
        IN_LINE.sub("?", field),  # a field name is echoed back: never with the character itself
        "must not contain NUL or other control characters",
        "不能包含 NUL 等控制字符",
    )


def bad_fields(value: Any, path: str = "") -> Iterator[str]:
    """Paths (``new_reports.0.symptom``) of the strings in a parsed body that hold a control character."""
    if isinstance(value, str):
        if IN_TEXT.search(value):
            yield path or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if IN_TEXT.search(str(key)):
                yield name
            yield from bad_fields(item, name)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from bad_fields(item, f"{path}.{i}" if path else str(i))


async def refuse_control_characters(request: Request) -> None:
    problems = [_reason(name) for name, value in request.path_params.items() if IN_LINE.search(str(value))]
    problems += [_reason(name) for name, value in request.query_params.multi_items() if IN_LINE.search(name + value)]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        body = await request.body()  # FastAPI has read it already: this is the cached copy
        if _ESCAPED_CONTROL.search(body):
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None  # invalid JSON: the body's own validation says so
            problems += [_reason(name) for name in bad_fields(parsed)]
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request_form(request)  # parsed once and kept by the request
        problems += [
            _reason(name) for name, value in form.multi_items() if isinstance(value, str) and IN_TEXT.search(value)
        ]
    if problems:
        raise RuleViolation(problems)

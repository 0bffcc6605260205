"""An action's form drawn from its body's JSON Schema (``commands.fields_of``), and a posted form
read back into the body the API takes — so a page and the API validate with one model.

Pure: no I/O, no framework. Form names follow the schema's paths: ``severity``; an object's
fields ``article.title``; a map's entries ``owners.handling``; a list of objects as numbered rows
``cases.0.key``; a list of users as repeated ``team_members``; a list of words as one text box
(``reviewers``: comma-separated)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LONG_TEXT = 200  # a text allowed more than this is a textarea
EMPTY_ROWS = 2  # a list of objects offers this many empty rows to a plain form (no script)
MAX_ROWS = 200
_SPLIT = re.compile(r"[,，、;；\n]+")
_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no"})

FormData = Mapping[str, Sequence[str]]  # a posted form: every name's values, in order


@dataclass(frozen=True)
class Widget:
    """One field of a form. ``kind``: select, text, textarea, number, datetime, date, checkbox,
    yesno, user, users, owners (one user picker per stage), words, rows, object."""

    name: str
    kind: str
    required: bool = False
    options: tuple[str, ...] = ()  # select / owners: the enum's values (the page labels them)
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    max_items: int | None = None
    children: tuple[Widget, ...] = field(default_factory=tuple)  # rows / object


def _plain(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its ``anyOf [X, null]`` wrapper, and whether null was allowed."""
    options = schema.get("anyOf")
    if options:
        real = [o for o in options if o.get("type") != "null"]
        merged = {**{k: v for k, v in schema.items() if k != "anyOf"}, **real[0]}
        return merged, len(real) < len(options)
    return schema, False


def _is_user(schema: dict[str, Any]) -> bool:
    return schema.get("format") == "user-id"


def widget_of(name: str, schema: dict[str, Any], required: bool) -> Widget:
    s, _nullable = _plain(schema)
    kind = s.get("type")
    if "enum" in s:
        return Widget(name, "select", required, options=tuple(s["enum"]))
    if kind == "boolean":
        # A required yes/no is asked (no silent "no"); an optional one is a checkbox.
        return Widget(name, "yesno" if required else "checkbox", required)
    if kind == "integer":
        if _is_user(s):
            return Widget(name, "user", required)
        return Widget(name, "number", required, minimum=s.get("minimum"), maximum=s.get("maximum"))
    if kind == "string":
        fmt = s.get("format")
        if fmt == "date-time":
            return Widget(name, "datetime", required)
        if fmt == "date":
            return Widget(name, "date", required)
        longest = s.get("maxLength")
        return Widget(name, "textarea" if (longest or 0) > LONG_TEXT else "text", required, max_length=longest)
    if kind == "object" and "additionalProperties" in s and isinstance(s["additionalProperties"], dict):
        stages = tuple(s.get("propertyNames", {}).get("enum", ()))
        return Widget(name, "owners", required, options=stages)
    if kind == "object":
        return Widget(name, "object", required, children=_children(s))
    if kind == "array":
        items, _ = _plain(s.get("items", {}))
        if items.get("type") == "object":
            return Widget(name, "rows", required, max_items=s.get("maxItems"), children=_children(items))
        if _is_user(items):
            return Widget(name, "users", required, max_items=s.get("maxItems"))
        return Widget(name, "words", required, max_items=s.get("maxItems"), max_length=items.get("maxLength"))
    return Widget(name, "text", required)


def _children(schema: dict[str, Any]) -> tuple[Widget, ...]:
    needed = set(schema.get("required", []))
    return tuple(widget_of(k, v, k in needed) for k, v in schema.get("properties", {}).items())


def widgets(properties: dict[str, Any], required: Sequence[str]) -> list[Widget]:
    """The form of an action: one widget per field of its body, in the body's order."""
    return [widget_of(name, schema, name in required) for name, schema in properties.items()]


# ---- the posted form back into a body --------------------------------------------------------


def _first(form: FormData, name: str) -> str | None:
    values = form.get(name)
    if not values:
        return None
    value = values[0].strip()
    return value or None


def _scalar(s: dict[str, Any], raw: str) -> Any:
    """Text as the JSON type the schema states; text that is not one is left for the model to refuse."""
    kind = s.get("type")
    if kind == "integer" and "enum" not in s:
        try:
            return int(raw)
        except ValueError:
            return raw  # the model says "须为整数" beside the field
    if kind == "boolean":
        low = raw.lower()
        return True if low in _TRUE else False if low in _FALSE else raw
    return raw


def _value(name: str, schema: dict[str, Any], form: FormData) -> tuple[bool, Any]:
    """(present, value) of one field; an empty field is absent (the model's default or "required")."""
    s, _ = _plain(schema)
    kind = s.get("type")
    if kind == "object" and isinstance(s.get("additionalProperties"), dict):
        entry = _plain(s["additionalProperties"])[0]
        stages = s.get("propertyNames", {}).get("enum", [])
        picked = {st: _scalar(entry, v) for st in stages if (v := _first(form, f"{name}.{st}")) is not None}
        return bool(picked), picked
    if kind == "object":
        inner = _object(name + ".", s, form)
        return bool(inner), inner
    if kind == "array":
        items, _ = _plain(s.get("items", {}))
        if items.get("type") == "object":
            filled = [r for i in row_indexes(form, name) if (r := _object(f"{name}.{i}.", items, form))]
            return bool(filled), filled
        if _is_user(items) or items.get("type") == "integer":
            chosen = [_scalar(items, v.strip()) for v in form.get(name, ()) if v.strip()]
            return bool(chosen), chosen
        words = [w.strip() for v in form.get(name, ()) for w in _SPLIT.split(v) if w.strip()]
        return bool(words), words
    raw = _first(form, name)
    if raw is None:  # an unticked checkbox too: the model's default (False) applies
        return False, None
    return True, _scalar(s, raw)


def _object(prefix: str, schema: dict[str, Any], form: FormData) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, sub in schema.get("properties", {}).items():
        present, value = _value(prefix + key, sub, form)
        if present:
            out[key] = value
    return out


def row_indexes(form: FormData, name: str) -> list[int]:
    """The row numbers a form posted for the list ``name`` (``cases.0.key`` …), in order."""
    pattern = re.compile(re.escape(name) + r"\.(\d{1,3})\.")
    found = {int(m.group(1)) for key in form for m in [pattern.match(key)] if m}
    return sorted(i for i in found if i < MAX_ROWS)


def body_of(action: str, properties: dict[str, Any], form: FormData) -> dict[str, Any]:
    """The request body of ``action`` as the API would receive it, from a posted form."""
    return {"action": action, **_object("", {"properties": properties}, form)}


def error_path(loc: Sequence[Any]) -> str:
    """A model's error location as the form name of its field (``("cases", 0, "key")`` → ``cases.0.key``)."""
    return ".".join(str(part) for part in loc)


def rows_to_draw(form: FormData, name: str) -> int:
    """How many rows a list shows: those posted, else a few empty ones to fill in."""
    posted = row_indexes(form, name)
    return max((posted[-1] + 1) if posted else 0, EMPTY_ROWS)

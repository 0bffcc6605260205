"""Message templates rendered with Jinja2's sandbox: admins edit them, so they must not run code."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NEWLINE = re.compile(r"(\r\n|\r|\n)")
_JINJA_WORDS = frozenset(
    {"true", "false", "none", "True", "False", "None", "self", "and", "or", "not", "in", "is", "if", "else"}
)


class JinjaRenderer:
    def __init__(self) -> None:
        self._env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        # Compiling is the expensive part and a worker tick renders the same few templates often.
        self._compile = lru_cache(maxsize=256)(self._env.from_string)
        # Names Jinja resolves itself (constants, `self`, operators, globals such as `range`):
        # a template that uses one is left to Jinja.
        self._reserved = frozenset(self._env.globals) | _JINJA_WORDS
        self._plain = lru_cache(maxsize=256)(self._plain_pattern)

    def _plain_pattern(self, template: str) -> str | None:
        return _split_placeholders(template, self._reserved)

    def render(self, template: str, context: dict[str, Any]) -> str:
        plain = self._plain(template)
        if plain is not None:
            # Nothing but {{ name }}: substitute directly, as Jinja would (a missing name is empty).
            # A tick renders two templates per notice; Jinja's per-call context costs ~15 µs each.
            return plain.format_map(_Blank(context))
        compiled: Template = self._compile(template)
        return compiled.render(context)  # a dict, not keywords: a context may hold "self"


class _Blank(dict[str, Any]):
    """A context in which a name nobody gave renders empty, as in Jinja."""

    def __missing__(self, key: str) -> str:
        return ""


def _split_placeholders(template: str, reserved: frozenset[str]) -> str | None:
    """The template as a ``str.format`` pattern; None when it uses more than {{ name }}."""
    if "{%" in template or "{#" in template or template.count("{{") != len(_PLACEHOLDER.findall(template)):
        return None
    # Jinja's lexer writes every line break as "\n" and drops one final line break.
    lines = _NEWLINE.split(template)[::2]
    if lines[-1] == "":
        del lines[-1]
    parts = _PLACEHOLDER.split("\n".join(lines))  # literal, name, literal, name, …
    if any(p.endswith("{") for p in parts[:-1:2]):
        return None  # "{{{ x }}": Jinja reads the first two braces as the tag; leave it to Jinja
    if any(name in reserved for name in parts[1::2]):
        return None
    return "".join(
        p.replace("{", "{{").replace("}", "}}") if i % 2 == 0 else "{" + p + "!s}" for i, p in enumerate(parts)
    )

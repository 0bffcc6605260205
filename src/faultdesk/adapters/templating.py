"""Message templates rendered with Jinja2's sandbox: admins edit them, so they must not run code."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import Template, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NEWLINE = re.compile(r"(\r\n|\r|\n)")
_JINJA_WORDS = frozenset(
    {"true", "false", "none", "True", "False", "None", "self", "and", "or", "not", "in", "is", "if", "else"}
)


# An admin's template is bounded in what it may produce and how long it may spin: a message is
# at most MAX_OUTPUT characters, a range() at most MAX_RANGE items, loops nest at most
# MAX_LOOP_NESTING deep, and no operator may build a string or list past MAX_OUTPUT.
MAX_OUTPUT = 64 * 1024
MAX_RANGE = 1000
MAX_LOOP_NESTING = 2


class _BoundedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and (abs(_number(right)) > 64 or abs(_number(left)) > 10**6):
            raise SecurityError("the power is too large for a message template")
        if operator == "*":
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                raise SecurityError(f"the result would pass {MAX_OUTPUT} characters")
        sequences = isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple))
        if operator == "+" and sequences and len(left) + len(right) > MAX_OUTPUT:
            raise SecurityError(f"the result would pass {MAX_OUTPUT} characters")
        return super().call_binop(context, operator, left, right)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def bounded_range(*args: int) -> range:
    items = range(*args)
    if len(items) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE} items in a message template")
    return items


def _loop_depth(node: nodes.Node) -> int:
    below = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return below + 1 if isinstance(node, nodes.For) else below


class JinjaRenderer:
    def __init__(self) -> None:
        self._env = _BoundedSandbox(autoescape=False, keep_trailing_newline=False)
        self._env.globals["range"] = bounded_range
        # Compiling is the expensive part and a worker tick renders the same few templates often.
        self._compile = lru_cache(maxsize=256)(self._checked_compile)
        # Names Jinja resolves itself (constants, `self`, operators, globals such as `range`):
        # a template that uses one is left to Jinja.
        self._reserved = frozenset(self._env.globals) | _JINJA_WORDS
        self._plain = lru_cache(maxsize=256)(self._plain_pattern)

    def _checked_compile(self, template: str) -> Template:
        if _loop_depth(self._env.parse(template)) > MAX_LOOP_NESTING:
            raise SecurityError(f"loops may nest at most {MAX_LOOP_NESTING} deep in a message template")
        return self._env.from_string(template)

    def _plain_pattern(self, template: str) -> str | None:
        return _split_placeholders(template, self._reserved)

    def render(self, template: str, context: dict[str, Any]) -> str:
        plain = self._plain(template)
        if plain is not None:
            # Nothing but {{ name }}: substitute directly, as Jinja would (a missing name is empty).
            # A tick renders two templates per notice; Jinja's per-call context costs ~15 µs each.
            return plain.format_map(_Blank(context))
        compiled: Template = self._compile(template)
        out: list[str] = []
        size = 0
        for chunk in compiled.generate(context):  # a dict, not keywords: a context may hold "self"
            size += len(chunk)
            if size > MAX_OUTPUT:  # streamed, so a runaway template stops here, not at the end
                raise SecurityError(f"a message may be at most {MAX_OUTPUT} characters")
            out.append(chunk)
        return "".join(out)


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

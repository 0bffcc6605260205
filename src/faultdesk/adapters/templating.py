"""Message templates rendered with Jinja2's sandbox: admins edit them, so they must not run code."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Template
from jinja2.sandbox import SandboxedEnvironment


class JinjaRenderer:
    def __init__(self) -> None:
        self._env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
        # Compiling is the expensive part and a worker tick renders the same few templates often.
        self._compile = lru_cache(maxsize=256)(self._env.from_string)

    def render(self, template: str, context: dict[str, Any]) -> str:
        compiled: Template = self._compile(template)
        return compiled.render(**context)

    def check(self, template: str) -> None:
        """Raises jinja2.TemplateSyntaxError for a template that cannot be compiled."""
        self._env.parse(template)

"""Message templates rendered with Jinja2's sandbox: admins edit them, so they must not run code."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import SandboxedEnvironment


class JinjaRenderer:
    def __init__(self) -> None:
        self._env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)

    def render(self, template: str, context: dict[str, Any]) -> str:
        return self._env.from_string(template).render(**context)

    def check(self, template: str) -> None:
        """Raises jinja2.TemplateSyntaxError for a template that cannot be compiled."""
        self._env.parse(template)

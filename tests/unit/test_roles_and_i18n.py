from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import TemplateSyntaxError

from faultdesk.domain.roles import PERMISSIONS, Permission, Role, may
from faultdesk.entrypoints.common.i18n import reason_zh, wants_english


def test_every_permission_has_a_row_and_admin_holds_all():
    assert set(PERMISSIONS) == set(Permission)
    assert all(may(Role.ADMIN, p) for p in Permission)


def test_only_those_who_reply_to_reporters_see_contacts():
    allowed = {r for r in Role if may(r, Permission.REVEAL_CONTACT)}
    assert allowed == {Role.AGENT, Role.PM, Role.ADMIN}


def test_testers_and_developers_cannot_register_faults():
    assert not may(Role.TESTER, Permission.REGISTER_FAULT)
    assert not may(Role.DEVELOPER, Permission.REGISTER_FAULT)
    assert may(Role.AGENT, Permission.REGISTER_FAULT)


@pytest.mark.parametrize(
    ("header", "english"),
    [(None, False), ("", False), ("en-US,en;q=0.9", True), ("zh-CN,zh;q=0.9,en;q=0.8", False), ("EN", True)],
)
def test_language_is_the_first_one_the_client_names(header, english):
    assert wants_english(header) is english


def test_chinese_reasons_fill_in_the_limits():
    assert reason_zh("string_too_long", {"max_length": 500}, "x") == "长度不能超过 500 个字符"
    assert reason_zh("no_such_type", None, "fallback") == "fallback"


def test_plain_templates_render_exactly_as_jinja_would():
    from jinja2.sandbox import SandboxedEnvironment

    from faultdesk.adapters.templating import JinjaRenderer
    from faultdesk.services.message_texts import DEFAULTS

    jinja, ours = SandboxedEnvironment(), JinjaRenderer()
    context = {"number": "231025-01-001", "title": "支付失败", "users": 12, "lead": None, "due": "10:00", "level": 2}
    for texts in DEFAULTS.values():
        for subject, body in texts.values():
            for template in (subject, body):
                assert ours.render(template, context) == jinja.from_string(template).render(**context)


_NAMES = st.sampled_from(
    ["number", "title", "users", "lead", "missing", "format", "_x", "none", "True", "self", "range", "not", "loop"]
)
_LITERALS = st.text(alphabet="ab {}%#故障\n\r!:", max_size=8).filter(
    lambda s: "{{" not in s and "{%" not in s and "{#" not in s
)


@given(
    parts=st.lists(st.tuples(_LITERALS, _NAMES, st.sampled_from(["", " "])), max_size=6),
    tail=_LITERALS,
    values=st.dictionaries(_NAMES, st.one_of(st.none(), st.integers(), st.text(alphabet="x{}故 ", max_size=5))),
)
def test_any_plain_template_renders_as_jinja_would(parts, tail, values):
    from jinja2.sandbox import SandboxedEnvironment

    from faultdesk.adapters.templating import JinjaRenderer, bounded_range

    template = "".join(f"{lit}{{{{{pad}{name}{pad}}}}}" for lit, name, pad in parts) + tail

    def outcome(render: Callable[[], str]) -> str | type[Exception]:
        try:
            return render()
        except TemplateSyntaxError:
            return TemplateSyntaxError  # an admin's edit is refused: both must refuse it

    jinja = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)
    jinja.globals["range"] = bounded_range  # ours is bounded; a template naming it sees the same function
    assert outcome(lambda: JinjaRenderer().render(template, values)) == outcome(
        lambda: jinja.from_string(template).render(values)
    )


def test_every_default_template_renders_on_the_sample_context_with_every_variable_it_uses():
    """An admin's edit is tried on SAMPLE_CONTEXT: it must hold each variable our templates use."""
    from jinja2 import meta
    from jinja2.sandbox import SandboxedEnvironment

    from faultdesk.services.message_texts import DEFAULTS
    from faultdesk.services.messages import SAMPLE_CONTEXT

    env = SandboxedEnvironment()
    for key, texts in DEFAULTS.items():
        assert set(texts) == {"zh", "en"}, key
        for lang, pair in texts.items():
            for template in pair:
                used = meta.find_undeclared_variables(env.parse(template))
                assert used <= set(SAMPLE_CONTEXT), (key, lang, used - set(SAMPLE_CONTEXT))
    for key in ("registered", "release_announced", "fix_released"):
        assert key in DEFAULTS

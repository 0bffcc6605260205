"""An admin's message template is bounded: no output past 64 KiB, no huge operators, no range()
past 1000 items, loops at most two deep — refused with 422 when edited, and a template that only
overflows with real data falls back to the default text instead of losing the message."""

from __future__ import annotations

import pytest

from faultdesk.adapters.templating import MAX_OUTPUT, JinjaRenderer

RUNAWAY = [
    '{{ "a" * 20000000 }}',
    "{{ 10 ** 100000 }}",
    "{% for i in range(10000000) %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}x{% endfor %}{% endfor %}{% endfor %}",
    "{% for a in range(1000) %}{% for b in range(1000) %}xx{% endfor %}{% endfor %}",  # 2 MB of output
    '{% set s = "a" * 60000 %}{{ s ~ s }}',
]


@pytest.mark.parametrize("template", RUNAWAY)
def test_a_runaway_template_is_refused_when_edited(client, staff, template):
    res = client.put(
        "/api/v1/templates/progress/zh", json={"subject": "进展", "body": template}, headers=staff["admin"]
    )
    assert res.status_code == 422, res.text
    assert res.json()["error"]["fields"][0]["field"] == "body"


def test_ordinary_loops_and_filters_still_render():
    renderer = JinjaRenderer()
    text = renderer.render("{% for c in cases %}{{ loop.index }}. {{ c | upper }}\n{% endfor %}", {"cases": ["a", "b"]})
    assert text == "1. A\n2. B\n"


def test_output_is_cut_off_at_the_limit_whatever_the_data():
    renderer = JinjaRenderer()
    with pytest.raises(Exception, match="at most"):
        renderer.render("{% for x in items %}{{ x }}{% endfor %}", {"items": ["故" * 1000] * (MAX_OUTPUT // 1000 + 1)})

"""Text bound for a header or subject line is one line, whatever a reporter typed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from faultdesk.domain.delivery import single_line


def test_line_breaks_tabs_and_separators_fold_to_one_space():
    assert single_line("支付失败\r\n点击\t无反应\u2028再试\x00一次") == "支付失败 点击 无反应 再试 一次"


def test_long_text_is_cut_with_an_ellipsis():
    assert single_line("故" * 400, limit=10) == "故" * 9 + "…"


@given(st.text())
def test_no_input_yields_a_line_break_or_control_character(text):
    folded = single_line(text)
    assert all(ch.isprintable() for ch in folded) and len(folded) <= 300

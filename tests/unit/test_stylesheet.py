"""The console's one stylesheet stays well formed: a brace lost in a merge silently drops every
rule after it (the dashboard lost its layout and the phone's fault page its order that way)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = Path(__file__).parents[2] / "src" / "faultdesk" / "entrypoints" / "web" / "static" / "app.css"


def test_every_block_of_the_stylesheet_is_closed_where_it_opens():
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)  # comments may hold braces
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        for ch in line:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, f"app.css:{number} closes a block never opened"
        assert depth <= 2, f"app.css:{number} is nested deeper than a media query's rule"
        if depth == 0:
            assert not re.match(r"^\s*(<<<<<<<|=======|>>>>>>>)", line), f"app.css:{number}: a merge marker"
    assert depth == 0, "app.css ends inside a block"


def test_every_card_of_the_fault_page_has_its_place_in_the_phones_order():
    """On a phone the fault page is one column ordered by work (clocks and actions before the long
    lists): a card without an order would land on top of everything."""
    page = (CSS.parent.parent / "templates" / "fault.html").read_text()
    cards = re.findall(r'<section class="card ([\w-]+)', page)
    ordered = set(re.findall(r"\.fault-page \.([\w-]+) \{ order: \d+; \}", CSS.read_text()))
    assert cards and set(cards) <= ordered, set(cards) - ordered
    assert len(re.findall(r'<section class="card"', page)) == 0  # no card without its name

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

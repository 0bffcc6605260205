"""Output is escaped everywhere: the payloads ``<script>alert(1)</script>``,
``"><img src=x onerror=alert(1)>`` and ``{{7*7}}`` written into every text field of a report, the
fault title, each stage record, the knowledge-base article, a release note and a message template,
then every console page read back: no tag comes out as markup and no ``{{7*7}}`` is evaluated
where it was data. (A template's ``{{7*7}}`` renders as 49 in a message by design: for templates
the page showing the source is checked.)"""

from __future__ import annotations

from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.integration.session_helpers import TEST_CSRF, log_in, with_cookie
from tests.integration.xss_helpers import (
    CONSOLE_PAGES,
    CURLY,
    SHOWS_TEMPLATE,
    SHOWS_TEXT,
    TEMPLATE_TEXT,
    TEXT,
    problems,
    seed,
)

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_every_console_page_shows_the_payloads_as_text(client, staff):
    add_product(client.app.state.desk, "app", "App", [], actor=Actor.system())
    seeded = seed(client, staff["admin"], user_id=6, product="app")
    session = log_in(client, "admin1")
    seen, found = [], []
    for path in CONSOLE_PAGES:
        res = client.get(seeded.fill(path), headers={**with_cookie(session), "Accept": "text/html"})
        if res.status_code == 404:  # not a page on this branch (yet)
            continue
        assert res.status_code == 200, (path, res.status_code, res.text[:500])
        seen.append(path)
        found += problems(res.text, path)
        if path in SHOWS_TEXT:
            assert ESCAPED_SCRIPT in res.text and f"丙{CURLY}丁" in res.text, f"{path} does not show the payload"
        if path in SHOWS_TEMPLATE:  # the source as written, escaped (its preview renders it, by design)
            assert "戊{{7*7}}己" in res.text, path
            assert TEMPLATE_TEXT not in res.text
    assert not found, found
    assert {"/", "/kb", "/kb/{article_id}", "/improvements?tab=all", "/releases"} <= set(seen)


def test_a_release_note_written_in_the_console_form_is_shown_as_text(client, staff):
    add_product(client.app.state.desk, "app", "App", [], actor=Actor.system())
    session = log_in(client, "pm1")
    res = client.post(
        "/releases",
        data={"product": "app", "version": "7.0", "released_on": "2026-11-24", "notes": TEXT, "known_issues": TEXT,
              "csrf_token": TEST_CSRF},
        headers={"Cookie": with_cookie(session)["Cookie"]},
        follow_redirects=False,
    )  # fmt: skip
    assert res.status_code == 303
    res = client.get("/releases", headers=with_cookie(session))
    assert not problems(res.text, "/releases") and res.text.count(ESCAPED_SCRIPT) >= 2
    bad = client.post(
        "/releases",
        data={"product": TEXT[:40], "version": TEXT[:60], "released_on": TEXT[:40], "notes": TEXT,
              "csrf_token": TEST_CSRF},
        headers={"Cookie": with_cookie(session)["Cookie"]},
    )  # fmt: skip
    assert bad.status_code == 422 and not problems(bad.text, "/releases (422)")  # the echoed values too

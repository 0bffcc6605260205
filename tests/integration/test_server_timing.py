"""Every answer says how long the app took (bench/pages.py reads it): pages, API, files and errors."""

from __future__ import annotations

import re

from tests.integration.session_helpers import log_in, with_cookie

TIMING = re.compile(r"app;dur=\d+\.\d{2}")


def test_pages_api_answers_files_and_errors_carry_the_apps_time(client, staff):
    session = with_cookie(log_in(client, "agent1"))
    answers = {
        "/": client.get("/", headers=session),
        "/login": client.get("/login"),
        "/api/v1/faults": client.get("/api/v1/faults", headers=staff["agent"]),
        "/api/v1/faults/nothing": client.get("/api/v1/faults/nothing", headers=staff["agent"]),
        "/api/v1/me (no credential)": client.get("/api/v1/me"),
        "/static/app.css": client.get("/static/app.css"),
        "/no-such-page": client.get("/no-such-page", headers={"Accept": "text/html"}),
    }
    assert [r.status_code for r in answers.values()] == [200, 200, 200, 404, 401, 200, 404]
    assert "故障" in answers["/"].text  # the page itself is whole
    for path, res in answers.items():
        assert TIMING.fullmatch(res.headers["server-timing"]), (path, res.headers.get("server-timing"))
        assert len(res.headers.get_list("server-timing")) == 1, path


def test_a_serving_process_puts_what_it_built_out_of_the_collectors_sight(monkeypatch, settings):
    """`faultdesk serve`'s app factory freezes its start-up heap: a full collection walking it
    paused a request by ~130 ms on the bench corpus (bench/pages.py's p95)."""
    import gc

    from faultdesk.entrypoints.api.app import app_from_env

    monkeypatch.setenv("FAULTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FAULTDESK_HOME", str(settings.home))
    monkeypatch.setenv("FAULTDESK_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("FAULTDESK_RUN_WORKER", "false")
    gc.unfreeze()
    try:
        app_from_env()
        assert gc.get_freeze_count() > 10_000  # the modules, templates and wiring at least
    finally:
        gc.unfreeze()  # the rest of the suite collects as usual

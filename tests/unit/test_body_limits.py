"""Which limit a request body has (api/limits.BodyLimit): a path pattern matched whole."""

from __future__ import annotations

from faultdesk.entrypoints.api.limits import IMPORT_PATH, UPLOAD_PATHS, BodyLimit


async def _app(scope, receive, send):  # never called here
    raise AssertionError


def test_each_path_has_its_own_limit_and_the_rest_the_common_one():
    guard = BodyLimit(_app, limit=100, larger={UPLOAD_PATHS: 5_000, IMPORT_PATH: 9_000})
    assert guard.limit_of("/report") == 5_000 and guard.limit_of("/t/abc123/more") == 5_000
    assert guard.limit_of("/admin/import") == 9_000
    for other in ("/report/x", "/xreport", "/t/abc/more/x", "/admin/importx", "/api/v1/faults", ""):
        assert guard.limit_of(other) == 100, other


def test_a_larger_limit_is_never_below_the_common_one():
    assert BodyLimit(_app, limit=100, larger={IMPORT_PATH: 10}).limit_of("/admin/import") == 100

"""Found by the browser story (tests/browser/test_story.py): release_full's own ``version`` field
shares its name with the fault page's hidden If-Match ``version``; the release must be recorded
with the version typed, not the fault's row version, and the If-Match must still hold."""

from __future__ import annotations

from tests.integration.lifecycle_helpers import drive, new_fault, take
from tests.integration.session_helpers import TEST_CSRF, log_in, with_cookie
from tests.integration.test_web_fault_page import hidden, page, text_of


def test_the_full_release_keeps_the_version_typed_not_the_faults_version(client, staff):
    number = new_fault(client, staff["agent"])
    drive(client, staff["admin"], number, "releasing")
    assert take(client, staff["admin"], number, "record_gray_step").status_code == 200
    token = log_in(client, "admin1")
    html = page(client, token, number)
    row_version = hidden(html, "release_full", "version")
    data = {
        "version": [row_version, "9.8.7"],  # the hidden field first, then the form's own, as a browser posts
        "seen": hidden(html, "release_full", "seen"),
        "csrf_token": TEST_CSRF,
        "announcement": "登录问题已修复，请升级至 9.8.7",
    }
    res = client.post(
        f"/faults/{number}/act/release_full", data=data, headers=with_cookie(token), follow_redirects=False
    )
    assert res.status_code == 303, res.text
    words = text_of(page(client, token, number))
    assert "全量发布版本 9.8.7，上线公告" in words
    assert f"全量发布版本 {row_version}，" not in words
    assert client.get(f"/api/v1/faults/{number}", headers=staff["admin"]).json()["status"] == "resolved"

    stale = client.post(
        f"/faults/{number}/act/archive",
        data={"version": row_version, "csrf_token": TEST_CSRF, "cause": "x", "solution": "y"},
        headers=with_cookie(token),
    )
    assert stale.status_code == 412  # the If-Match is still read from the hidden field

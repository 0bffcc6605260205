"""The XSS payloads put into every text field a person can write (a report, the fault title, each
stage record, the knowledge-base article, a release note, a message template), for the integration
and the browser tests alike: ``client`` is a TestClient or an ``httpx.Client(base_url=…)``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
CURLY = "{{7*7}}"
PAYLOADS = (SCRIPT, IMG, CURLY)
# All three in one text, between markers: "丙49丁" on a page means the data was evaluated.
TEXT = f"甲{SCRIPT}乙{IMG}丙{CURLY}丁"
EVALUATED = "丙49丁"
SHORT = (SCRIPT, IMG, f"丙{CURLY}丁")  # for fields of 40-60 characters
# A template's source: the sandbox renders {{7*7}} as 49 in a message by design, so only the page
# that shows the source can be checked for it, by its own markers.
TEMPLATE_TEXT = f"戊{CURLY}己{SCRIPT}{IMG}"

# Every console page there is or will be (the lead extends this at merge). ``{…}`` names a value
# from ``Seeded``; a page that does not exist on this branch answers 404 and is skipped.
CONSOLE_PAGES = [
    "/",
    "/?q=支付",
    "/reports",
    "/reports/{report_id}",
    "/faults/{number}",
    "/kb",
    "/kb?q=甲",
    "/kb/{article_id}",
    "/improvements?tab=all",
    "/improvements?tab=overdue",
    "/improvements?tab=mine",
    "/releases",
    "/dashboard",
    "/admin",
    "/admin/users",
    "/admin/products",
    "/admin/types",
    "/admin/calendar",
    "/admin/templates",
    "/admin/templates/receipt/zh",
    "/admin/users/agent1",
    "/admin/synonyms",
    "/report",
    "/t/{tracking_token}",
    "/admin/outbox",
    "/report/suggestions?symptom=alert onerror script",
]
# Pages that show the seeded text itself: there the payload must be seen, escaped, as text.
SHOWS_TEXT = {
    "/faults/{number}",
    "/kb",
    "/kb?q=甲",
    "/kb/{article_id}",
    "/improvements?tab=all",
    "/releases",
    "/report/suggestions?symptom=alert onerror script",
    "/t/{tracking_token}",
}
SHOWS_TEMPLATE = {"/admin/templates/receipt/zh"}


@dataclass(frozen=True)
class Seeded:
    number: str
    report_id: int
    article_id: int
    tracking_token: str

    def fill(self, path: str) -> str:
        return path.format(**vars(self))


def report_body(short: tuple[str, str, str] = SHORT) -> dict[str, Any]:
    return {
        "channel": "app",
        "symptom": TEXT,
        "scenario": TEXT,
        "occurred_at": "2026-11-25T09:40:00+08:00",
        "device_model": TEXT,
        "os_version": short[0],
        "app_version": short[1][:40],
        "network": "wifi",
        "reporter_id": TEXT,
        "description": TEXT,
        "contact": "13812341234",
    }


def stage_bodies(user_id: int) -> list[dict[str, Any]]:
    """The admin's path from registered to archived and retrospected, every text a payload."""
    case = {"key": "TC1", "title": TEXT, "expected": TEXT}
    return [
        {"action": "start_analysis", "recurrence": "new", "impact": "partial", "notes": TEXT, "known_issue": TEXT},
        {"action": "grade", "severity": "P1", "reason": TEXT, "owners": {"handling": user_id}},
        {"action": "record_cause", "cause": TEXT, "category": "code_logic"},
        {"action": "propose_plan", "kind": "emergency_patch", "description": TEXT, "deadline": "2026-12-25T18:00:00"},
        {"action": "review_plan", "approved": True, "comments": TEXT, "reviewers": list(SHORT)},
        {"action": "attach_cases", "cases": [case]},
        {"action": "mark_fix_ready", "fix_version": SHORT[0], "notes": TEXT},
        {"action": "record_verification", "results": [{"key": "TC1", "passed": True, "notes": TEXT}]},
        {"action": "confirm", "outcome": "recovered", "comment": TEXT},
        {"action": "record_gray_step", "percentage": 10, "notes": TEXT},
        {"action": "release_full", "version": SHORT[1], "announcement": TEXT},
        {"action": "archive", "cause": TEXT, "solution": TEXT, "reporter_feedback": TEXT, "satisfaction": 5},
        {
            "action": "retrospect",
            "analysis": TEXT,
            "actions": [{"title": TEXT, "owner_id": user_id, "due": "2026-11-20"}],  # overdue at once
            "article": {
                "title": TEXT,
                "symptoms": TEXT,
                "cause": TEXT,
                "fix": TEXT,
                "workaround": TEXT,
                "tags": list(SHORT),
            },
        },
    ]


def seed(client, admin: dict[str, str], *, user_id: int, product: str | None) -> Seeded:
    """Every payload in through the API (a release through the API too when ``product`` is given)."""
    answer = client.post("/api/v1/reports", json=report_body())
    assert answer.status_code == 201, answer.text
    report_id, tracking = answer.json()["report"]["id"], answer.json()["tracking_token"]
    waiting = client.post("/api/v1/reports", json=report_body())  # left waiting, for /reports
    assert waiting.status_code == 201, waiting.text
    res = client.post(
        "/api/v1/faults", json={"type_code": "01", "title": TEXT, "report_ids": [report_id]}, headers=admin
    )
    assert res.status_code == 201, res.text
    number = res.json()["fault"]["number"]
    for body in stage_bodies(user_id):
        step = client.post(f"/api/v1/faults/{number}/transitions", json=body, headers=admin)
        assert step.status_code == 200, (body["action"], step.text)
    public = {"public_title": TEXT, "public_status": TEXT}  # the public words: the tracking page shows them
    assert client.post(f"/api/v1/faults/{number}/public", json=public, headers=admin).status_code == 200
    # a public known issue still open, for the report form's suggestions
    other = client.post("/api/v1/reports", json=report_body()).json()["report"]["id"]
    second = client.post(
        "/api/v1/faults", json={"type_code": "01", "title": TEXT, "report_ids": [other]}, headers=admin
    )
    assert second.status_code == 201, second.text
    published = client.post(f"/api/v1/faults/{second.json()['fault']['number']}/public", json=public, headers=admin)
    assert published.status_code == 200, published.text
    kb = client.get("/api/v1/kb", params={"q": "甲"}, headers=admin)
    assert kb.status_code == 200 and kb.json(), kb.text
    if product is not None:
        release = {
            "product": product,
            "version": SHORT[0],
            "released_on": "2026-11-24",
            "notes": f"{TEXT} {number}",
            "known_issues": TEXT,
        }
        assert client.post("/api/v1/releases", json=release, headers=admin).status_code == 201
    template = client.put(
        "/api/v1/templates/receipt/zh", json={"subject": SHORT[0], "body": TEMPLATE_TEXT}, headers=admin
    )
    assert template.status_code == 204, template.text
    return Seeded(number, report_id, kb.json()[0]["id"], tracking)


def problems(html: str, path: str) -> list[str]:
    """What a page shows of the payloads that it must not: a tag as markup, an evaluated {{7*7}}."""
    found = []
    if SCRIPT in html:
        found.append(f"{path}: raw <script>")
    if "<img src=x" in html:
        found.append(f"{path}: raw <img onerror>")
    if EVALUATED in html:
        found.append(f"{path}: {{{{7*7}}}} evaluated to 49")
    return found

"""Every limit the API states is the limit the table has: each input model's text fields are
sent at their stated maximum (in CJK, one character each, three bytes) through the real flows, on
both stores, and every request succeeds and reads back what it wrote — no 500 from a column
narrower than the schema."""

from __future__ import annotations

from typing import Any

from faultdesk.domain.lifecycle import Action
from faultdesk.entrypoints.api.routes.clocks import DayIn, PauseIn, TemplateIn, UpdateIn
from faultdesk.entrypoints.api.routes.known_issues import ReleaseIn
from faultdesk.entrypoints.api.routes.lifecycle import EstimateIn
from faultdesk.entrypoints.api.schemas import FaultIn, ReportIn
from faultdesk.entrypoints.common.commands import BODY_OF
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.conftest import a_report
from tests.integration.lifecycle_helpers import BODIES, PATH

FILL = "故"
# Fields that name something that must exist (a fault, a product, a user) keep their valid value.
REFERENCES = {"related_fault", "into", "product", "function", "reviewers", "contact", "action", "owners"}
LONGEST_EMAIL = "a" * 64 + "@" + "b" * 63 + "." + "b" * 63 + "." + "c" * 61  # 254 characters


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _variants(prop: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    return [_resolve(v, defs) for v in prop.get("anyOf", [prop])]


def at_maximum(schema: dict[str, Any], body: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """``body`` with every free text field (present or optional) at its maxLength, and the objects
    in its lists treated the same way."""
    out = dict(body)
    for name, prop in schema.get("properties", {}).items():
        if name in REFERENCES:
            continue
        for v in _variants(prop, defs):
            if v.get("type") == "string" and "maxLength" in v and "pattern" not in v and "format" not in v:
                out[name] = FILL * v["maxLength"]
            elif v.get("type") == "array" and name in body:
                items = _resolve(v.get("items", {}), defs)
                if items.get("type") == "object" or "properties" in items:
                    out[name] = [at_maximum(items, item, defs) for item in body[name]]
                elif items.get("type") == "string" and "maxLength" in items:
                    out[name] = [FILL * items["maxLength"] for _ in body[name]]
            elif (v.get("type") == "object" or "properties" in v) and isinstance(body.get(name), dict):
                out[name] = at_maximum(v, body[name], defs)
    return out


def maxed(model: Any, body: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return at_maximum(schema, body, schema.get("$defs", {}))


def ok(res, *codes: int) -> Any:
    assert res.status_code in (codes or (200, 201, 204)), res.text
    return res.json() if res.content else None


def test_every_report_and_fault_field_holds_its_stated_maximum(client, staff):
    body = maxed(ReportIn, a_report(contact=LONGEST_EMAIL))
    report = ok(client.post("/api/v1/reports", json=body))["report"]
    stored = ok(client.get(f"/api/v1/reports/{report['id']}", headers=staff["agent"]))
    for name in ("symptom", "scenario", "description", "device_model", "os_version", "app_version", "reporter_id"):
        assert stored[name] == body[name], name
    fault_body = maxed(FaultIn, {"type_code": "01", "report_ids": [report["id"]], "estimated_users": 5})
    fault_body["new_reports"] = [maxed(ReportIn, a_report(channel="hotline", reporter_id=None))]
    fault = ok(client.post("/api/v1/faults", json=fault_body, headers=staff["agent"]))["fault"]
    assert fault["title"] == fault_body["title"] and fault["estimate_source"] == fault_body["estimate_source"]
    assert fault["report_count"] == 2


def test_every_lifecycle_body_holds_its_stated_maximum(client, staff):
    rid = ok(client.post("/api/v1/reports", json=a_report()))["report"]["id"]
    number = ok(client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=staff["agent"]))[
        "fault"
    ]["number"]
    admin = staff["admin"]

    def take(action: str, **extra: Any) -> Any:
        body = maxed(BODY_OF[Action(action)], {"action": action, **BODIES.get(action, {}), **extra})
        return ok(client.post(f"/api/v1/faults/{number}/transitions", json=body, headers=admin))

    for action, _ in PATH[:2]:
        take(action)
    take("regrade", severity="P0")
    take("acknowledge")
    for action, _ in PATH[2:]:
        take(action)
    take("retrospect")
    records = ok(client.get(f"/api/v1/faults/{number}/records", headers=admin))
    assert any(FILL * 5000 in str(r) for r in records)
    for close in ("close_not_a_fault", "close_cannot_reproduce"):
        other = ok(
            client.post(
                "/api/v1/faults", json={"type_code": "01", "new_reports": [a_report(channel="hotline")]}, headers=admin
            )
        )
        path = f"/api/v1/faults/{other['fault']['number']}/transitions"
        if close == "close_cannot_reproduce":
            for action, _ in PATH[:2]:
                ok(client.post(path, json={"action": action, **BODIES[action]}, headers=admin))
        ok(client.post(path, json=maxed(BODY_OF[Action(close)], {"action": close, **BODIES[close]}), headers=admin))


def test_every_other_input_holds_its_stated_maximum(client, staff, wiring):
    admin = staff["admin"]
    add_product(wiring.desk, "shop", "商城", [], actor=Actor.system())
    rid = ok(client.post("/api/v1/reports", json=a_report(contact="han.mei@example.com")))["report"]["id"]
    number = ok(client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=admin))["fault"][
        "number"
    ]
    ok(client.put(f"/api/v1/faults/{number}/estimate", json=maxed(EstimateIn, {"estimated_users": 3}), headers=admin))
    ok(client.post(f"/api/v1/faults/{number}/updates", json=maxed(UpdateIn, {}), headers=admin))
    ok(client.post(f"/api/v1/faults/{number}/clocks/pause", json=maxed(PauseIn, {}), headers=admin))
    ok(client.put("/api/v1/calendar/days/2027-01-04", json=maxed(DayIn, {"kind": "holiday"}), headers=admin))
    template = maxed(TemplateIn, {})
    ok(client.put("/api/v1/templates/progress/zh", json=template, headers=admin))
    release = maxed(ReleaseIn, {"product": "shop", "released_on": "2026-11-25"})
    stored = ok(client.post("/api/v1/releases", json=release, headers=admin))
    assert stored["version"] == release["version"] and stored["notes"] == release["notes"]

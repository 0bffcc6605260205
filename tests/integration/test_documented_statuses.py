"""Every status an operation answers is one its OpenAPI entry documents (schemathesis: "undocumented
status code"), on both stores: each operation is probed without credentials, with a bad token, with
a body that is no form, with an unknown record in its query, and the public operations' clashes;
whatever it answers must be listed in /openapi.json, in the error envelope."""

from __future__ import annotations

from typing import Any

from tests.conftest import a_report
from tests.integration.test_bad_input import _operations, _path

BROKEN_FORMS = [
    {"Content-Type": "multipart/form-data"},  # no boundary
    {"Content-Type": "multipart/form-data; boundary=zz"},  # a body that is not one
]


def _documented(doc: dict[str, Any], method: str, path: str, res) -> None:
    responses = doc["paths"][path][method.lower()]["responses"]
    assert str(res.status_code) in responses, (method, path, res.status_code, res.text, sorted(responses))
    if res.status_code >= 400:
        assert set(res.json()) == {"error"}, (method, path, res.text[:300])


def test_bad_callers_and_unreadable_bodies_get_documented_statuses(client, staff):
    doc = client.get("/openapi.json").json()
    seen: set[int] = set()
    for method, path, _op in _operations(client):
        probes: list[dict[str, Any]] = [
            {},
            {"headers": {"Authorization": "Bearer not-a-token"}},
            *({"headers": {**staff["admin"], **h}, "content": b"x"} for h in BROKEN_FORMS),
        ]
        for probe in probes:
            res = client.request(method, _path(path), **probe)
            _documented(doc, method, path, res)
            seen.add(res.status_code)
    assert {401, 422} <= seen


def test_an_unknown_record_named_in_a_query_is_a_documented_404(client, staff):
    doc = client.get("/openapi.json").json()
    checked = 0
    for method, path, op in _operations(client):
        for param in op.get("parameters", []):
            if param["in"] == "query" and param["name"] == "fault":
                res = client.request(method, _path(path), params={"fault": "991231-01-999"}, headers=staff["admin"])
                assert res.status_code == 404, res.text
                _documented(doc, method, path, res)
                checked += 1
    assert checked >= 2  # improvement actions and messages


def test_the_public_operations_clashes_are_documented_409s(client):
    doc = client.get("/openapi.json").json()
    key = {"Idempotency-Key": "same-key"}
    assert client.post("/api/v1/reports", json=a_report(), headers=key).status_code == 201
    res = client.post("/api/v1/reports", json=a_report(symptom="另一个故障"), headers=key)
    assert res.status_code == 409
    _documented(doc, "POST", "/api/v1/reports", res)
    token = client.post("/api/v1/reports", json=a_report()).json()["tracking_token"]
    res = client.post(f"/api/v1/track/{token}/confirm", json={"outcome": "recovered"})  # not yet a fault
    assert res.status_code == 409
    _documented(doc, "POST", "/api/v1/track/{token}/confirm", res)


def test_a_method_a_path_does_not_take_is_a_405_that_allows_every_method_it_does(client, staff):
    doc = client.get("/openapi.json").json()
    for path, ops in doc["paths"].items():
        documented = {m.upper() for m in ops}
        for method in {"OPTIONS", "PUT", "PATCH", "DELETE", "POST"} - documented:
            res = client.request(method, _path(path), headers=staff["admin"])
            assert res.status_code == 405, (method, path, res.status_code)
            allowed = {m.strip() for m in res.headers["allow"].split(",")}
            assert allowed - {"HEAD"} == documented, (method, path, res.headers["allow"])


def test_a_forms_address_opened_in_the_browser_goes_to_its_page_and_other_refusals_are_in_words(client, staff):
    """After a refused reply the address bar shows /faults/N/updates; opening it showed an English
    "Method Not Allowed". A browser now lands on the page above; other refusals say it in Chinese."""
    from tests.integration.lifecycle_helpers import new_fault
    from tests.integration.session_helpers import log_in, with_cookie

    number = new_fault(client, staff["agent"])
    page = {"Accept": "text/html", **with_cookie(log_in(client, "agent1"))}
    res = client.get(f"/faults/{number}/updates", headers=page, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == f"/faults/{number}"
    res = client.get("/improvements/1/status", headers=page, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/improvements"
    api = client.get(f"/api/v1/faults/{number}/actions/grade", headers=staff["agent"])  # the API: still a 405
    assert api.status_code in (404, 405)
    refused = client.put("/report", headers={"Accept": "text/html"})
    assert (
        refused.status_code == 405
        and "这个地址不能这样访问" in refused.text
        and "Method Not Allowed" not in refused.text
    )
    english = client.put("/report", headers={"Accept": "text/html", "Accept-Language": "en"})
    assert "Method Not Allowed" in english.text

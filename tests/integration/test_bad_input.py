"""Bad input by class, on both stores: every operation of the OpenAPI document is sent NUL and
control characters in each path parameter, query parameter and body text field, and answers 422
naming the field — never a 500 (PostgreSQL text holds no NUL) and never a stored NUL (SQLite).
Likewise every number, boolean, date and time in any body, at any depth, sent as another JSON type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import a_report
from tests.integration.session_helpers import form

POISONS = ["a\x00b", "a\x07b", "a\x1bb", "a\x7fb"]


def _operations(client) -> list[tuple[str, str, dict[str, Any]]]:
    doc = client.get("/openapi.json").json()
    return [
        (method.upper(), path, op)
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _text_properties(doc: dict[str, Any], op: dict[str, Any]) -> list[str]:
    content = op.get("requestBody", {}).get("content", {}).get("application/json")
    if not content:
        return []
    schema = _schema(doc, content["schema"])
    names = []
    for name, prop in schema.get("properties", {}).items():
        variants = prop.get("anyOf", [prop])
        if any(_schema(doc, v).get("type") == "string" for v in variants):
            names.append(name)
    return names


def _path(path: str, value: str = "1") -> str:
    out = path
    while "{" in out:
        start, end = out.index("{"), out.index("}")
        out = out[:start] + quote(value, safe="") + out[end + 1 :]
    return out


def _refused(res, field: str) -> None:
    assert res.status_code == 422, (res.status_code, res.text)
    fields = [f["field"] for f in res.json()["error"]["fields"]]
    assert field in fields, fields


def test_control_characters_in_any_body_text_field_are_refused_naming_it(client, staff):
    doc = client.get("/openapi.json").json()
    checked = 0
    for method, path, op in _operations(client):
        for name in _text_properties(doc, op):
            for poison in POISONS:
                res = client.request(method, _path(path), json={name: poison}, headers=staff["admin"])
                _refused(res, name)
                checked += 1
    assert checked > 100  # the walk found the API's text fields


def test_control_characters_in_any_path_or_query_parameter_are_refused(client, staff):
    checked = 0
    for method, path, op in _operations(client):
        for param in op.get("parameters", []):
            if param["in"] == "path":
                res = client.request(method, _path(path, "a\x00b"), headers=staff["admin"])
                _refused(res, param["name"])
                checked += 1
            elif param["in"] == "query":
                res = client.request(method, _path(path), params={param["name"]: "a\x00b"}, headers=staff["admin"])
                _refused(res, param["name"])
                checked += 1
    assert checked > 20


# What pydantic's lax mode would have read as the stated type (schemathesis: "schema-violating
# request accepted"): digits and true for an integer, 1 and "true" for a boolean, seconds since 1970
# for a date or a time.
WRONG_TYPES: dict[str, list[Any]] = {
    "integer": ["1", True],
    "boolean": [1, "true"],
    "date": [1767225600],
    "date-time": [1767225600],
}


def _kind(schema: dict[str, Any]) -> str | None:
    if schema.get("type") == "string":
        return schema.get("format") if schema.get("format") in ("date", "date-time") else None
    return schema.get("type") if schema.get("type") in ("integer", "boolean") else None


def _join(name: str, sub: str) -> str:
    return f"{name}.{sub}" if sub else name


def _wrong_typed(doc: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(field path, a body fragment holding a wrong-typed value at that path) for every typed scalar."""
    schema = _schema(doc, schema)
    if depth > 6:
        return
    kind = _kind(schema)
    if kind:
        for value in WRONG_TYPES[kind]:
            yield "", value
    for variant in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _wrong_typed(doc, variant, depth + 1)
    properties = schema.get("properties", {})
    constants = {name: _schema(doc, p)["const"] for name, p in properties.items() if "const" in _schema(doc, p)}
    for name, prop in properties.items():
        for sub, fragment in _wrong_typed(doc, prop, depth + 1):
            yield _join(name, sub), {**constants, name: fragment}
    if "items" in schema:
        for sub, fragment in _wrong_typed(doc, schema["items"], depth + 1):
            yield _join("0", sub), [fragment]
    if isinstance(schema.get("additionalProperties"), dict):
        key = _schema(doc, schema.get("propertyNames", {})).get("enum", ["k"])[0]
        for sub, fragment in _wrong_typed(doc, schema["additionalProperties"], depth + 1):
            yield _join(key, sub), {key: fragment}


def test_a_body_number_boolean_or_time_of_another_json_type_is_refused_naming_it(client, staff):
    doc = client.get("/openapi.json").json()
    checked: set[str] = set()
    for method, path, op in _operations(client):
        content = op.get("requestBody", {}).get("content", {}).get("application/json")
        for field, body in _wrong_typed(doc, content["schema"]) if content else ():
            res = client.request(method, _path(path), json=body, headers=staff["admin"])
            assert res.status_code == 422, (method, path, body, res.status_code, res.text)
            named = [f["field"] for f in res.json()["error"]["fields"]]
            # a tagged union's variant is named first (grade.owners.analysis): the field ends the path
            assert any(f == field or f.endswith(f".{field}") for f in named), (method, path, body, named)
            checked.add(f"{method} {path} {field}")
    assert len(checked) > 20, sorted(checked)  # the walk found the API's typed fields, nested ones too


def test_nested_fields_and_forms_are_named_and_text_keeps_its_line_breaks(client, staff):
    body = {"type_code": "01", "new_reports": [a_report(channel="hotline", symptom="电话\x00反馈")]}
    _refused(client.post("/api/v1/faults", json=body, headers=staff["agent"]), "new_reports.0.symptom")
    kept = client.post("/api/v1/reports", json=a_report(description="第一段\n\t第二段\r\n第三段"))
    assert kept.status_code == 201 and kept.json()["report"]["description"] == "第一段\n\t第二段\r\n第三段"
    _refused(client.post("/login", data=form(client, username="agent1\x00", password="x")), "username")


@pytest.mark.parametrize("lang,word", [("en", "control characters"), ("zh", "控制字符")])
def test_the_reason_is_in_the_callers_language(client, lang, word):
    res = client.post("/api/v1/reports", json=a_report(symptom="a\x00"), headers={"Accept-Language": lang})
    assert word in res.json()["error"]["fields"][0]["reason"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"channel": "app", "symptom": "\xff\xfe"}',  # not UTF-8
        b"[" * 5000 + b"]" * 5000,  # nested past the decoder's depth
        b'{"channel": "app", "symptom": "x", "reporter_id": 1' + b"9" * 5000 + b"}",  # an integer of 5000 digits
    ],
)
def test_a_body_that_cannot_be_read_is_a_422_in_the_envelope(client, raw):
    for lang in ("zh", "en"):
        res = client.post(
            "/api/v1/reports", content=raw, headers={"Content-Type": "application/json", "Accept-Language": lang}
        )
        assert res.status_code == 422, res.text
        [field] = res.json()["error"]["fields"]
        assert field["field"] == "body" and field["reason"]


def test_truncated_json_names_the_body_and_says_where(client):
    res = client.post(
        "/api/v1/reports",
        content=b'{"channel": "app", "symptom":',
        headers={"Content-Type": "application/json", "Accept-Language": "en"},
    )
    assert res.status_code == 422
    [field] = res.json()["error"]["fields"]
    assert field["field"] == "body" and "character 29" in field["reason"]


def test_the_openapi_document_lists_the_real_errors_and_the_security_scheme(client):
    doc = client.get("/openapi.json").json()
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert "422" in codes, (method, path)
            for code in codes - {"200", "201", "202", "204"}:
                assert op["responses"][code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorOut"
                }
            if path.startswith("/api/v1/faults"):
                assert {"401", "403"} <= codes and op["security"] == [{"bearer": []}, {"session": []}]
    assert {"409", "412", "404"} <= set(doc["paths"]["/api/v1/faults/{number}/transitions"]["post"]["responses"])
    assert "429" in doc["paths"]["/api/v1/reports"]["post"]["responses"]
    assert "401" not in doc["paths"]["/api/v1/track/{token}"]["get"]["responses"]

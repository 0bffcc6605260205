"""The OpenAPI document says what each operation really answers: its security (a bearer token or
the web session; none for the public routes) and its error responses in the one error envelope,
so a client generated from ``/openapi.json`` knows every status it can meet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel

from faultdesk.entrypoints.common.context import current_actor, optional_actor


class FieldErrorOut(BaseModel):
    field: str
    reason: str


class ErrorDetailOut(BaseModel):
    code: str
    message: str
    fields: list[FieldErrorOut] | None = None


class ErrorOut(BaseModel):
    """Every error: a stable code, a message in the caller's language, the fields at fault."""

    error: ErrorDetailOut


SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "description": "a staff token from `faultdesk token create`"},
    "session": {"type": "apiKey", "in": "cookie", "name": "faultdesk_session", "description": "the console's login"},
}
WHY = {
    401: "not logged in, or the token or session is no longer valid",
    403: "the caller's role may not do this",
    404: "no such fault, report or record",
    409: "the action does not fit the fault's state, or clashes with what exists",
    412: "the fault changed since the If-Match version",
    422: "bad input: the fields and the reasons",
    429: "too many requests: wait Retry-After seconds",
}
_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
# Query parameters that name one record, as a path parameter does: an unknown one is a 404.
RECORD_QUERIES = {"fault"}


def _uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _uses(d, call) for d in dependant.dependencies)


def _statuses(route: APIRoute, method: str) -> list[int]:
    staff = _uses(route.dependant, current_actor)
    public = not staff
    codes = {422}
    if staff:
        codes |= {401, 403}
    elif _uses(route.dependant, optional_actor):
        codes.add(401)  # credentials are optional there, but bad ones are refused, not ignored
    queries = {p.alias for p in route.dependant.query_params}
    if "{" in route.path_format or queries & RECORD_QUERIES:
        codes.add(404)
    if method != "get":  # public ones too: a reused Idempotency-Key, a confirmation out of turn
        codes.add(409)
    if any(p.alias.lower() == "if-match" for p in route.dependant.header_params):
        codes.add(412)
    if public and (
        route.path_format.startswith(("/api/v1/reports", "/api/v1/track")) or _uses(route.dependant, optional_actor)
    ):
        codes.add(429)
    return sorted(codes)


def document(app: FastAPI) -> None:
    """Install an ``openapi()`` that adds the security scheme and the error responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = doc.setdefault("components", {})
        components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        schemas = components.setdefault("schemas", {})
        schemas.update(ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}").pop("$defs"))
        schemas["ErrorOut"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas["ErrorOut"].pop("$defs", None)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        for context in routing.iter_route_contexts(app.routes):  # included routers too, as get_openapi walks them
            route = getattr(context, "route", context)
            if not isinstance(route, APIRoute) or not route.include_in_schema:
                continue
            for method in route.methods or ():
                op = doc["paths"][route.path_format][method.lower()]
                if _uses(route.dependant, current_actor):
                    op["security"] = [{"bearer": []}, {"session": []}]
                elif _uses(route.dependant, optional_actor):
                    op["security"] = [{}, {"bearer": []}, {"session": []}]
                responses = op.setdefault("responses", {})
                for code in _statuses(route, method.lower()):
                    responses[str(code)] = {
                        "description": WHY[code],
                        "content": {"application/json": {"schema": _ERROR_REF}},
                    }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]

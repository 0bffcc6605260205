"""A request's form, read once for everyone who asks (the control-character guard, the CSRF
check, the route), with its uploaded files' temporary files closed when the request is done,
whether the route ran or a guard refused it first (an admin-only upload posted by an agent, a post
without its CSRF token): FastAPI closes the forms it parses itself the same way."""

from __future__ import annotations

from contextlib import AsyncExitStack

from starlette.datastructures import FormData
from starlette.requests import Request

_STACK = "fastapi_middleware_astack"  # FastAPI's per-request exit stack (fastapi/routing.py)


async def request_form(request: Request) -> FormData:
    form = await request.form()  # starlette keeps it: later calls get the same one
    stack = request.scope.get(_STACK)
    if isinstance(stack, AsyncExitStack) and not request.scope.get("faultdesk.form_closing"):
        request.scope["faultdesk.form_closing"] = True
        stack.push_async_callback(form.close)
    return form

"""A request's form, read once for everyone who asks (the control-character guard, the CSRF
check, the route), with its uploaded files' temporary files closed when the request is done,
whether the route ran or a guard refused it first (an admin-only upload posted by an agent, a post
without its CSRF token): FastAPI closes the forms it parses itself the same way.

A multipart body (the report form, the tracking page's screenshot, the import page) is parsed by
the ``multipart`` package's push parser instead of starlette's python-multipart, which walks the
part headers a byte at a time in Python: on the report form's 14 parts that was 358 µs a post
against 92 µs (bench/intake.py's form path is measured against the bare JSON endpoint). A
URL-encoded body is starlette's own parse. Every route reads its form here, never with
``request.form()``, so one parse serves them all.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from tempfile import SpooledTemporaryFile

import multipart
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

_STACK = "fastapi_middleware_astack"  # FastAPI's per-request exit stack (fastapi/routing.py)
_KEPT = "faultdesk.form"
# starlette's own limits for request.form(), kept: a text part past 1 MB, or more than 1,000 parts,
# is refused (the body's size is bounded before this by the BodyLimit middleware).
MAX_PARTS = 1000
MAX_TEXT_PART = 1024 * 1024
SPOOL_MAX = 1024 * 1024  # a file part past this goes to a temporary file on disk, as in starlette


async def request_form(request: Request) -> FormData:
    kept = request.scope.get(_KEPT)
    if isinstance(kept, FormData):
        return kept
    content_type, options = multipart.parse_options_header(request.headers.get("content-type", ""))
    if content_type == "multipart/form-data":
        form = await _multipart(request, options.get("boundary", ""))
    else:
        form = await request.form()
    request.scope[_KEPT] = form
    stack = request.scope.get(_STACK)
    if isinstance(stack, AsyncExitStack):
        stack.push_async_callback(form.close)
    return form


async def _multipart(request: Request, boundary: str) -> FormData:
    if not boundary:
        raise HTTPException(status_code=400, detail="Missing boundary in multipart.")
    items: list[tuple[str, str | UploadFile]] = []
    files: list[UploadFile] = []
    text: bytearray | None = None
    spool: SpooledTemporaryFile[bytes] | None = None
    segment: multipart.MultipartSegment | None = None
    try:
        with multipart.PushMultipartParser(boundary, max_segment_count=MAX_PARTS) as parser:
            async for chunk in request.stream():
                for event in parser.parse(chunk):
                    if isinstance(event, multipart.MultipartSegment):
                        segment = event
                        if event.filename is None:
                            text, spool = bytearray(), None
                        else:
                            # closed with the form (request_form), or below when the body is refused
                            text, spool = None, SpooledTemporaryFile(max_size=SPOOL_MAX)  # noqa: SIM115
                            upload = UploadFile(
                                file=spool,  # type: ignore[arg-type]
                                size=0,
                                filename=event.filename,
                                headers=Headers(raw=[(k.lower().encode(), v.encode()) for k, v in event.headerlist]),
                            )
                            files.append(upload)
                            items.append((event.name or "", upload))
                    elif event is None:  # the segment's end
                        assert segment is not None
                        if text is not None:
                            items.append((segment.name or "", text.decode("utf-8", errors="replace")))
                        elif spool is not None:
                            files[-1].size = segment.size
                            spool.seek(0)
                    elif text is not None:
                        if len(text) + len(event) > MAX_TEXT_PART:
                            raise HTTPException(status_code=400, detail="Part exceeded maximum size of 1024KB.")
                        text += event
                    elif spool is not None:
                        spool.write(event)
    except BaseException as exc:  # nothing reaches the route: the files taken so far are closed here
        for upload in files:
            upload.file.close()
        if isinstance(exc, multipart.MultipartError):
            raise HTTPException(status_code=400, detail=f"Malformed multipart body: {exc}") from None
        raise
    return FormData(items)

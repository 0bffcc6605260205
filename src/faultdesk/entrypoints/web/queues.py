"""The queues: the staff's home page ``/`` (UI.md), and its rows alone at ``/queue/rows`` for the
page's own refresh every 15 s (htmx swaps the table body only, so the filters keep their values
and focus). Every choice of the view is in the query string, so a view can be shared and reloaded.

The query is read here, not by FastAPI's parameters: a bad value (an unknown state, page 0, a date
in year 99999, a NUL) is shown beside its filter on the page itself, with status 422."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import Field, ValidationError

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.reports import Channel
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.labels import label
from faultdesk.entrypoints.common.queue_views import QueueView
from faultdesk.entrypoints.common.refusals import reasons
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import queues
from faultdesk.services.desk import Desk
from faultdesk.services.queues import Queue, QueueQuery
from faultdesk.services.records import QUEUE_SORTS, Actor, UserRecord

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 25
MAX_PAGE = 100_000  # as the API's page numbers


class QueueParams(QueueView):
    """The query string of a queue page; every name is the filter form's field name."""

    queue: Queue = Queue.MINE  # the home page opens on the caller's own work
    page: int = Field(1, ge=1, le=MAX_PAGE)


LISTS = ("status", "severity", "type", "product", "channel")


def _read(request: Request, lang: str) -> tuple[QueueParams, dict[str, str]]:
    """The view the URL asks for, or the default view and each bad field's reason."""
    raw: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in set(request.query_params.keys()):
        # (a NUL or other control character never gets here: common/text_guard.py refuses it first)
        values = [v for v in request.query_params.getlist(key) if v.strip()]
        if values:
            raw[key] = values if key in LISTS else values[-1]
    try:
        params = QueueParams.model_validate(raw)
    except ValidationError as exc:
        errors = reasons(exc, lang)
        params = QueueParams()
    if not errors and params.from_day and params.to_day and params.to_day < params.from_day:
        errors["to"] = "不能早于开始日期" if lang == "zh" else "is before the start day"
    return params, errors


def _query(params: QueueParams, zone: str) -> QueueQuery:
    return params.query(zone, page=params.page, page_size=PAGE_SIZE)


def _link(params: QueueParams, **changes: Any) -> str:
    """This view's query string with some choices changed (a tab, a page, a sort)."""
    values = {"queue": params.queue} | params.model_dump(by_alias=True, exclude_defaults=True) | changes
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        if value is None or value == [] or (key == "page" and value == 1):
            continue
        for v in value if isinstance(value, list) else [value]:
            pairs.append((key, v.isoformat() if isinstance(v, date) else str(getattr(v, "value", v))))
    return "?" + urlencode(pairs) if pairs else "?"


def queue_view(request: Request, lang: str, zone: str) -> QueueQuery | None:
    """The query of the view the URL asks for, or None when the URL has a bad value."""
    params, errors = _read(request, lang)
    return None if errors else _query(params, zone)


# The owner filter's <option>s for each language, drawn again only when the kept staff list is
# a new one (services.queues keeps it a few seconds; a commit writing users clears it): with 300
# staff they cost the page ~1.5 ms each time, a tenth of what it spent.
_owner_html: dict[str, tuple[list[UserRecord], Markup]] = {}


def _owner_options(users: list[UserRecord], lang: str, chosen: str | None) -> Markup:
    """Every active person with their role, the chosen one selected."""
    kept = _owner_html.get(lang)
    if kept is None or kept[0] is not users:
        option = Markup('<option value="{}">{} · {}</option>')
        html = Markup("").join(
            option.format(u.username, u.display_name, label(u.role, lang)) for u in users if u.active
        )
        kept = _owner_html[lang] = (users, html)
    if not chosen:
        return kept[1]
    mark = str(Markup('<option value="{}">').format(chosen))
    return Markup(str(kept[1]).replace(mark, mark[:-1] + " selected>", 1))  # (as str: Markup.replace escapes)


def _view(request: Request, desk: Desk, actor: Actor, *, fragment: bool) -> Response:
    lang = language_of(request, actor)
    params, errors = _read(request, lang)
    number = params.q if params.q and queues.NUMBER_LIKE.fullmatch(params.q) else None
    if number and not errors and not fragment and params.queue is not Queue.ALL:
        # A fault number is looked for among all faults, not only the tab's (on "my work" it found none).
        return RedirectResponse("/" + _link(params, queue=Queue.ALL, page=1), status_code=303)
    result = None
    if not errors:
        try:
            result = queues.open_queue(desk, _query(params, desk.timezone), actor=actor)
        except RuleViolation as exc:
            errors = reasons(exc, lang)
    if result is not None and not fragment and number and result.total == 1 and result.rows[0].fault.number == number:
        return RedirectResponse(f"/faults/{number}", status_code=303)  # the whole number: its page
    if result is None:  # the bad view is shown with its problems; the queue's numbers are the default view's
        result = queues.open_queue(desk, _query(QueueParams(), desk.timezone), actor=actor)
        result = replace(result, rows=[], total=0, page=1, pages=1)
    page_params = params.model_copy(update={"page": result.page})
    context = {
        "params": page_params,
        "result": result,
        "errors": errors,
        "link": lambda **changes: _link(page_params, **changes),
        "rows_url": "/queue/rows" + _link(page_params),
        "export_url": "/queue/export" + _link(page_params, page=1),
        "type_names": {t.code: (t.label_zh if lang == "zh" else t.label_en) for t in result.types},
        "owner_options": Markup() if fragment else _owner_options(result.users, lang, params.owner),
        "statuses": list(FaultStatus),
        "channels": list(Channel),
        "sorts": QUEUE_SORTS,
        "Queue": Queue,
        "fragment": fragment,
    }
    status_code = 422 if errors else 200
    template = "_queue_rows.html" if fragment else "queues.html"
    return render(request, template, context, desk=desk, actor=actor, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, desk: DeskDep, actor: StaffDep) -> Response:
    return _view(request, desk, actor, fragment=False)


@router.get("/queue/rows", response_class=HTMLResponse)
def rows(request: Request, desk: DeskDep, actor: StaffDep) -> Response:
    """The rows of a view alone, and the tabs' counts out of band: what the page's refresh swaps in."""
    return _view(request, desk, actor, fragment=True)

"""Knowledge and follow-up (issue #11 item 4): the knowledge base (``/kb``, ``/kb/{id}``), the
improvement actions from retrospectives (``/improvements``: mine, overdue, all, with their status
changes) and the releases with their notes and known issues (``/releases``).

The pages call the same services as the API (services/lifecycle, services/known_issues,
services/followup) with the same bodies (entrypoints/common/commands): ``ImprovementStatusIn``
and ``ReleaseIn``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from faultdesk.domain.errors import DomainError, NotPermitted, RuleViolation
from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.domain.roles import Permission, may
from faultdesk.entrypoints.common.commands import ImprovementStatusIn, ReleaseIn
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.fields import IdPath, PageNo
from faultdesk.entrypoints.common.labels import label as label_in
from faultdesk.entrypoints.common.refusals import reasons, said
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import catalogue, followup, known_issues, lifecycle
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor, ImprovementRecord

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

KB_LIMIT = 20
IMPROVEMENTS_PER_PAGE = 25  # as a queue page: each row carries its status form
RELEASES_PER_PAGE = 20

# A fault number in free text (both presets: 231025-01-001 and 20231025001), drawn as a link.
FAULT_NUMBER = re.compile(r"(?<![\w-])(\d{6}-\d{2}-\d{3,}|20\d{9,})(?![\w-])")


def pieces(text: str | None) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is a fault number): the template links the numbers and escapes
    every piece, so no HTML is ever built here from what a user wrote."""
    if not text:
        return []
    out: list[tuple[str, bool]] = []
    last = 0
    for m in FAULT_NUMBER.finditer(text):
        if m.start() > last:
            out.append((text[last : m.start()], False))
        out.append((m.group(1), True))
        last = m.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


# ---- knowledge base ----------------------------------------------------------------------------


@router.get("/kb", response_class=HTMLResponse)
def kb_search(
    request: Request, desk: DeskDep, actor: StaffDep, q: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    query = (q or "").strip()
    articles = lifecycle.search_kb(desk, query or None, actor=actor, limit=KB_LIMIT)
    context = {"nav": "kb", "q": query, "articles": articles, "limit": KB_LIMIT}
    return render(request, "kb.html", context, desk=desk, actor=actor)


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def kb_article(request: Request, article_id: IdPath, desk: DeskDep, actor: StaffDep) -> Response:
    article = followup.kb_article(desk, article_id, actor=actor)
    return render(request, "kb_article.html", {"nav": "kb", "a": article}, desk=desk, actor=actor)


# ---- improvement actions -------------------------------------------------------------------------


def _tab(tab: str | None) -> str:
    return tab if tab in followup.IMPROVEMENT_TABS else followup.MINE


def _row(actor: Actor, item: ImprovementRecord, today: Any, error: str | None = None) -> dict[str, Any]:
    return {
        "i": item,
        "may_change": followup.may_set_improvement_status(actor, item),
        "overdue": item.status is ActionStatus.OPEN and item.due < today,
        "error": error,
    }


def _rows_context(lang: str, rows: list[dict[str, Any]], tab: str, page: int) -> dict[str, Any]:
    """What ``_improvement_rows.html`` draws: the rows, and what every row's status form shares."""
    statuses = [(s.value, label_in(s, lang)) for s in ActionStatus]
    return {"rows": rows, "statuses": statuses, "tab": tab, "page_no": page}


def _improvements_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    tab: str,
    page: int,
    *,
    error: tuple[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    result, counts = followup.improvement_page(desk, tab, actor=actor, page=page, page_size=IMPROVEMENTS_PER_PAGE)
    today = followup.local_today(desk)
    rows = [_row(actor, item, today, error[1] if error and error[0] == item.id else None) for item in result.items]
    context = {
        "nav": "improvements",
        "result": result,
        "counts": counts,
        "error": error,
        **_rows_context(language_of(request, actor), rows, tab, page),
    }
    return render(request, "improvements.html", context, desk=desk, actor=actor, status_code=status_code)


@router.get("/improvements", response_class=HTMLResponse)
def improvements(
    request: Request, desk: DeskDep, actor: StaffDep, tab: str | None = None, page: PageNo = 1
) -> Response:
    return _improvements_page(request, desk, actor, _tab(tab), page)


@router.post("/improvements/{improvement_id}/status", response_class=HTMLResponse)
def change_improvement(
    request: Request,
    improvement_id: IdPath,
    desk: DeskDep,
    actor: StaffDep,
    status: Annotated[str, Form(max_length=20)] = "",
    tab: Annotated[str, Form(max_length=20)] = followup.MINE,
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
) -> Response:
    """One row's status: the row alone for htmx (swapped in place), else back to the list."""
    lang = language_of(request, actor)
    chosen = _tab(tab)
    item = followup.improvement(desk, improvement_id, actor=actor)  # NotFound: the error page
    error, status_code = None, 200
    try:
        body = ImprovementStatusIn.model_validate({"status": status})
        item = lifecycle.set_improvement_status(desk, improvement_id, body.status, actor=actor)
    except ValidationError as exc:
        error, status_code = reasons(exc, lang).get("status", ""), 422
    except NotPermitted as exc:
        error, status_code = said(exc, lang), 403
    if request.headers.get("hx-request") == "true":
        row = _row(actor, item, followup.local_today(desk), error)
        context = _rows_context(lang, [row], chosen, page)
        return render(request, "_improvement_rows.html", context, desk=desk, actor=actor, status_code=status_code)
    if error is not None:
        return _improvements_page(
            request, desk, actor, chosen, page, error=(improvement_id, error), status_code=status_code
        )
    return RedirectResponse(f"/improvements?tab={chosen}&page={page}", status_code=303)


# ---- releases --------------------------------------------------------------------------------------


RELEASE_FIELDS = ("product", "version", "released_on", "notes", "known_issues")


def _releases_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    page: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    result = followup.release_page(desk, actor=actor, page=page, page_size=RELEASES_PER_PAGE)
    products = catalogue.list_products(desk, actor=actor)
    context = {
        "nav": "releases",
        "result": result,
        "products": products,
        "names": catalogue.names_of(products),
        "pieces": pieces,
        "may_record": actor.role is not None and may(actor.role, Permission.MANAGE_CATALOGUE),
        "values": values or {},
        "errors": errors or {},
        "notice": notice,
        "recorded": request.query_params.get("recorded"),
    }
    return render(request, "releases.html", context, desk=desk, actor=actor, status_code=status_code)


@router.get("/releases", response_class=HTMLResponse)
def releases(request: Request, desk: DeskDep, actor: StaffDep, page: PageNo = 1) -> Response:
    return _releases_page(request, desk, actor, page)


@router.post("/releases", response_class=HTMLResponse)
def record_release(
    request: Request,
    desk: DeskDep,
    actor: StaffDep,
    product: Annotated[str, Form(max_length=100)] = "",
    version: Annotated[str, Form(max_length=200)] = "",
    released_on: Annotated[str, Form(max_length=40)] = "",
    notes: Annotated[str, Form(max_length=20_000)] = "",
    known_issues_text: Annotated[str, Form(alias="known_issues", max_length=20_000)] = "",
) -> Response:
    lang = language_of(request, actor)
    values = {
        "product": product,
        "version": version,
        "released_on": released_on,
        "notes": notes,
        "known_issues": known_issues_text,
    }
    try:
        body = ReleaseIn.model_validate({**values, "known_issues": known_issues_text.strip() or None})
        known_issues.add_release(
            desk, body.product, body.version, body.released_on, body.notes, body.known_issues, actor=actor
        )
    except ValidationError as exc:
        return _releases_page(request, desk, actor, 1, values=values, errors=reasons(exc, lang), status_code=422)
    except RuleViolation as exc:
        errors = reasons(exc, lang)
        return _releases_page(request, desk, actor, 1, values=values, errors=errors, status_code=422)
    except DomainError as exc:  # a version the product already has (409), or not a PM/admin (403)
        status_code = 403 if isinstance(exc, NotPermitted) else 409
        notice = said(exc, lang)
        return _releases_page(request, desk, actor, 1, values=values, notice=notice, status_code=status_code)
    return RedirectResponse(f"/releases?recorded={body.version}", status_code=303)

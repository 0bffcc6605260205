"""Stage 1 in the browser (故障接收与初步登记): the reports waiting for registration, one waiting
report beside its known-issue candidates — link it to one of them, or register a new fault from it
and the others selected —, merging a registered duplicate into its fault, and the entry form for
reports taken by phone or in person.

Every action calls the service the API calls (``faults.register_fault``, ``lifecycle.link_reports``,
``lifecycle.act`` with the ``merge`` command body, ``intake.submit_report``); this module only reads
the forms, shows what the services refuse beside the field it concerns, and redirects."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from math import ceil
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    RuleViolation,
)
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.matching.documents import DocumentKind, MatchField
from faultdesk.domain.reports import Channel, Network
from faultdesk.domain.roles import Permission, may
from faultdesk.entrypoints.common.commands import MergeIn, command_of
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.fields import (
    MAX_ID,
    IdPath,
    Text200,
)
from faultdesk.entrypoints.common.forms import request_form
from faultdesk.entrypoints.common.refusals import reasons, said, status_of
from faultdesk.entrypoints.common.reports import ReportIn
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import attachments, catalogue, clocks, faults, intake, known_issues, lifecycle
from faultdesk.services.desk import Desk
from faultdesk.services.known_issues import Candidate
from faultdesk.services.records import Actor, FaultView, ReportFilter, ReportView

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PAGE_SIZE = 20
MAX_SELECTED = 50  # reports carried into one registration from the waiting list
TITLE_MAX = 200
NEW_REPORT_COOKIE = "faultdesk_new_report"  # the tracking token of a report just taken, shown once
Errors = dict[str, str]  # field -> reason in the page's language


async def posted(request: Request) -> FormData:
    """The posted form (``check_csrf`` already read it; starlette keeps the one parse)."""
    return await request_form(request)


PostedDep = Annotated[FormData, Depends(posted)]


def _text(form: FormData, name: str) -> str | None:
    """A form field as typed, or None when left empty (an empty input means "not given")."""
    value = form.get(name)
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def _ids(values: list[Any]) -> list[int]:
    """Report ids from a query or form, in order, once each; what is not an id is dropped."""
    found: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit() and 1 <= int(part) <= MAX_ID and int(part) not in found:
                found.append(int(part))
    return found[:MAX_SELECTED]


# ---- the waiting list ---------------------------------------------------------------------------


def _day(value: str | None, field: str, errors: Errors, lang: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "须为日期（如 2026-11-25）" if lang == "zh" else "must be a date such as 2026-11-25"
        return None


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))


@router.get("/reports", response_class=HTMLResponse)
def waiting_reports(
    request: Request,
    desk: DeskDep,
    actor: StaffDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    channel: Annotated[list[str] | None, Query()] = None,
    received_from: Annotated[str | None, Query(max_length=20)] = None,
    received_to: Annotated[str | None, Query(max_length=20)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sort: Literal["-received_at", "received_at"] = "-received_at",
    pick: bool = False,
) -> Response:
    """The reports no fault has yet, newest first: the agent's stage 1 queue."""
    lang = language_of(request, actor)
    errors: Errors = {}
    channels = [Channel(c) for c in channel or [] if c in Channel._value2member_map_]
    first = _day(received_from, "received_from", errors, lang)
    last = _day(received_to, "received_to", errors, lang)
    text = (q or "").strip() or None
    flt = ReportFilter(
        linked=False,
        channel=channels,
        received_from=_local_midnight(first, desk.timezone) if first else None,
        received_to=_local_midnight(last + timedelta(days=1), desk.timezone) if last else None,
        text=text,
        sort=sort,
        page=page,
        page_size=PAGE_SIZE,
    )
    with desk.one_read():  # the reports, their clocks and the products' names: one transaction
        result = faults.list_reports(desk, flt, actor=actor)
        pages = max(1, ceil(result.total / PAGE_SIZE))
        if page > pages:  # past the end: the last page, not an empty one under "共 N 条"
            result = faults.list_reports(desk, replace(flt, page=pages), actor=actor)
        register = clocks.register_clocks(desk, [r.id for r in result.items], actor=actor)
        names = catalogue.names_of(catalogue.list_products(desk, actor=actor))
    kept: list[tuple[str, str]] = [("channel", c.value) for c in channels]
    kept += [(k, v) for k, v in (("received_from", received_from), ("received_to", received_to), ("q", text)) if v]
    if sort != "-received_at":
        kept.append(("sort", sort))

    def page_url(n: int) -> str:
        return "/reports?" + urlencode([*kept, ("page", str(n))])

    return render(
        request,
        "registration/waiting.html",
        {
            "nav": "reports",
            "result": result,
            "pages": pages,
            "page_url": page_url,
            "clocks": register,
            "names": names,
            "channels": list(Channel),
            "chosen": {c.value for c in channels},
            "filters": {"received_from": received_from or "", "received_to": received_to or "", "q": text or ""},
            "sort": sort,
            "errors": errors,
            "pick": pick,
            "may_register": actor.role is not None and may(actor.role, Permission.REGISTER_FAULT),
        },
        desk=desk,
        actor=actor,
        status_code=422 if errors else 200,
    )


@router.get("/reports/selected")
def selected_reports(ids: Annotated[list[str] | None, Query(max_length=MAX_SELECTED)] = None) -> Response:
    """The waiting list's checkboxes: the first report's page, carrying the others along."""
    chosen = _ids(ids or [])
    if not chosen:
        return RedirectResponse("/reports?pick=true", status_code=303)
    first, rest = chosen[0], chosen[1:]
    target = f"/reports/{first}" + (f"?with={','.join(map(str, rest))}" if rest else "")
    return RedirectResponse(target, status_code=303)


# ---- the hotline / offline entry form -----------------------------------------------------------


class HotlineReportForm(ReportIn):
    """A report taken by phone or in person: the API's ``ReportIn`` (the template's 故障信息), with
    the channel one of the two an agent takes reports from; the form's other fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    channel: Literal[Channel.HOTLINE, Channel.OFFLINE]


HOTLINE_FIELDS = tuple(HotlineReportForm.model_fields)


def _local_input(at: datetime, zone: str) -> str:
    """A time as a ``datetime-local`` input shows it, in the organisation's zone."""
    return at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


def _hotline_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    values: dict[str, str],
    *,
    errors: Errors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registration/new.html",
        {
            "nav": "reports",
            "values": values,
            "errors": errors or {},
            "notice": notice,
            "products": catalogue.list_products(desk, actor=actor),
            "networks": list(Network),
            "channels": [Channel.HOTLINE, Channel.OFFLINE],
        },
        desk=desk,
        actor=actor,
        status_code=status_code,
    )


@router.get("/reports/new", response_class=HTMLResponse)
def hotline_form(
    request: Request, desk: DeskDep, actor: StaffDep, channel: Literal["hotline", "offline"] = "hotline"
) -> Response:
    values = {
        "channel": channel,
        "received_at": _local_input(desk.clock.now(), desk.timezone),
        # A resubmitted form (a double click, a retry after a timeout) files the report once.
        "idempotency_key": secrets.token_urlsafe(18),
    }
    return _hotline_page(request, desk, actor, values)


@router.post("/reports/new", response_class=HTMLResponse)
def take_report(request: Request, desk: DeskDep, actor: StaffDep, form: PostedDep) -> Response:
    """Store a report taken by phone or in person through intake, as the API's staff path does."""
    lang = language_of(request, actor)
    values = {name: v for name in (*HOTLINE_FIELDS, "idempotency_key") if (v := _text(form, name)) is not None}
    fields = {k: v for k, v in values.items() if k in HOTLINE_FIELDS}
    try:
        entered = HotlineReportForm.model_validate(fields)
    except ValidationError as exc:
        return _hotline_page(request, desk, actor, values, errors=reasons(exc, lang), status_code=422)
    key = values.get("idempotency_key")
    try:
        submitted = intake.submit_report(
            desk,
            entered.draft(desk.timezone),
            actor=actor,
            client=f"staff:{actor.id}",  # the agent's own keys, whatever office address they call from
            idempotency_key=key[:200] if key else None,
        )
    except RuleViolation as exc:
        return _hotline_page(request, desk, actor, values, errors=reasons(exc, lang), status_code=422)
    except DomainError as exc:
        return _hotline_page(request, desk, actor, values, notice=said(exc, lang), status_code=status_of(exc))
    report_id = submitted.report.id
    response = RedirectResponse(f"/reports/{report_id}", status_code=303)
    # The reporter's tracking key is shown once, on the report's page, for the agent to read out.
    response.set_cookie(
        NEW_REPORT_COOKIE,
        submitted.tracking_token,
        max_age=600,
        path=f"/reports/{report_id}",
        httponly=True,
        samesite="strict",
        secure=bool(getattr(request.app.state, "cookie_secure", False)),
    )
    return response


# ---- one report beside its candidates -----------------------------------------------------------


@dataclass(frozen=True)
class CandidateRow:
    """A known-issue candidate as the page shows it: state in words, confidence as a percentage."""

    candidate: Candidate
    kind: DocumentKind | None
    status: FaultStatus | None
    percent: int
    fields: list[MatchField]

    @property
    def open(self) -> bool:
        return self.status is not None and self.status in lc.OPEN_STATES


def _candidate_rows(found: list[Candidate], skip: str | None) -> list[CandidateRow]:
    rows = []
    for c in found:
        if skip and c.fault_number == skip:
            continue  # the report's own fault is no candidate for it
        kind = DocumentKind(c.kind) if c.kind in DocumentKind._value2member_map_ else None
        status = FaultStatus(c.state) if c.state and c.state in FaultStatus._value2member_map_ else None
        fields = [MatchField(f) for f in c.fields if f in MatchField._value2member_map_]
        rows.append(CandidateRow(c, kind, status, round(c.confidence * 100), fields))
    return rows


def _selection(desk: Desk, actor: Actor, report: ReportView, carried: list[int]) -> tuple[list[ReportView], list[int]]:
    """The other reports carried from the waiting list, those still waiting; and the ids that are not."""
    chosen: list[ReportView] = []
    dropped: list[int] = []
    for report_id in carried:
        if report_id == report.id:
            continue
        try:
            other = faults.get_report(desk, report_id, actor=actor)
        except NotFound:
            dropped.append(report_id)
            continue
        if other.fault_id is not None:
            dropped.append(report_id)
        else:
            chosen.append(other)
    return chosen, dropped


def _new_token(request: Request, desk: Desk, report_id: int) -> str | None:
    """The tracking token of the report just taken on the hotline form, if this is its first showing."""
    token = request.cookies.get(NEW_REPORT_COOKIE)
    if not token or len(token) > 200:
        return None
    try:
        tracked = faults.track_report(desk, token)
    except NotFound:
        return None
    return token if tracked.report.id == report_id else None


def _report_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    report_id: int,
    carried: list[int],
    *,
    errors: Errors | None = None,
    notice: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    report = faults.get_report(desk, report_id, actor=actor)
    chosen, dropped = _selection(desk, actor, report, carried)
    found = known_issues.report_candidates(desk, report_id, actor=actor)
    fault: FaultView | None = None
    may_merge = False
    if report.fault_number:
        fault, actions = lifecycle.available_actions(desk, report.fault_number, actor=actor)
        may_merge = lc.Action.MERGE in actions
    register = clocks.register_clocks(desk, [report.id], actor=actor).get(report.id)
    token = _new_token(request, desk, report_id)
    products = catalogue.list_products(desk, actor=actor)
    types = [t for t in catalogue.list_fault_types(desk) if t.active]
    response = render(
        request,
        "registration/report.html",
        {
            "nav": "reports",
            "report": report,
            "attachments": attachments.of_reports(desk, [report.id], actor=actor).get(report.id, []),
            "fault": fault,
            "may_merge": may_merge,
            "may_register": actor.role is not None and may(actor.role, Permission.REGISTER_FAULT),
            "candidates": _candidate_rows(found, report.fault_number),
            "chosen": chosen,
            "dropped": dropped,
            "clock": register,
            "types": types,
            "names": catalogue.names_of(products),
            "values": {"title": report.symptom[:TITLE_MAX], "type_code": types[0].code if types else ""}
            | (values or {}),
            "errors": errors or {},
            "notice": notice,
            "token": token,
            "track_url": f"{str(request.base_url).rstrip('/')}/t/{token}" if token else None,
            "with_ids": ",".join(str(r.id) for r in chosen),
        },
        desk=desk,
        actor=actor,
        status_code=status_code,
    )
    if request.cookies.get(NEW_REPORT_COOKIE):
        response.delete_cookie(NEW_REPORT_COOKIE, path=f"/reports/{report_id}", httponly=True, samesite="strict")
    return response


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    request: Request,
    desk: DeskDep,
    actor: StaffDep,
    report_id: IdPath,
    with_: Annotated[str | None, Query(alias="with", max_length=1000)] = None,
) -> Response:
    return _report_page(request, desk, actor, report_id, _ids([with_ or ""]))


class RegisterForm(BaseModel):
    """登记为新故障: the fault's type and title (the API's ``FaultIn`` types them the same way)."""

    type_code: Annotated[str, Field(pattern=r"^\d{2}$")]
    title: Text200 | None = None


def _failed(
    request: Request,
    desk: Desk,
    actor: Actor,
    report_id: int,
    carried: list[int],
    exc: DomainError | ValidationError,
    values: dict[str, str],
) -> Response:
    """The report's page again, with what was refused beside its field or at the top."""
    lang = language_of(request, actor)
    if isinstance(exc, ValidationError | RuleViolation):
        errors, notice, status = reasons(exc, lang), None, 422
    else:
        errors, notice, status = {}, said(exc, lang), status_of(exc)
    return _report_page(
        request, desk, actor, report_id, carried, errors=errors, notice=notice, values=values, status_code=status
    )


@router.post("/reports/{report_id}/register", response_class=HTMLResponse)
def register_from_report(
    request: Request, desk: DeskDep, actor: StaffDep, report_id: IdPath, form: PostedDep
) -> Response:
    """登记为新故障: a numbered fault from this report and the others carried along, in one click."""
    carried = _ids(form.getlist("report_ids"))
    values = {name: v for name in ("type_code", "title") if isinstance(v := form.get(name), str)}
    try:
        entered = RegisterForm.model_validate({k: v for k, v in values.items() if v.strip()})
        report = faults.get_report(desk, report_id, actor=actor)
        registered = faults.register_fault(
            desk,
            faults.FaultRegistration(
                type_code=entered.type_code,
                report_ids=[report_id, *(i for i in carried if i != report_id)],
                title=entered.title,
                product=report.product_code,
                function=report.function_code,
            ),
            actor=actor,
        )
    except (DomainError, ValidationError) as exc:  # a report that does not exist: its page is the 404
        return _failed(request, desk, actor, report_id, carried, exc, values)
    return RedirectResponse(f"/faults/{registered.fault.number}", status_code=303)


@router.post("/reports/{report_id}/link", response_class=HTMLResponse)
def link_to_fault(request: Request, desk: DeskDep, actor: StaffDep, report_id: IdPath, form: PostedDep) -> Response:
    """关联到此故障: this report (and those carried along) become more reports of a known fault."""
    carried = _ids(form.getlist("report_ids"))
    number = _text(form, "number")
    try:
        if number is None or len(number) > 40:
            raise RuleViolation.one("number", "choose a fault", "请选择故障单")
        lifecycle.link_reports(desk, number.strip(), [report_id, *(i for i in carried if i != report_id)], actor=actor)
    except DomainError as exc:
        return _failed(request, desk, actor, report_id, carried, exc, {})
    return RedirectResponse(f"/faults/{number.strip()}", status_code=303)


@router.post("/reports/{report_id}/merge", response_class=HTMLResponse)
def merge_fault(request: Request, desk: DeskDep, actor: StaffDep, report_id: IdPath, form: PostedDep) -> Response:
    """合并到 …: the report's fault was registered twice; it becomes a duplicate of ``into``
    (the lifecycle's ``merge`` action, with the same command body as the API's)."""
    values = {"into": _text(form, "into") or ""}
    version = _text(form, "version")
    try:
        report = faults.get_report(desk, report_id, actor=actor)
        if report.fault_number is None:
            raise Conflict("this report has no fault to merge yet", "该反馈尚未登记，无可合并的故障单")
        body = MergeIn.model_validate({"action": "merge", "into": values["into"]})
        command = command_of(body, desk.timezone, desk.clock.now())
        if_match = int(version) if version and version.isdigit() else None
        lifecycle.act(desk, report.fault_number, command, actor=actor, if_match=if_match)
    except (DomainError, ValidationError) as exc:
        return _failed(request, desk, actor, report_id, [], exc, values)
    return RedirectResponse(f"/faults/{body.into}", status_code=303)

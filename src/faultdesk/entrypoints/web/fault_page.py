"""The fault page (``/faults/{number}``): header, reports, clocks, one timeline, and exactly the
actions the caller may take now — each a form drawn from its command's body, validated by the
same model as the API and taken through the same service, with the fault's version as If-Match.

Every form works as a plain post (303 back to the page) and, with htmx, swaps only itself: a 422
shows its reasons beside the fields, a stale version shows who changed what meanwhile."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from pydantic import ValidationError

from faultdesk.domain import lifecycle as lc
from faultdesk.domain import sla
from faultdesk.domain.errors import Conflict, DomainError, NotFound, NotPermitted, RuleViolation, StaleVersion
from faultdesk.domain.public_issues import publishable
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Permission, Role, may
from faultdesk.entrypoints.common.commands import BODY_OF, command_of, fields_of
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.forms import request_form
from faultdesk.entrypoints.common.labels import DELIVERY_CHANNEL, REPORT_CHANNEL, field_label, value_label, words
from faultdesk.entrypoints.common.labels import label as label_in
from faultdesk.entrypoints.common.refusals import reasons, said, status_of
from faultdesk.entrypoints.web import action_forms as af
from faultdesk.entrypoints.web import timeline as tl
from faultdesk.entrypoints.web.rendering import StaffDep, in_language, language_of, render, templates
from faultdesk.services import (
    attachments,
    catalogue,
    clocks,
    delivery,
    faults,
    impact,
    lifecycle,
    public_issues,
    replies,
    staff,
)
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

FormData = dict[str, list[str]]


async def posted(request: Request) -> FormData:
    """The posted form, every name with all its values (check_csrf has read it already)."""
    form = await request_form(request)
    return {k: [v for v in form.getlist(k) if isinstance(v, str)] for k in form}


PostedDep = Annotated[FormData, Depends(posted)]


@dataclass
class ActionForm:
    """One action's form as drawn: its widgets, the values to show, the reasons beside the fields,
    and what to say at its top (a refusal, or the conflict's story)."""

    action: lc.Action
    widgets: list[af.Widget]
    values: FormData = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    conflict: list[tl.Entry] | None = None
    open: bool = False
    hint: dict[str, Any] = field(default_factory=dict)  # grading: the suggestion
    orphan: bool = False  # an action the caller may not take now: only its refusal is shown

    def first(self, name: str) -> str:
        values = self.values.get(name) or []
        return values[0] if values else ""

    def has(self, name: str, value: Any) -> bool:
        return str(value) in (self.values.get(name) or [])

    def rows(self, name: str) -> int:
        return af.rows_to_draw(self.values, name)


def _people(desk: Desk, actor: Actor) -> tuple[tl.People, list[Any]]:
    users = staff.directory(desk, actor=actor)
    by_name = {u.username: tl.Person(u.display_name, u.role) for u in users}
    by_id = {u.id: tl.Person(u.display_name, u.role) for u in users}
    order = list(Role)
    active = sorted((u for u in users if u.active), key=lambda u: (order.index(u.role), u.display_name))
    return tl.People(by_name, by_id), active


def _form(action: lc.Action, view: Any, suggestion: Any) -> ActionForm:
    fields = fields_of(action)
    form = ActionForm(action, af.widgets(fields.properties, fields.required))
    if action is lc.Action.GRADE and suggestion is not None:
        form.values = {"severity": [suggestion.severity.name]}
        form.hint = {"suggested": suggestion.severity.name, "reasons": suggestion.reasons}
    if action is lc.Action.RECORD_VERIFICATION:
        form.values = {f"results.{i}.key": [c.key] for i, c in enumerate(view.cases)}
    return form


def _page(
    request: Request, desk: Desk, actor: Actor, number: str, *, redo: ActionForm | None = None, **extra: Any
) -> dict[str, Any]:
    with desk.one_read():  # a dozen services, one transaction, the fault read once
        return _read_page(request, desk, actor, number, redo=redo, **extra)


def _read_page(
    request: Request, desk: Desk, actor: Actor, number: str, *, redo: ActionForm | None, **extra: Any
) -> dict[str, Any]:
    lang = language_of(request, actor)
    view, reports = faults.get_fault(desk, number, actor=actor)
    _, allowed = lifecycle.available_actions(desk, number, actor=actor)
    people, active = _people(desk, actor)
    events = faults.fault_timeline(desk, number, actor=actor)
    entries = tl.build(
        records=lifecycle.stage_records(desk, number, actor=actor),
        events=events,
        # the newest 200: a long P0's timeline keeps its latest updates (it is told newest first)
        messages=delivery.list_messages(desk, actor=actor, state=None, fault=number, limit=200, newest_first=True),
        people=people,
        zone=desk.timezone,
        lang=lang,
    )
    suggestion = lifecycle.severity_suggestion(desk, number, actor=actor) if lc.Action.GRADE in allowed else None
    forms = []
    if redo is not None and redo.action not in allowed:
        redo.orphan = True  # said at the top; no form for what cannot be done now
        forms.append(redo)
    for action in allowed:
        if redo is not None and redo.action is action:
            redo.hint = _form(action, view, suggestion).hint
            forms.append(redo)
        else:
            forms.append(_form(action, view, suggestion))
    role = actor.role
    can_message = role is not None and may(role, Permission.MESSAGE_REPORTERS)
    types = {t.code: t for t in catalogue.list_fault_types(desk)}
    clock_rows = [row for row, _ in clocks.fault_clocks(desk, number, actor=actor)]
    return {
        "fault": view,
        "next_steps": lc.next_steps(view.life),  # whose turn it is: each role's actions now
        "finished": view.status in lc.CLOSED_STATES,
        "reports": reports,
        "attachments": attachments.of_reports(desk, [r.id for r in reports], actor=actor),
        "reach": {r.report_id: r for r in replies.reach(desk, reports)},
        "impact": impact.breakdown(desk, number, actor=actor),
        "clocks": clock_rows,
        "first_reply_owed": sla.first_reply_owed(row.clock for row in clock_rows),  # the checkbox's default
        "entries": entries,
        "severity_history": lifecycle.severity_history(desk, number, actor=actor),
        "forms": forms,
        "people": people,
        "staff_options": StaffOptions(active, lang),
        "fault_type": types.get(view.type_code),
        "names": catalogue.names_of(catalogue.list_products(desk, actor=actor)) if view.product_code else {},
        "seen": max((e.id or 0 for e in events), default=0),
        "can_reveal": role is not None and may(role, Permission.REVEAL_CONTACT),
        # a closed fault's clocks were met as it closed: nothing to pause or resume
        "can_pause": role is not None and may(role, Permission.PAUSE_CLOCKS) and view.status in lc.OPEN_STATES,
        "can_message": can_message,
        "can_publish": role is not None and may(role, Permission.PUBLISH_KNOWN_ISSUE),
        "publishable": publishable(view.status),
        "drafts": replies.drafts(desk, view, actor=actor) if can_message else [],
        "revealed": {},
        "sent": None,  # a reply just sent: to how many
        "once": secrets.token_urlsafe(12),  # names this page's reply form (post_update sends it once)
        "update_error": None,
        "pause_error": None,
        "public_error": None,
        "public_values": {},
        **extra,
    }


@router.get("/faults/{number}", response_class=HTMLResponse)
def fault_page(
    request: Request,
    number: str,
    desk: DeskDep,
    actor: StaffDep,
    sent: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:
    """``sent``: a reply just went out (the reply box said to how many reporters)."""
    context = _page(request, desk, actor, number, sent=sent)
    return render(request, "fault.html", context, desk=desk, actor=actor)


def _back(request: Request, number: str, then: str = "") -> Response:
    target = f"/faults/{number}{then}"
    if request.headers.get("hx-request") == "true":  # the whole page again: every part may have moved
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _int(values: list[str] | None) -> int | None:
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


def _field_path(loc: tuple[Any, ...]) -> str:
    """A command's field as the form names it (``plan.deadline``, ``cases.0.key``)."""
    return af.error_path([p for p in loc if p != "action"])


@router.post("/faults/{number}/act/{action}", response_class=HTMLResponse)
def take_action(
    request: Request, number: str, action: str, data: PostedDep, desk: DeskDep, actor: StaffDep
) -> Response:
    lang = language_of(request, actor)
    try:
        chosen = lc.Action(action)
    except ValueError:
        raise NotFound(f"no action {action}", "没有这个操作") from None
    fields = fields_of(chosen)
    # The form's hidden ``version`` (the fault's, for If-Match) comes first; an action with its own
    # ``version`` field (release_full's release version) reads only the values after it.
    posted = {**data, "version": list(data.get("version") or [])[1:]} if "version" in fields.properties else data
    form = ActionForm(chosen, af.widgets(fields.properties, fields.required), values=posted, open=True)
    body = af.body_of(chosen.value, fields.properties, posted)
    status = 200
    try:
        model = BODY_OF[chosen].model_validate(body)
        command = command_of(model, desk.timezone, desk.clock.now())
        lifecycle.act(desk, number, command, actor=actor, if_match=_int(data.get("version")))
        return _back(request, number)
    except ValidationError as exc:
        form.errors, status = reasons(exc, lang, name=_field_path), 422
    except RuleViolation as exc:
        form.errors, status = reasons(exc, lang), 422
    except StaleVersion as exc:
        people, _ = _people(desk, actor)
        events = faults.fault_timeline(desk, number, actor=actor)
        seen = _int(data.get("seen")) or 0
        form.conflict = tl.changes_since(events, seen, people, desk.timezone, lang)
        if not form.conflict:  # a change no audit event tells (none today): the service's own words
            form.notice = said(exc, lang)
        status = 412
    except DomainError as exc:  # not permitted (403), InvalidTransition, Conflict (409): said at the top
        form.notice, status = said(exc, lang), status_of(exc)
    context = _page(request, desk, actor, number, redo=form)
    if form.conflict is not None:
        # Nothing of theirs was written; the form keeps what they typed, on the version they saw.
        context["fault_version_seen"] = _int(data.get("version"))
    template = "fragments/fault_action.html" if request.headers.get("hx-request") == "true" else "fault.html"
    return render(request, template, {**context, "form": form}, desk=desk, actor=actor, status_code=status)


@router.post("/faults/{number}/reports/{report_id}/contact", response_class=HTMLResponse)
def reveal(request: Request, number: str, report_id: int, desk: DeskDep, actor: StaffDep) -> Response:
    """The reporter's contact in clear for those who reply to them (audited by the service)."""
    contact = faults.reveal_contact(desk, report_id, actor=actor)
    if request.headers.get("hx-request") == "true":
        return render(
            request, "fragments/fault_contact.html", {"contact": contact, "number": number}, desk=desk, actor=actor
        )
    context = _page(request, desk, actor, number, revealed={report_id: contact})
    return render(request, "fault.html", context, desk=desk, actor=actor)


def _side_form(
    request: Request, desk: Desk, actor: Actor, number: str, key: str, exc: DomainError, status: int
) -> Response:
    lang = language_of(request, actor)
    problems = reasons(exc, lang) if isinstance(exc, RuleViolation) else {"": said(exc, lang)}
    extra: dict[str, Any] = {key: problems}
    context = _page(request, desk, actor, number, **extra)
    return render(request, "fault.html", context, desk=desk, actor=actor, status_code=status)


@router.post("/faults/{number}/clocks/pause", response_class=HTMLResponse)
def pause(request: Request, number: str, data: PostedDep, desk: DeskDep, actor: StaffDep) -> Response:
    reason = (data.get("reason") or [""])[0].strip()
    if len(reason) > 200:
        exc = RuleViolation.one("reason", "at most 200 characters", "长度不能超过 200 个字符")
        return _side_form(request, desk, actor, number, "pause_error", exc, 422)
    try:
        clocks.pause_clocks(desk, number, actor=actor, reason=reason)
    except (RuleViolation, Conflict) as exc:  # a blank reason (422), a closed fault (409)
        return _side_form(request, desk, actor, number, "pause_error", exc, status_of(exc))
    return _back(request, number)


@router.post("/faults/{number}/clocks/resume", response_class=HTMLResponse)
def resume(request: Request, number: str, desk: DeskDep, actor: StaffDep) -> Response:
    try:
        clocks.pause_clocks(desk, number, actor=actor, reason="", resume=True)
    except Conflict as exc:  # a closed fault
        return _side_form(request, desk, actor, number, "pause_error", exc, 409)
    return _back(request, number)


@router.post("/faults/{number}/updates", response_class=HTMLResponse)
def post_update(request: Request, number: str, data: PostedDep, desk: DeskDep, actor: StaffDep) -> Response:
    """The reply box: the text as written (an emptied box is refused here, though the API sends the
    template's first reply for none), sent once per form, then the page says to how many."""
    text = (data.get("text") or [""])[0].strip() or None
    first_reply = (data.get("first_reply") or [""])[0] == "true"
    once = (data.get("once") or [""])[0][:64] or None
    if text is None:
        exc = RuleViolation.one("text", "write the reply first", "请先填写回复内容")
        return _side_form(request, desk, actor, number, "update_error", exc, 422)
    if len(text) > 5000:
        exc = RuleViolation.one("text", "at most 5000 characters", "长度不能超过 5000 个字符")
        return _side_form(request, desk, actor, number, "update_error", exc, 422)
    try:
        sent = clocks.post_update(desk, number, text, actor=actor, first_reply=first_reply, once=once)
    except RuleViolation as exc:
        return _side_form(request, desk, actor, number, "update_error", exc, 422)
    except Conflict as exc:
        return _side_form(request, desk, actor, number, "update_error", exc, 409)
    return _back(request, number, f"?sent={sent}#reply-h")


@router.post("/faults/{number}/public", response_class=HTMLResponse)
def publish(request: Request, number: str, data: PostedDep, desk: DeskDep, actor: StaffDep) -> Response:
    """Mark the fault a public known issue with words for end users, change them, or withdraw it
    (the same service as ``POST/DELETE /api/v1/faults/{number}/public``)."""
    title, status = ((data.get(name) or [""])[0] for name in ("public_title", "public_status"))
    version = _int(data.get("version"))
    try:
        if (data.get("withdraw") or [""])[0] == "1":
            public_issues.withdraw(desk, number, actor=actor, if_match=version)
        else:
            public_issues.publish(desk, number, title, status, actor=actor, if_match=version)
    except NotPermitted:
        raise  # a page of its own (the error mapping), not a form's notice
    except DomainError as exc:  # bad words (422), a stale version (412), a merged fault (409)
        code = status_of(exc)
        lang = language_of(request, actor)
        problems = reasons(exc, lang) if isinstance(exc, RuleViolation) else {"": said(exc, lang)}
        values = {"public_title": title, "public_status": status}
        context = _page(request, desk, actor, number, public_error=problems, public_values=values)
        return render(request, "fault.html", context, desk=desk, actor=actor, status_code=code)
    return _back(request, number)


def field_words(lang: str, name: str) -> str:
    """A form field's label by the last word of its path (``cases.0.key`` → 用例编号; a row's
    number is skipped: ``cases.0`` → 验证用例)."""
    words = [part for part in name.split(".") if not part.isdigit()]
    return field_label(words[-1], lang) if words else ""


DRAFT_WORDS = {
    "first_reply": ("首次反馈", "first reply"),
    "closing": ("闭环沟通：已修复，请协助验证", "closing: fixed, please check"),
    "located": ("进度：已定位，正在修复", "progress: found, fixing"),
    "next_release": ("进度：计划下个版本修复", "progress: fixed in the next release"),
}


def _worded(table: dict[Any, tuple[str, str]], convert: Any = None) -> Any:
    def word(lang: str, code: Any) -> str:
        try:
            key = convert(code) if convert else code
        except ValueError:
            key = code
        return words(table, key, lang)

    return word


class StaffOptions:
    """The staff pickers' ``<option>``s, escaped once a page: every user picker of every action form
    lists the same few hundred people (600 options on a PM's page drawn by a Jinja loop cost ~4 ms)."""

    def __init__(self, people: list[Any], lang: str) -> None:
        self.parts = [
            (
                str(u.id),
                f'<option value="{u.id}" ',
                f">{escape(bare_name(u.display_name))} · {escape(label_in(u.role, lang))}</option>",
            )
            for u in people
        ]

    def __call__(self, form: ActionForm, path: str) -> Markup:
        chosen = set(form.values.get(path) or [])
        return Markup("".join(f"{head}{'selected' if key in chosen else ''}{tail}" for key, head, tail in self.parts))


def bare_name(name: str) -> str:
    """A display name without the role some carry in brackets ("张伟 (技术负责人)"): the page adds
    the role in words beside it, once."""
    return tl.bare(name)


templates.env.filters["bare_name"] = bare_name
in_language("field_words", field_words)
in_language("value_label", lambda lang, field_name, value: value_label(field_name, value, lang))
in_language("channel_word", _worded(REPORT_CHANNEL, Channel))
in_language("channel_word_delivery", _worded(DELIVERY_CHANNEL))
in_language("draft_word", _worded(DRAFT_WORDS))

"""The reporter's pages (no login): the report form ``/report``, its receipt, and the tracking page
``/t/{token}`` with the closing check and the satisfaction rating.

They work without JavaScript (plain posts, 303 after success) and in an app's webview
(``embed=1`` drops the site frame). A report goes through the API's own model (``ReportIn``) and
service (``intake.submit_report``) under the API's rate limits; the receipt's token travels in a
short-lived cookie, never in a URL a log could keep."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from faultdesk.domain.attachments import FIELD as FILES_FIELD
from faultdesk.domain.attachments import MAX_ATTACHMENTS, check_count, size_text
from faultdesk.domain.errors import DomainError, NotFound, RuleViolation, Throttled
from faultdesk.domain.reporter_status import WORDS, reporter_status, status_words
from faultdesk.domain.reports import Channel, Contact, Network
from faultdesk.domain.sla import ClockKind, Mode
from faultdesk.entrypoints.common.clients import client_of
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.forms import request_form
from faultdesk.entrypoints.common.limits import limit_public
from faultdesk.entrypoints.common.refusals import reasons
from faultdesk.entrypoints.common.reports import RatingIn, ReportIn
from faultdesk.entrypoints.web.rendering import language_of, render
from faultdesk.services import intake, lifecycle, messages, public_issues, reporters
from faultdesk.services.attachments import IncomingFile
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

PUBLIC_CHANNELS = (Channel.APP, Channel.WEB, Channel.MINI_PROGRAM)
RECEIPT_COOKIE = "faultdesk_receipt"
RECEIPT_LIFETIME = timedelta(hours=1)
HONEYPOT = "website"  # hidden from people; bots fill every field
FOLLOW = "follow"  # "这就是我遇到的问题": the public fault's number, on the button pressed
_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,40}$")
_COUNTED = re.compile(r"^[fk][0-9]{1,10}$")
FORM_FIELDS = (
    "symptom",
    "scenario",
    "occurred_at",
    "device_model",
    "os_version",
    "app_version",
    "network",
    "description",
    "product",
    "function",
    "contact",
    "reporter_id",
    "channel",
)


def _desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def _embed(request: Request) -> bool:
    return request.query_params.get("embed") == "1"


def _suffix(embed: bool) -> str:
    return "?embed=1" if embed else ""


def _page(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> Response:
    context = {"embed": _embed(request), **context}
    return render(request, name, context, desk=_desk(request), actor=None, status_code=status_code)


def _problem_page(request: Request, exc: DomainError, status_code: int) -> Response:
    lang = language_of(request)
    headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, Throttled) else None
    response = _page(
        request,
        "public_error.html",
        {"status": status_code, "message": exc.message if lang == "en" else exc.message_zh},
        status_code=status_code,
    )
    if headers:
        response.headers.update(headers)
    return response


def first_reply_hours(desk: Desk) -> tuple[int, bool]:
    """The first-reply promise from the clocks' policy: (hours, in working hours only)."""
    budget = desk.policy.budget(ClockKind.FIRST_REPLY, None)
    span = budget.span or timedelta(hours=1)
    return max(1, round(span.total_seconds() / 3600)), budget.mode is Mode.BUSINESS


# ---- the report form ----------------------------------------------------------------------------


def _form_context(request: Request, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    desk = _desk(request)
    return {
        "values": values,
        "errors": errors,
        "catalogue": reporters.form_catalogue(desk),
        "networks": list(Network),
        "max_size": size_text(desk.attachment_max_bytes),
        "now_local": desk.clock.now().astimezone(ZoneInfo(desk.timezone)).strftime("%Y-%m-%dT%H:%M"),
    }


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, channel: str = "web", reporter_id: str | None = None) -> Response:
    preset = channel if channel in {c.value for c in PUBLIC_CHANNELS} else Channel.WEB.value
    values = {"channel": preset, "reporter_id": (reporter_id or "")[:100]}
    return _page(request, "report_form.html", _form_context(request, values, {}))


# A form's words for what the API says in a developer's (an ISO 8601 example, "field required").
_PLAIN = {
    "missing": ("请填写此项", "Please fill this in"),
    "string_too_short": ("请填写此项", "Please fill this in"),
    "datetime_parsing": ("请按“年-月-日 时:分”填写，如 2026-11-25 10:30", "Write it as year-month-day hour:minute"),
    "datetime_from_date_parsing": (
        "请按“年-月-日 时:分”填写，如 2026-11-25 10:30",
        "Write it as year-month-day hour:minute",
    ),
    "enum": ("请从列表中选择", "Please choose from the list"),
}


# The rating's refusals in a reporter's words (pydantic's would say "Input should be …").
_RATING_WORDS = {
    "int_parsing": ("请选择 1–5 分", "choose from 1 to 5"),
    "int_type": ("请选择 1–5 分", "choose from 1 to 5"),
    "greater_than_equal": ("请选择 1–5 分", "choose from 1 to 5"),
    "less_than_equal": ("请选择 1–5 分", "choose from 1 to 5"),
    "missing": ("请选择 1–5 分", "choose from 1 to 5"),
    "string_too_long": ("长度不能超过 5000 个字符", "at most 5000 characters"),
}


def _reasons(exc: ValidationError | RuleViolation, lang: str) -> dict[str, str]:
    """The reporter's words for bad input; the attachments field says every file's problem."""
    return reasons(exc, lang, plain=_PLAIN, joined=(FILES_FIELD,))


async def _files(raw: FormData, max_bytes: int) -> list[IncomingFile] | RuleViolation:
    """The chosen files of the form's ``attachments`` input, each read to one byte past the limit
    at most (enough to refuse it); an input left empty sends a nameless empty part, skipped. More
    than allowed are refused by count before any is read. The parsed form's temporary files are
    closed here, read or not."""
    parts = [p for p in raw.getlist(FILES_FIELD) if isinstance(p, UploadFile) and (p.filename or p.size)]
    try:
        check_count(len(parts), MAX_ATTACHMENTS)
        return [IncomingFile(p.filename or "", await p.read(max_bytes + 1)) for p in parts]
    except RuleViolation as exc:
        return exc
    finally:
        await raw.close()


def _again(lang: str) -> str:
    """A page shown again cannot keep the files chosen (browsers never prefill a file input)."""
    if lang == "en":
        return "Nothing was stored: please choose your files again."
    return "尚未保存：请重新选择附件。"


def _to_receipt(request: Request, token: str) -> Response:
    response = RedirectResponse("/report/receipt" + _suffix(_embed(request)), status_code=303)
    response.set_cookie(
        RECEIPT_COOKIE,
        token,
        max_age=int(RECEIPT_LIFETIME.total_seconds()),
        path="/report",
        httponly=True,
        samesite="strict",
        secure=bool(getattr(request.app.state, "cookie_secure", False)),
    )
    return response


def _submit(
    request: Request,
    form: dict[str, str],
    trap: bool,
    files: list[IncomingFile] | RuleViolation,
    follow: str | None = None,
) -> Response:
    """The post's work, in the threadpool: the limit, the API's model, the intake service."""
    desk, lang = _desk(request), language_of(request)
    try:
        limit_public(request, "intake")
    except Throttled as exc:
        return _problem_page(request, exc, 429)
    if trap:  # a bot: it sees a receipt like anyone's, and nothing is stored
        return _to_receipt(request, desk.secrets.new_token())
    values = {k: v for k, v in form.items() if v}
    errors: dict[str, str] = {}
    if values.get("channel") not in {c.value for c in PUBLIC_CHANNELS}:
        errors["channel"] = "unknown channel" if lang == "en" else "未知渠道"
        values["channel"] = Channel.WEB.value
    try:
        body = ReportIn(**values)
    except ValidationError as exc:
        errors |= _reasons(exc, lang)
        body = None
        if values.get("contact") and "contact" not in errors:  # the intake's own rule, told at the same time
            try:
                Contact.parse(values["contact"])
            except RuleViolation as problem:
                errors |= _reasons(problem, lang)
    if isinstance(files, RuleViolation):  # too many files: told with the other fields' problems
        errors |= _reasons(files, lang)
    elif body is not None and not errors:
        try:
            result = intake.submit_report(
                desk,
                body.draft(desk.timezone),
                actor=Actor.public(),
                client=client_of(request),
                files=files,
                follow=follow,
            )
        except RuleViolation as exc:
            errors = _reasons(exc, lang)
        else:
            return _to_receipt(request, result.tracking_token)
    if files and FILES_FIELD not in errors:
        errors[FILES_FIELD] = _again(lang)
    return _page(request, "report_form.html", _form_context(request, form, errors), status_code=422)


@router.post("/report", response_class=HTMLResponse)
async def submit_report(request: Request) -> Response:
    raw = await request_form(request)
    form = {name: str(raw.get(name) or "").strip() for name in FORM_FIELDS}
    trap = bool(str(raw.get(HONEYPOT) or "").strip())
    follow = str(raw.get(FOLLOW) or "").strip()
    files = await _files(raw, _desk(request).attachment_max_bytes)  # closes the form's files
    return await run_in_threadpool(_submit, request, form, trap, files, follow if _NUMBER.match(follow) else None)


# ---- deflection: what the form suggests while the symptom is typed --------------------------------


@router.get("/report/suggestions", response_class=HTMLResponse)
def suggestions(request: Request, symptom: str = "", counted: str = "") -> Response:
    """The public known issues and articles matching the symptom typed so far (static/js/reporter.js
    asks, debounced, from the third character): public words only, never an internal title.
    Throttled or empty, the answer is empty: the form works on without suggestions."""
    try:
        limit_public(request, "suggest")
    except Throttled:
        return Response(status_code=204)
    seen = frozenset(k for k in counted.split(",")[:50] if _COUNTED.match(k))
    found = public_issues.suggestions(_desk(request), symptom, counted=seen)
    if found.empty:
        return Response(status_code=204)
    lang = language_of(request)
    words = {i.key: WORDS[reporter_status(i.status)][0 if lang == "zh" else 1] for i in found.issues}
    return _page(request, "fragments/report_suggestions.html", {"found": found, "state_words": words})


def _qr_data_uri(link: str, lang: str) -> str:
    qr = segno.make_qr(link, error="m")
    title = "查询链接二维码" if lang == "zh" else "QR code of the tracking link"
    data_uri: str = qr.svg_data_uri(scale=5, border=2, title=title)
    return data_uri


@router.get("/report/receipt", response_class=HTMLResponse)
def receipt(request: Request) -> Response:
    token = request.cookies.get(RECEIPT_COOKIE)
    if not token:
        return RedirectResponse("/report" + _suffix(_embed(request)), status_code=303)
    desk, lang = _desk(request), language_of(request)
    link = messages.tracking_link(desk, token)
    hours, business = first_reply_hours(desk)
    return _page(
        request,
        "report_receipt.html",
        {
            "joined": public_issues.joined(desk, token),
            "link": link,
            "path": f"/t/{token}",
            "qr": _qr_data_uri(link, lang),
            "reply_hours": hours,
            "business_hours": business,
        },
    )


# ---- the tracking page --------------------------------------------------------------------------


def _tracking(request: Request, token: str, *, status_code: int = 200, **extra: Any) -> Response:
    desk, lang = _desk(request), language_of(request)
    following = reporters.follow(desk, token)
    word, line = status_words(following.status, lang)
    context = {
        "token": token,
        "following": following,
        "report": following.report,
        "state": reporter_status(following.status).value,
        "status_word": word,
        "status_line": line,
        "errors": {},
        "notice": None,
        "added": request.query_params.get("added") == "1",
        "added_text": "",
        **extra,
    }
    return _page(request, "track.html", context, status_code=status_code)


def _guarded(request: Request, token: str, work: Any) -> Response:
    try:
        limit_public(request, "track")
        return work()  # type: ignore[no-any-return]
    except Throttled as exc:
        return _problem_page(request, exc, 429)
    except NotFound as exc:
        return _problem_page(request, exc, 404)


@router.get("/t/{token}", response_class=HTMLResponse)
def track(request: Request, token: str) -> Response:
    return _guarded(request, token, lambda: _tracking(request, token))


def _back(request: Request, token: str) -> Response:
    return RedirectResponse(f"/t/{token}" + _suffix(_embed(request)), status_code=303)


def _confirm(request: Request, token: str, outcome: str, comment: str) -> Response:
    lang = language_of(request)
    if outcome not in ("recovered", "still_broken"):
        errors = {"outcome": "choose one of the two answers" if lang == "en" else "请选择其中一项"}
        return _tracking(request, token, status_code=422, errors=errors)
    if len(comment) > 5000:
        errors = {"comment": "at most 5000 characters" if lang == "en" else "长度不能超过 5000 个字符"}
        return _tracking(request, token, status_code=422, errors=errors)
    return _answered(
        request,
        token,
        lambda: lifecycle.confirm_by_reporter(
            _desk(request), token, recovered=outcome == "recovered", comment=comment or None
        ),
    )


def _answered(request: Request, token: str, answer: Callable[[], object]) -> Response:
    """The reporter's answer taken by its service: back to the tracking page, or the page again with
    the reasons beside the fields (422) or the refusal on top (409); an unknown token stays a 404."""
    lang = language_of(request)
    try:
        answer()
    except RuleViolation as exc:
        return _tracking(request, token, status_code=422, errors=_reasons(exc, lang))
    except NotFound:
        raise
    except DomainError as exc:
        return _tracking(request, token, status_code=409, notice=exc.message if lang == "en" else exc.message_zh)
    return _back(request, token)


@router.post("/t/{token}/confirm", response_class=HTMLResponse)
async def confirm(request: Request, token: str) -> Response:
    raw = await request_form(request)
    outcome, comment = str(raw.get("outcome") or ""), str(raw.get("comment") or "").strip()
    return await run_in_threadpool(_guarded, request, token, lambda: _confirm(request, token, outcome, comment))


def _rate(request: Request, token: str, satisfaction: str, comment: str) -> Response:
    try:
        rating = RatingIn(satisfaction=satisfaction, comment=comment or None)
    except ValidationError as exc:
        lang = language_of(request)
        errors = reasons(
            exc,
            lang,
            plain=_RATING_WORDS,
            name=lambda loc: "rating_comment" if loc[:1] == ("comment",) else "satisfaction",
        )
        return _tracking(request, token, status_code=422, errors=errors)
    desk = _desk(request)
    return _answered(
        request, token, lambda: reporters.rate(desk, token, satisfaction=rating.satisfaction, comment=rating.comment)
    )


@router.post("/t/{token}/rate", response_class=HTMLResponse)
async def rate(request: Request, token: str) -> Response:
    raw = await request_form(request)
    satisfaction, comment = str(raw.get("satisfaction") or ""), str(raw.get("comment") or "").strip()
    return await run_in_threadpool(_guarded, request, token, lambda: _rate(request, token, satisfaction, comment))


def _add(request: Request, token: str, text: str, files: list[IncomingFile] | RuleViolation) -> Response:
    lang = language_of(request)
    try:
        if isinstance(files, RuleViolation):
            raise files
        reporters.add_information(_desk(request), token, text, files)
    except RuleViolation as exc:
        errors = _reasons(exc, lang)
        if files and FILES_FIELD not in errors:
            errors[FILES_FIELD] = _again(lang)
        return _tracking(request, token, status_code=422, errors=errors, added_text=text)
    target = f"/t/{token}?added=1" + ("&embed=1" if _embed(request) else "")
    return RedirectResponse(target, status_code=303)


@router.post("/t/{token}/more", response_class=HTMLResponse)
async def add_information(request: Request, token: str) -> Response:
    raw = await request_form(request)
    text = str(raw.get("text") or "")
    files = await _files(raw, _desk(request).attachment_max_bytes)
    return await run_in_threadpool(_guarded, request, token, lambda: _add(request, token, text, files))

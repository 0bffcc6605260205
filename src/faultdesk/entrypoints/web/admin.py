"""Administration (``/admin/…``, administrators only): staff accounts, products and their
functions, fault types, the business calendar, message templates with a preview, synonyms, the
outbox's dead letters and the import of history (an older record table, checked, then committed). Every form calls the same service as the API and the CLI; bad input comes
back as the form with the reason beside the field (422), and nothing is written by halves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile

from faultdesk.domain.errors import (
    DomainError,
    FieldProblem,
    NotFound,
    NotPermitted,
    RuleViolation,
)
from faultdesk.domain.faults import Criticality
from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common import labels
from faultdesk.entrypoints.common.catalogue_bodies import FunctionIn, FunctionPatch, ProductIn, ProductPatch
from faultdesk.entrypoints.common.context import DeskDep
from faultdesk.entrypoints.common.csrf import check_csrf
from faultdesk.entrypoints.common.exports import check_upload, import_format, keep_upload
from faultdesk.entrypoints.common.fields import MAX_ID, Day, Text40, Text60, Text100, Text200, Text254, Text5000
from faultdesk.entrypoints.common.forms import request_form
from faultdesk.entrypoints.common.record_table import COLUMNS
from faultdesk.entrypoints.common.refusals import reasons, said, status_of
from faultdesk.entrypoints.web.rendering import StaffDep, language_of, render
from faultdesk.services import catalogue, delivery, known_issues, settings, staff
from faultdesk.services.desk import Desk
from faultdesk.services.history import ImportResult, RowProblem
from faultdesk.services.message_texts import DEFAULTS
from faultdesk.services.records import Actor

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])

SECTIONS = ("users", "products", "types", "calendar", "templates", "synonyms", "outbox", "import")


def administrator(actor: StaffDep) -> Actor:
    """Only administrators open these pages: anyone else gets the 403 page."""
    if actor.role is not Role.ADMIN:
        raise NotPermitted("administrators only", "仅管理员可访问")
    return actor


AdminDep = Annotated[Actor, Depends(administrator)]


async def form_of(request: Request) -> dict[str, str]:
    """The posted form as text fields (files are not taken here)."""
    data = await request_form(request)
    return {k: v for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


FormDep = Annotated[dict[str, str], Depends(form_of)]


@dataclass
class Outcome:
    """What a refused form shows: reasons by field, or one message for the whole form."""

    form: str  # which form on the page (a page may hold several)
    status: int = 422
    errors: dict[str, str] = field(default_factory=dict)
    message: str | None = None
    values: dict[str, str] = field(default_factory=dict)


def _refusal(exc: ValidationError | DomainError, lang: str, form: str, values: dict[str, str]) -> Outcome:
    if isinstance(exc, ValidationError | RuleViolation):
        return Outcome(form, 422, reasons(exc, lang, name=lambda loc: ".".join(map(str, loc)) or "form"), values=values)
    return Outcome(form, status_of(exc), message=said(exc, lang), values=values)


def _attempt(
    request: Request, actor: Actor, form: str, values: dict[str, str], change: Callable[[], object]
) -> Outcome | None:
    """Run one service call; its refusal (bad input or a domain rule) as an ``Outcome``."""
    try:
        change()
    except (ValidationError, DomainError) as exc:
        return _refusal(exc, language_of(request, actor), form, values)
    return None


def _done(path: str, note: str) -> Response:
    return RedirectResponse(f"{path}?done={note}", status_code=303)


def _page(
    request: Request, desk: Desk, actor: Actor, name: str, section: str, data: dict[str, Any], outcome: Outcome | None
) -> Response:
    context = {
        "nav": "admin",
        "section": section,
        "sections": SECTIONS,
        "done": request.query_params.get("done"),
        "failed": outcome,
        **data,
    }
    return render(request, name, context, desk=desk, actor=actor, status_code=outcome.status if outcome else 200)


def _words(lang: str) -> dict[str, Any]:
    """Word look-ups for the text codes these pages show (labels.py's tables)."""
    return {
        "day_word": lambda code: labels.words(labels.CALENDAR_DAY, code, lang),
        "template_word": lambda code: labels.words(labels.TEMPLATE_KEY, code, lang),
        "channel_word": lambda code: labels.words(labels.DELIVERY_CHANNEL, code, lang),
        "state_word": lambda code: labels.words(labels.DELIVERY_STATE, code, lang),
        "lang_word": lambda code: labels.words(labels.LANGUAGE, code, lang),
        "recipient_word": lambda ref: _recipient(ref, lang),
    }


def _recipient(ref: str, lang: str) -> str:
    """An outbox recipient (``report:12``, ``user:3``, ``robot:dingtalk``) in words."""
    kind, _, rest = ref.partition(":")
    if kind == "report":
        return f"反馈 #{rest} 的用户" if lang == "zh" else f"the reporter of report #{rest}"
    if kind == "user":
        return f"员工 #{rest}" if lang == "zh" else f"staff member #{rest}"
    if kind == "robot":
        return labels.words(labels.DELIVERY_CHANNEL, rest, lang)
    return ref


# ---- the index ---------------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
def index(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    users = staff.list_users(desk, actor=actor)
    data = {
        "users": len(users),
        "active_users": sum(1 for u in users if u.active),
        "products": len(catalogue.list_products(desk, actor=actor)),
        "types": len(catalogue.list_fault_types(desk)),
        "dead": delivery.dead_letter_count(desk, actor=actor),
        "warnings": settings.calendar_warnings(desk, actor=actor),
    }
    return _page(request, desk, actor, "admin_index.html", "index", data, None)


# ---- staff accounts ----------------------------------------------------------------------------


class UserForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    username: Text100
    role: Role
    password: Annotated[str, Field(min_length=1, max_length=200)]
    display_name: Text100 | None = None
    email: Text254 | None = None
    timezone: Text60 | None = None


def _blank_to_none(values: dict[str, str], *names: str) -> dict[str, Any]:
    return {k: (None if k in names and not v.strip() else v) for k, v in values.items()}


def _users_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    users = sorted(staff.list_users(desk, actor=actor), key=lambda u: (not u.active, u.username))
    data = {"users": users, "roles": list(Role), "org_zone": desk.timezone}
    return _page(request, desk, actor, "admin_users.html", "users", data, outcome)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _users_page(request, desk, actor)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    def change() -> None:
        body = UserForm.model_validate(_blank_to_none(values, "display_name", "email", "timezone"))
        staff.create_user(
            desk,
            body.username,
            body.role,
            body.password,
            actor=actor,
            display_name=body.display_name,
            email=body.email,
            timezone=body.timezone,
        )

    shown = {k: v for k, v in values.items() if k != "password"}  # never drawn back into the page
    outcome = _attempt(request, actor, "create", shown, change)
    if outcome:
        return _users_page(request, desk, actor, outcome)
    return _done("/admin/users", "created")


def _user_page(request: Request, desk: Desk, actor: Actor, username: str, outcome: Outcome | None = None) -> Response:
    user = next((u for u in staff.list_users(desk, actor=actor) if u.username == username), None)
    if user is None:
        raise NotFound(f"no user {username}", f"用户 {username} 不存在")
    data = {"user": user, "roles": list(Role), "org_zone": desk.timezone}
    return _page(request, desk, actor, "admin_user.html", "users", data, outcome)


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_page(username: str, request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _user_page(request, desk, actor, username)


class RoleForm(BaseModel):
    role: Role


class EmailForm(BaseModel):
    email: Text254 | None = None


class ZoneForm(BaseModel):
    timezone: Text60 | None = None


class PasswordForm(BaseModel):
    password: Annotated[str, Field(min_length=1, max_length=200)]


@router.post("/admin/users/{username}/{what}", response_class=HTMLResponse)
def change_user(
    username: str,
    what: Literal["role", "email", "timezone", "password", "deactivate"],
    request: Request,
    desk: DeskDep,
    actor: AdminDep,
    values: FormDep,
) -> Response:
    def change() -> None:
        if what == "role":
            staff.set_user_role(desk, username, RoleForm.model_validate(values).role, actor=actor)
        elif what == "email":
            staff.set_user_email(
                desk, username, EmailForm.model_validate(_blank_to_none(values, "email")).email, actor=actor
            )
        elif what == "timezone":
            zone = ZoneForm.model_validate(_blank_to_none(values, "timezone")).timezone
            staff.set_user_timezone(desk, username, zone, actor=actor)
        elif what == "password":
            staff.reset_password(desk, username, PasswordForm.model_validate(values).password, actor=actor)
        else:
            staff.deactivate_user(desk, username, actor=actor)

    shown = {k: v for k, v in values.items() if k != "password"}
    outcome = _attempt(request, actor, what, shown, change)
    if outcome:
        return _user_page(request, desk, actor, username, outcome)
    return _done(f"/admin/users/{username}", what)


# ---- products and their functions --------------------------------------------------------------


def _products_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    data = {"products": catalogue.list_products(desk, actor=actor), "criticalities": list(Criticality)}
    return _page(request, desk, actor, "admin_products.html", "products", data, outcome)


@router.get("/admin/products", response_class=HTMLResponse)
def products_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _products_page(request, desk, actor)


def _id(value: str) -> int:
    """An id from the page's own path: out of range names nothing."""
    number = int(value) if value.isdigit() and len(value) <= 10 else 0
    if not 1 <= number <= MAX_ID:
        raise NotFound(f"no record {value}", f"记录 {value} 不存在")
    return number


@router.post("/admin/products", response_class=HTMLResponse)
def add_product(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    """A product, with its first function when one is given (one transaction for both)."""

    def change() -> None:
        functions = []
        if any(values.get(k, "").strip() for k in ("function_code", "function_name")):
            functions.append(
                {
                    "code": values.get("function_code", ""),
                    "name": values.get("function_name", ""),
                    "criticality": values.get("criticality", ""),
                }
            )
        body = ProductIn.model_validate(
            {"code": values.get("code", ""), "name": values.get("name", ""), "functions": functions}
        )
        catalogue.add_product(
            desk, body.code, body.name, [(f.code, f.name, f.criticality) for f in body.functions], actor=actor
        )

    outcome = _attempt(request, actor, "product", values, change)
    if outcome:
        outcome.errors = {_first_function(k): v for k, v in outcome.errors.items()}
        return _products_page(request, desk, actor, outcome)
    return _done("/admin/products", "product")


def _first_function(name: str) -> str:
    """``functions.0.code`` is the form's ``function_code``."""
    if name.startswith("functions.0."):
        rest = name.removeprefix("functions.0.")
        return "criticality" if rest == "criticality" else f"function_{rest}"
    return name


@router.post("/admin/products/{product_id}", response_class=HTMLResponse)
def rename_product(product_id: str, request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    pid = _id(product_id)

    def change() -> None:
        body = ProductPatch.model_validate({"name": values.get("name", "")})
        catalogue.rename_product(desk, pid, body.name, actor=actor)

    outcome = _attempt(request, actor, f"product-{pid}", values, change)
    if outcome:
        return _products_page(request, desk, actor, outcome)
    return _done("/admin/products", "renamed")


@router.post("/admin/products/{product_id}/functions", response_class=HTMLResponse)
def add_function(product_id: str, request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    pid = _id(product_id)

    def change() -> None:
        body = FunctionIn.model_validate({k: values.get(k, "") for k in ("code", "name", "criticality")})
        catalogue.add_function(desk, pid, body.code, body.name, body.criticality, actor=actor)

    outcome = _attempt(request, actor, f"functions-{pid}", values, change)
    if outcome:
        return _products_page(request, desk, actor, outcome)
    return _done("/admin/products", "function")


@router.post("/admin/products/{product_id}/functions/{function_id}", response_class=HTMLResponse)
def update_function(
    product_id: str, function_id: str, request: Request, desk: DeskDep, actor: AdminDep, values: FormDep
) -> Response:
    pid, fid = _id(product_id), _id(function_id)

    def change() -> None:
        body = FunctionPatch.model_validate({k: values.get(k, "") for k in ("name", "criticality")})
        catalogue.update_function(desk, pid, fid, name=body.name, criticality=body.criticality, actor=actor)

    outcome = _attempt(request, actor, f"function-{fid}", values, change)
    if outcome:
        return _products_page(request, desk, actor, outcome)
    return _done("/admin/products", "updated")


# ---- fault types -------------------------------------------------------------------------------


class TypeForm(BaseModel):
    label_zh: Text40
    label_en: Text60


def _types_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    data = {"types": catalogue.list_fault_types(desk)}
    return _page(request, desk, actor, "admin_types.html", "types", data, outcome)


@router.get("/admin/types", response_class=HTMLResponse)
def types_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _types_page(request, desk, actor)


@router.post("/admin/types", response_class=HTMLResponse)
def add_type(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    def change() -> None:
        body = TypeForm.model_validate(values)
        catalogue.add_fault_type(desk, values.get("code", ""), body.label_zh, body.label_en, actor=actor)

    outcome = _attempt(request, actor, "type", values, change)
    if outcome:
        return _types_page(request, desk, actor, outcome)
    return _done("/admin/types", "type")


@router.post("/admin/types/{code}", response_class=HTMLResponse)
def update_type(code: str, request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    def change() -> None:
        body = TypeForm.model_validate(values)
        active = values.get("active") == "on"
        catalogue.update_fault_type(desk, code, body.label_zh, body.label_en, active, actor=actor)

    outcome = _attempt(request, actor, f"type-{code}", values, change)
    if outcome:
        return _types_page(request, desk, actor, outcome)
    return _done("/admin/types", "updated")


# ---- the business calendar ---------------------------------------------------------------------


class DayForm(BaseModel):
    day: Day
    kind: Literal["holiday", "workday"]
    note: Text200 | None = None


class YearForm(BaseModel):
    year: Annotated[int, Field(ge=2000, le=2099)]


def _calendar_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    today = desk.clock.now().date()
    view = settings.calendar_view(desk, date(today.year, 1, 1), actor=actor)
    data = {"view": view, "this_year": today.year, **_words(language_of(request, actor))}
    return _page(request, desk, actor, "admin_calendar.html", "calendar", data, outcome)


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _calendar_page(request, desk, actor)


@router.post("/admin/calendar/days", response_class=HTMLResponse)
def set_day(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    def change() -> None:
        body = DayForm.model_validate(_blank_to_none(values, "note"))
        settings.set_calendar_day(desk, body.day, body.kind, body.note, actor=actor)

    outcome = _attempt(request, actor, "day", values, change)
    if outcome:
        return _calendar_page(request, desk, actor, outcome)
    return _done("/admin/calendar", "day")


@router.post("/admin/calendar/years", response_class=HTMLResponse)
def announce_year(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    def change() -> None:
        settings.announce_year(desk, YearForm.model_validate(values).year, actor=actor)

    outcome = _attempt(request, actor, "year", values, change)
    if outcome:
        return _calendar_page(request, desk, actor, outcome)
    return _done("/admin/calendar", "year")


# ---- message templates -------------------------------------------------------------------------


class TemplateForm(BaseModel):
    subject: Text200
    body: Text5000


@router.get("/admin/templates", response_class=HTMLResponse)
def templates_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    data = {"texts": settings.template_texts(desk, actor=actor), **_words(language_of(request, actor))}
    return _page(request, desk, actor, "admin_templates.html", "templates", data, None)


def _template_key(key: str, lang: str) -> None:
    if key not in DEFAULTS or lang not in ("zh", "en"):
        raise NotFound(f"no template {key}/{lang}", f"模板 {key}/{lang} 不存在")


def _template_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    key: str,
    lang: str,
    outcome: Outcome | None = None,
    preview: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    text = next(t for t in settings.template_texts(desk, actor=actor) if (t.key, t.lang) == (key, lang))
    current = values or {"subject": text.subject, "body": text.body}
    if preview is None and outcome is None:
        preview = settings.preview_template(desk, current["subject"], current["body"], actor=actor)
    data = {
        "text": text,
        "current": current,
        "preview": preview,
        "variables": sorted(_sample_names()),
        **_words(language_of(request, actor)),
    }
    name = "admin_template_preview.html" if request.headers.get("hx-request") == "true" else "admin_template.html"
    return _page(request, desk, actor, name, "templates", data, outcome)


def _sample_names() -> list[str]:
    from faultdesk.services.messages import SAMPLE_CONTEXT

    return list(SAMPLE_CONTEXT)


@router.get("/admin/templates/{key}/{lang}", response_class=HTMLResponse)
def template_page(key: str, lang: str, request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    _template_key(key, lang)
    return _template_page(request, desk, actor, key, lang)


@router.post("/admin/templates/{key}/{lang}", response_class=HTMLResponse)
def save_template(key: str, lang: str, request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    """Save, or (``intent=preview``, and htmx's live preview as one types) only show the result."""
    _template_key(key, lang)
    shown = {"subject": values.get("subject", ""), "body": values.get("body", "")}
    previewing = values.get("intent") == "preview"
    rendered: list[tuple[str, str]] = []

    def change() -> None:
        body = TemplateForm.model_validate(shown)
        if previewing:
            rendered.append(settings.preview_template(desk, body.subject, body.body, actor=actor))
        else:
            settings.set_template(desk, key, lang, body.subject, body.body, actor=actor)

    outcome = _attempt(request, actor, "template", shown, change)
    if outcome or previewing:
        return _template_page(request, desk, actor, key, lang, outcome, rendered[0] if rendered else None, values=shown)
    return _done(f"/admin/templates/{key}/{lang}", "saved")


# ---- synonyms ----------------------------------------------------------------------------------


class SynonymsForm(BaseModel):
    groups: Annotated[list[list[Annotated[str, Field(max_length=40)]]], Field(max_length=500)]


def _synonyms_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    groups = known_issues.synonyms(desk, actor=actor)
    text = outcome.values.get("groups") if outcome else None
    data = {"text": text if text is not None else "\n".join(" ".join(g) for g in groups), "count": len(groups)}
    return _page(request, desk, actor, "admin_synonyms.html", "synonyms", data, outcome)


@router.get("/admin/synonyms", response_class=HTMLResponse)
def synonyms_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _synonyms_page(request, desk, actor)


@router.post("/admin/synonyms", response_class=HTMLResponse)
def save_synonyms(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    """One group a line, its words separated by spaces or commas (中文逗号 too)."""
    text = values.get("groups", "")

    def change() -> None:
        lines = [line.replace("，", " ").replace(",", " ").split() for line in text.splitlines()]
        body = SynonymsForm.model_validate({"groups": [g for g in lines if g]})
        known_issues.set_synonyms(desk, body.groups, actor=actor)

    outcome = _attempt(request, actor, "synonyms", {"groups": text}, change)
    if outcome:
        outcome.errors = {("groups" if k.startswith("groups") else k): v for k, v in outcome.errors.items()}
        return _synonyms_page(request, desk, actor, outcome)
    return _done("/admin/synonyms", "saved")


# ---- the outbox's dead letters -----------------------------------------------------------------

DEAD_SHOWN = 100


def _outbox_page(request: Request, desk: Desk, actor: Actor, outcome: Outcome | None = None) -> Response:
    dead, total = delivery.dead_letters(desk, actor=actor, limit=DEAD_SHOWN)
    # A refusal about a message no longer listed (retried meanwhile) shows at the top instead.
    orphan = outcome if outcome and all(outcome.form != f"message-{m.id}" for m in dead) else None
    data = {"dead": dead, "total": total, "shown": DEAD_SHOWN, "orphan": orphan, **_words(language_of(request, actor))}
    return _page(request, desk, actor, "admin_outbox.html", "outbox", data, outcome)


@router.get("/admin/outbox", response_class=HTMLResponse)
def outbox_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _outbox_page(request, desk, actor)


@router.post("/admin/outbox/{message_row}/retry", response_class=HTMLResponse)
def retry(message_row: str, request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    row = _id(message_row)
    outcome = _attempt(request, actor, f"message-{row}", {}, lambda: delivery.retry_message(desk, row, actor=actor))
    if outcome:
        return _outbox_page(request, desk, actor, outcome)
    return _done("/admin/outbox", "retried")


# ---- the import of history (issue 13.5) ----------------------------------------------------------

PROBLEMS_SHOWN = 500  # a table's row problems listed on the page (the rest counted)
NUMBERS_SHOWN = 100  # imported numbers listed as links after a commit
IMPORT_FIELD = "file"  # the form's file input


def _import_page(
    request: Request,
    desk: Desk,
    actor: Actor,
    outcome: Outcome | None = None,
    result: ImportResult | None = None,
    kept: str | None = None,
    file_name: str = "",
) -> Response:
    """The upload form; after a check, its result (and the commit button when the table is
    clean); after a commit, the numbers created."""
    lang = language_of(request, actor)
    # Row by row, each row's cells in the table's column order (the checks find them in two passes).
    order = {key: i for i, key in enumerate(COLUMNS)}
    problems = sorted(
        (p for p in (result.problems if result else []) if p.row > 0), key=lambda p: (p.row, order.get(p.column, 0))
    )

    def reason(p: RowProblem) -> str:
        return p.reason_en if lang == "en" else p.reason_zh

    data: dict[str, Any] = {
        "result": result,
        "kept": kept,
        "file_name": file_name,
        "problems": problems[:PROBLEMS_SHOWN],
        "problem_total": len(problems),
        "bad_rows": len({p.row for p in problems}),
        "numbers": result.numbers[:NUMBERS_SHOWN] if result else [],
        "max_mb": f"{desk.import_max_bytes / (1024 * 1024):g}",
        "column_word": lambda key: labels.words(labels.RECORD_COLUMN, key, lang),
        "reason": reason,
    }
    if outcome is None and result is not None and result.problems:
        outcome = Outcome("import", 422)
    if outcome is not None and result is not None:
        # A problem of the file as a whole (unreadable, no table in it) is said beside the file input.
        whole = [p for p in result.problems if p.row == 0]
        if whole:
            outcome.errors.setdefault(IMPORT_FIELD, reason(whole[0]))
    return _page(request, desk, actor, "admin_import.html", "import", data, outcome)


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    return _import_page(request, desk, actor)


def _choose(upload: object) -> tuple[UploadFile, str]:
    """The form's file and its kind, or the refusal beside the file input."""
    if not isinstance(upload, UploadFile) or not (upload.filename or upload.size):
        raise RuleViolation([FieldProblem(IMPORT_FIELD, "choose a .xlsx or .csv file", "请选择 .xlsx 或 .csv 文件")])
    fmt = import_format(upload.filename or "")
    if fmt is None:
        raise RuleViolation(
            [FieldProblem(IMPORT_FIELD, "only .xlsx and .csv files are read", "只能导入 .xlsx 或 .csv 文件")]
        )
    return upload, fmt


def _check(request: Request, desk: Desk, actor: Actor, upload: object) -> Response:
    """Keep the uploaded table under a name of ours and dry-run it (the CLI's ``import``)."""
    done: list[tuple[str, ImportResult]] = []

    def change() -> None:
        chosen, fmt = _choose(upload)
        kept = keep_upload(desk, fmt, chosen.file, actor=actor)
        done.append((kept, check_upload(desk, kept, commit=False, actor=actor)))

    outcome = _attempt(request, actor, "import", {}, change)
    shown = Path(upload.filename or "").name if isinstance(upload, UploadFile) else ""
    if outcome or not done:
        return _import_page(request, desk, actor, outcome, file_name=shown)
    kept, result = done[0]
    return _import_page(request, desk, actor, None, result, None if result.problems else kept, shown)


@router.post("/admin/import", response_class=HTMLResponse)
async def check_import(request: Request, desk: DeskDep, actor: AdminDep) -> Response:
    raw = await request_form(request)  # parsed once: the CSRF check read the same form
    try:
        return await run_in_threadpool(_check, request, desk, actor, raw.get(IMPORT_FIELD))
    finally:
        await raw.close()


@router.post("/admin/import/commit", response_class=HTMLResponse)
def commit_import(request: Request, desk: DeskDep, actor: AdminDep, values: FormDep) -> Response:
    """Import exactly the table that was checked, named by the name we gave it."""
    done: list[ImportResult] = []
    kept = values.get("kept", "")
    outcome = _attempt(
        request, actor, "commit", {}, lambda: done.append(check_upload(desk, kept, commit=True, actor=actor))
    )
    if outcome or not done:
        return _import_page(request, desk, actor, outcome, file_name=values.get("file_name", "")[:200])
    return _import_page(request, desk, actor, None, done[0], file_name=values.get("file_name", "")[:200])

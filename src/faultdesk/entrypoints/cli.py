"""The `faultdesk` command (Typer). Domain errors become a message and exit code 1."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError

from faultdesk.adapters.crypto import new_secret_key
from faultdesk.bootstrap import Wiring, bootstrap
from faultdesk.config import SECRET_FILE, Settings
from faultdesk.domain.errors import DomainError
from faultdesk.domain.faults import Criticality, FaultStatus, Severity
from faultdesk.domain.reports import Channel
from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common.exports import import_file, write_export
from faultdesk.entrypoints.common.fields import in_zone
from faultdesk.entrypoints.common.record_table import column_words, filters_json
from faultdesk.services import access, catalogue, exports, staff
from faultdesk.services.records import FAULT_SORTS, Actor, FaultFilter, ProductRecord

app = typer.Typer(help="FaultDesk 故障快响: product-fault-feedback management.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
token_app = typer.Typer(help="API bearer tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

P = ParamSpec("P")
R = TypeVar("R")


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Bad input or a refused action ends in one clear line and a non-zero exit, never a traceback."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            _fail(f"{exc.message} / {exc.message_zh}")
        except ValidationError as exc:
            _fail(
                "invalid configuration: "
                + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            )
        except RuntimeError as exc:
            _fail(str(exc))
        raise AssertionError("unreachable")

    return wrapper


def _settings() -> Settings:
    return Settings()


@contextmanager
def _wired() -> Iterator[Wiring]:
    """One wiring per command, its connections closed when the command ends."""
    wiring = bootstrap(_settings())
    try:
        yield wiring
    finally:
        wiring.engine.dispose()


@app.command()
@friendly
def init() -> None:
    """Create the home folder (./var) and a secret key for contact encryption and keyed hashes."""
    settings = _settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / SECRET_FILE
    if settings.secret_key:
        typer.echo("secret key comes from FAULTDESK_SECRET_KEY")
    elif path.exists():
        typer.echo(f"secret key exists: {path}")
    else:
        path.write_text(new_secret_key() + "\n")
        path.chmod(0o600)
        typer.echo(f"secret key written: {path} (back it up: encrypted contacts need it)")


@db_app.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Create or upgrade the database schema, then seed the default fault types."""
    from faultdesk.adapters.db.migrate import current_revision, upgrade

    with _wired() as wiring:
        upgrade(wiring.engine)
        added = catalogue.ensure_default_fault_types(wiring.desk)
        revision = current_revision(wiring.engine)
    typer.echo(f"database at revision {revision}; {added} fault types added")


@user_app.command("create")
@friendly
def user_create(
    name: str,
    role: Annotated[Role, typer.Option(help="agent, pm, tech_lead, developer, tester or admin")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    display_name: Annotated[str | None, typer.Option(help="shown in the console")] = None,
    email: Annotated[str | None, typer.Option(help="where staff notices go")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="zone of their working hours, e.g. Europe/Berlin (default: the organisation's)")
    ] = None,
) -> None:
    """Create a staff account."""
    with _wired() as wiring:
        user = staff.create_user(
            wiring.desk,
            name,
            role,
            password,
            actor=Actor.system(),
            display_name=display_name,
            email=email,
            timezone=timezone,
        )
    typer.echo(f"user {user.username} ({user.role.value}) created")


@user_app.command("set-timezone")
@friendly
def user_set_timezone(
    name: str,
    zone: Annotated[str | None, typer.Argument(help="e.g. Europe/Berlin; leave out for the organisation's")] = None,
) -> None:
    """Set the zone of NAME's working hours: their P1/P2 notices wait for 09:00-18:00 there."""
    with _wired() as wiring:
        user = staff.set_user_timezone(wiring.desk, name, zone, actor=Actor.system())
    typer.echo(f"user {user.username} works in {user.timezone or 'the organisation’s zone'}")


@user_app.command("reset-password")
@friendly
def user_reset_password(
    name: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Give NAME a new password; every web session of NAME ends."""
    with _wired() as wiring:
        change = staff.reset_password(wiring.desk, name, password, actor=Actor.system())
    typer.echo(f"password of {change.user.username} reset; {change.sessions_ended} sessions ended")


@user_app.command("deactivate")
@friendly
def user_deactivate(name: str) -> None:
    """Close NAME's account: no login, and their sessions and API tokens stop working."""
    with _wired() as wiring:
        change = staff.deactivate_user(wiring.desk, name, actor=Actor.system())
    typer.echo(f"user {change.user.username} deactivated; {change.sessions_ended} sessions ended")


@token_app.command("create")
@friendly
def token_create(name: str, label: Annotated[str, typer.Option(help="what the token is for")] = "cli") -> None:
    """Print a new bearer token for user NAME (it is shown only once)."""
    with _wired() as wiring:
        token = staff.create_token(wiring.desk, name, actor=Actor.system(), name=label)
    typer.echo(token)


@app.command()
@friendly
def demo(
    seed: Annotated[int, typer.Option(help="random seed: same seed, same data")] = 7,
    force: Annotated[
        bool,
        typer.Option("--force", help="load into a database that holds other data (never a second copy)"),
    ] = False,
) -> None:
    """Load demo data: staff, products, and realistic Chinese reports grouped into faults.

    It loads once: run again on a database that has the demo, it changes nothing, says so and exits 0.

    A database holding anything else (users, reports or faults; the fault types of `db upgrade` do not count) is refused with exit 1, since the demo adds six accounts with a published password; so is one where an earlier load stopped part-way.

    --force loads it there anyway, reusing demo accounts of the same name and role.
    """
    from faultdesk.demo import load_demo

    with _wired() as wiring:
        summary = load_demo(wiring.desk, seed=seed, force=force)
    typer.echo(summary)


product_app = typer.Typer(
    help="Products and their functions; a function's criticality (core/main/minor) feeds the severity suggestion.",
    no_args_is_help=True,
)
function_app = typer.Typer(help="A product's functions.", no_args_is_help=True)
app.add_typer(product_app, name="product")
product_app.add_typer(function_app, name="function")
CriticalityOption = Annotated[Criticality, typer.Option(help="core (payment, login), main or minor")]


def _function_spec(spec: str) -> tuple[str, str, Criticality]:
    code, sep, rest = spec.partition(":")
    name, sep2, level = rest.rpartition(":")
    if not (sep and sep2) or level not in {c.value for c in Criticality}:
        raise RuntimeError(f"--function takes CODE:NAME:core|main|minor, not {spec!r}")
    return code, name, Criticality(level)


def _product_named(wiring: Wiring, code: str) -> ProductRecord:
    found = next((p for p in catalogue.list_products(wiring.desk, actor=_admin_actor()) if p.code == code), None)
    if found is None:
        raise RuntimeError(f"no product {code} (see `faultdesk product list`) / 产品 {code} 不存在")
    return found


@product_app.command("add")
@friendly
def product_add(
    code: Annotated[str, typer.Argument(help="what reports name as `product`, e.g. shop")],
    name: Annotated[str, typer.Argument(help="e.g. 优选商城 App")],
    function: Annotated[
        list[str] | None, typer.Option("--function", "-f", help="CODE:NAME:core|main|minor, repeatable")
    ] = None,
) -> None:
    """Add a product, with its functions."""
    functions = [_function_spec(f) for f in function or []]
    with _wired() as wiring:
        catalogue.add_product(wiring.desk, code, name, functions, actor=_admin_actor())
        product = _product_named(wiring, code.strip())
    typer.echo(f"product {product.code} ({product.name}) added, id {product.id}, {len(product.functions)} functions")


@product_app.command("list")
@friendly
def product_list() -> None:
    """Print every product and its functions with their criticality."""
    with _wired() as wiring:
        products = catalogue.list_products(wiring.desk, actor=_admin_actor())
    if not products:
        typer.echo("no products yet: add one with `faultdesk product add CODE NAME -f login:登录:core`")
    for p in products:
        typer.echo(f"{p.id}\t{p.code}\t{p.name}")
        for f in p.functions:
            typer.echo(f"  {f.id}\t{f.code}\t{f.name}\t{f.criticality.value}")


@product_app.command("update")
@friendly
def product_update(
    code: str, name: Annotated[str, typer.Option(help="the product's new name (its code stays)")]
) -> None:
    """Rename product CODE."""
    with _wired() as wiring:
        product = _product_named(wiring, code)
        updated = catalogue.rename_product(wiring.desk, product.id, name, actor=_admin_actor())
    typer.echo(f"product {updated.code} is now {updated.name}")


@function_app.command("add")
@friendly
def function_add(product: str, code: str, name: str, criticality: CriticalityOption) -> None:
    """Add function CODE (named NAME) to PRODUCT."""
    with _wired() as wiring:
        found = _product_named(wiring, product)
        fn = catalogue.add_function(wiring.desk, found.id, code, name, criticality, actor=_admin_actor())
    typer.echo(f"function {fn.product_code}/{fn.code} ({fn.name}, {fn.criticality.value}) added, id {fn.id}")


@function_app.command("update")
@friendly
def function_update(
    product: str,
    function: str,
    name: Annotated[str | None, typer.Option(help="the function's new name")] = None,
    criticality: Annotated[Criticality | None, typer.Option(help="core, main or minor")] = None,
) -> None:
    """Rename FUNCTION of PRODUCT or change its criticality."""
    if name is None and criticality is None:
        raise RuntimeError("nothing to change: give --name or --criticality")
    with _wired() as wiring:
        found = _product_named(wiring, product)
        fn = next((f for f in found.functions if f.code == function), None)
        if fn is None:
            raise RuntimeError(f"product {product} has no function {function} / 产品 {product} 没有功能 {function}")
        updated = catalogue.update_function(
            wiring.desk, found.id, fn.id, name=name, criticality=criticality, actor=_admin_actor()
        )
    typer.echo(f"function {updated.product_code}/{updated.code}: {updated.name}, {updated.criticality.value}")


calendar_app = typer.Typer(
    help="The business calendar: the official arrangement and your own days.", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")


@calendar_app.command("set-day")
@friendly
def calendar_set_day(
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD")],
    kind: Annotated[str, typer.Option(help="holiday or workday")],
    note: Annotated[str | None, typer.Option(help="e.g. 2027 春节调休")] = None,
) -> None:
    """Mark a day as a holiday or a working day (e.g. the day a year's arrangement is announced)."""
    from datetime import date

    from faultdesk.services import settings

    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        _fail(f"not a date (YYYY-MM-DD): {day}")
        return
    with _wired() as wiring:
        settings.set_calendar_day(wiring.desk, parsed, kind, note, actor=_admin_actor())
    typer.echo(f"{parsed} is a {kind}")


@calendar_app.command("announce")
@friendly
def calendar_announce(year: int) -> None:
    """Record that YEAR's official arrangement has been entered (stops the unknown-year warning)."""
    from faultdesk.services import settings

    with _wired() as wiring:
        settings.announce_year(wiring.desk, year, actor=_admin_actor())
    typer.echo(f"{year} marked as announced")


report_app = typer.Typer(
    help="Figures and review reports (issue 13). `faultdesk report --period week --format html` writes the review report; "
    "`faultdesk report metrics --from … --to …` prints the metrics.",
    invoke_without_command=True,
)
app.add_typer(report_app, name="report")

FromOption = Annotated[str | None, typer.Option("--from", help="a local date (2026-11-01) or ISO time; included")]
ToOption = Annotated[str | None, typer.Option("--to", help="a local date or ISO time; excluded")]
Many = Annotated[list[str] | None, typer.Option()]


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.2f} h"


@report_app.callback()
@friendly
def report(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="week / month / quarter / year")] = "week",
    back: Annotated[
        int, typer.Option(help="that many periods before the current one (default: the last whole one)")
    ] = 1,
    start: FromOption = None,
    end: ToOption = None,
    format: Annotated[str, typer.Option("--format", help="xlsx / html / md")] = "html",
    out: Annotated[
        str | None, typer.Option(help="the file to write (default: faultdesk-review-<from>.<format>)")
    ] = None,
    lang: Annotated[str, typer.Option(help="zh / en")] = "zh",
) -> None:
    """Write the review report: volumes by severity and type, compliance, the MTTR trend, top
    recurring faults, open improvement actions and the period's retrospectives, with charts."""
    if ctx.invoked_subcommand is not None:
        return
    from pathlib import Path

    from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_query
    from faultdesk.entrypoints.common.review_report import FORMATS, render_review
    from faultdesk.services import metrics

    if format not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)} / 格式须为 {'、'.join(FORMATS)}")
    if lang not in ("zh", "en"):
        _fail("--lang must be zh or en / 语言须为 zh 或 en")
    with _wired() as wiring:
        desk = wiring.desk
        params = MetricsParams(start=start, end=end, period=period, back=back)
        query = metrics_query(params, desk.timezone, desk.clock.now())
        review = metrics.review(desk, query, actor=_admin_actor())
        data = render_review(review, format, lang)
    first = review.metrics.query.period.start.astimezone(ZoneInfo(desk.timezone)).date().isoformat()
    path = Path(out or f"faultdesk-review-{first}.{format}")
    try:
        path.write_bytes(data)
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror} / 无法写入 {path}")
    typer.echo(str(path))


@report_app.command("metrics")
@friendly
def report_metrics(
    start: FromOption = None,
    end: ToOption = None,
    period: Annotated[
        str | None, typer.Option(help="week / month / quarter / year around now, instead of --from/--to")
    ] = None,
    back: Annotated[int, typer.Option(min=0, max=1200, help="with --period: that many periods earlier")] = 0,
    bucket: Annotated[str | None, typer.Option(help="the trend's day / week / month")] = None,
    severity: Many = None,
    type_code: Annotated[list[str] | None, typer.Option("--type")] = None,
    product: Many = None,
    channel: Many = None,
    owner: Annotated[str | None, typer.Option(help="a username")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the API's JSON")] = False,
) -> None:
    """Print the metrics of a period (the same figures as GET /api/v1/metrics)."""
    import json

    from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_json, metrics_query
    from faultdesk.services import metrics

    params = MetricsParams(
        start=start,
        end=end,
        period=period,
        back=back,
        bucket=bucket,
        severity=severity or [],
        type_code=type_code or [],
        product=product or [],
        channel=channel or [],
        owner=owner,
    )
    with _wired() as wiring:
        desk = wiring.desk
        query = metrics_query(params, desk.timezone, desk.clock.now())
        result = metrics.compute(desk, query, actor=_admin_actor())
    figures = metrics_json(result)
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    c = figures["compliance"]
    lines = [
        f"period {figures['period']['from']} – {figures['period']['to']} ({figures['period']['zone']})",
        f"reports in {figures['reports_in']}, faults in {figures['faults_in']}",
        f"reopen rate {_share(figures['reopen_rate'])}, recurrence rate {_share(figures['recurrence_rate'])}",
        f"compliance {c['met']}/{c['met'] + c['breached']} met ({_share(c['rate'])}), {c['pending']} pending",
    ]
    names = {"register": "to register", "grade": "to grade", "first_reply": "MTTA (first reply)", "resolve": "MTTR"}
    for kind, s in figures["durations"].items():
        lines.append(
            f"{names[kind]:<20} n={s['count']:<5} mean {_hours(s['mean_s'])}  median {_hours(s['median_s'])}  p90 {_hours(s['p90_s'])}"
        )
    i = figures["improvements"]
    lines.append(
        f"improvement actions due: {i['done']} done, {i['overdue']} overdue, {i['open']} open, {i['dropped']} dropped"
    )
    lines.append(f"breaches: {len(figures['breaches'])}")
    for b in figures["breaches"][:20]:
        lines.append(
            f"  {b['kind']:<12} {b['severity'] or '-':<3} due {b['due_at']}  {b['fault'] or 'report ' + str(b['report_id'])}"
        )
    lines.append("top faults by affected users:")
    for f in figures["top_faults"]:
        lines.append(f"  {f['number']}  {f['affected_users']:>7}  {f['title']}")
    typer.echo("\n".join(lines))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _admin_actor() -> Actor:
    """The CLI runs on the server with the operator's authority."""
    return Actor(None, "system", Role.ADMIN)


def _staff_actor(wiring: Wiring, username: str | None) -> Actor:
    """The named staff account, else the first active administrator: imported faults are
    registered by someone, and exports audited as someone's."""
    users = [u for u in staff.list_users(wiring.desk, actor=_admin_actor()) if u.active]
    chosen = [u for u in users if u.username == username] if username else [u for u in users if u.role is Role.ADMIN]
    if not chosen:
        raise RuntimeError(f"no active user {username}" if username else "no active administrator: create one first")
    return access.actor_of(chosen[0])


AsUser = Annotated[str | None, typer.Option("--as", help="the staff account it runs as (default: the first admin)")]


@app.command("export")
@friendly
def export_records(
    out: Annotated[Path, typer.Option("--out", help="the file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx")] = "csv",
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en headers and words")] = "zh",
    status: Annotated[list[FaultStatus] | None, typer.Option(help="a state; repeat for more")] = None,
    severity: Annotated[list[str] | None, typer.Option(help="P0, P1 or P2; repeat for more")] = None,
    type_code: Annotated[list[str] | None, typer.Option("--type", help="a fault type code; repeat")] = None,
    channel: Annotated[list[Channel] | None, typer.Option(help="a report channel; repeat")] = None,
    registered_from: Annotated[datetime | None, typer.Option(help="local time unless a zone is given")] = None,
    registered_to: Annotated[datetime | None, typer.Option(help="local time unless a zone is given")] = None,
    sort: Annotated[str, typer.Option(help="as the list API: -registered_at, number, …")] = "-registered_at",
    as_user: AsUser = None,
) -> None:
    """The record table 故障反馈处理记录表 (every fault the filters find, no row cap) to a file."""
    if fmt not in ("csv", "xlsx") or lang not in ("zh", "en"):
        raise RuntimeError("--format is csv or xlsx, --lang zh or en")
    bad = [s for s in severity or [] if s not in Severity.__members__]
    if bad or sort.lstrip("-") not in FAULT_SORTS:
        raise RuntimeError(f"unknown severity {bad} or sort {sort!r}")
    with _wired() as wiring:
        zone = wiring.desk.timezone
        flt = FaultFilter(
            status=status or [],
            severity=[Severity[s] for s in severity or []],
            type_code=type_code or [],
            channel=channel or [],
            registered_from=in_zone(registered_from, zone),
            registered_to=in_zone(registered_to, zone),
            sort=sort,
        )
        actor = _staff_actor(wiring, as_user)
        rows = write_export(wiring.desk, flt, fmt, lang, out, actor=actor)
        exports.note_direct_export(wiring.desk, filters_json(flt), fmt, rows, actor=actor)
    typer.echo(f"{rows} faults written to {out}")


@app.command("import")
@friendly
def import_records(
    file: Annotated[Path, typer.Argument(help="a record table, .xlsx or .csv, as `faultdesk export` writes it")],
    commit: Annotated[bool, typer.Option("--commit", help="write it (default: a dry run that writes nothing)")] = False,
    as_user: AsUser = None,
) -> None:
    """Import history from a record table: a dry run lists each row's problems; --commit writes
    every row in one transaction, or none if any row has a problem. Numbers are kept."""
    if not file.is_file():
        raise RuntimeError(f"no file {file}")
    with _wired() as wiring, file.open("rb") as data:
        result = import_file(wiring.desk, file.name, data, commit=commit, actor=_staff_actor(wiring, as_user))
    for p in result.problems:
        typer.echo(f"row {p.row}, {column_words(p.column)}: {p.reason_zh} / {p.reason_en}", err=True)
    if result.problems:
        _fail(
            f"{len(result.problems)} problem(s) in {result.rows} row(s); nothing was written / 有问题，未写入任何记录"
        )
    if result.committed:
        typer.echo(f"imported {result.rows} faults / 已导入 {result.rows} 条故障")
    else:
        typer.echo(f"dry run: {result.rows} faults would be imported; run again with --commit / 试运行通过")


@app.command()
def roles() -> None:
    """Print who may take which lifecycle action (the README's table)."""
    from faultdesk.domain.lifecycle import role_table

    typer.echo(role_table())


@app.command()
@friendly
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="API processes (SQLite: keep 1)")] = 1,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="do not run the worker in-process")] = False,
) -> None:
    """Serve the API (/api/v1, docs at /docs) and the web console, with the worker in-process."""
    import uvicorn

    settings = _settings()  # fail early, in this process, on bad configuration
    settings.resolved_secret_key()
    if no_worker:
        os.environ["FAULTDESK_RUN_WORKER"] = "false"
    if "public_url" not in settings.model_fields_set:
        # The links in receipts and notices must reach this server: its own port when nobody said
        # otherwise (`make run PORT=8123` sent reporters to :8000). Beyond this machine, say where.
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["FAULTDESK_PUBLIC_URL"] = f"http://{shown}:{port}"
        if shown != host:
            typer.echo(
                f"FAULTDESK_PUBLIC_URL is not set: links in receipts and notices say http://{shown}:{port}", err=True
            )
    uvicorn.run(
        "faultdesk.entrypoints.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=False,  # X-Forwarded-For is ours to judge, by FAULTDESK_TRUSTED_PROXIES (uvicorn trusts loopback)
    )


@app.command()
@friendly
def worker(
    interval: Annotated[float | None, typer.Option(min=0.1, help="seconds between ticks")] = None,
    once: Annotated[bool, typer.Option("--once", help="run one tick and exit")] = False,
) -> None:
    """Run the background worker in the foreground (stop with Ctrl-C or SIGTERM)."""
    from faultdesk.entrypoints import worker as jobs

    with _wired() as wiring:
        if once:
            typer.echo(jobs.tick(wiring.desk, wiring.notifiers))
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            jobs.run(wiring.desk, wiring.notifiers, stop, interval or wiring.settings.worker_interval_s)
        except KeyboardInterrupt:
            stop.set()


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())

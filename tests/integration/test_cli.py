"""The `faultdesk` command: set-up, accounts, tokens, demo data; clear errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx2 as httpx
import pytest
from typer.testing import CliRunner

from faultdesk.entrypoints.cli import app
from tests.conftest import PATIENT_ENV, WAIT_S
from tests.integration.receivers import free_port
from tests.integration.waiting import serving, stop, wait_for

runner = CliRunner()
COMMANDS = [
    [], ["init"], ["serve"], ["worker"], ["db", "upgrade"], ["user", "create"], ["user", "reset-password"],
    ["user", "deactivate"], ["token", "create"], ["demo"],
]  # fmt: skip


@pytest.fixture
def env(monkeypatch, tmp_path, store) -> Path:
    monkeypatch.setenv("FAULTDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FAULTDESK_DATABASE_URL", store.url)
    monkeypatch.delenv("FAULTDESK_SECRET_KEY", raising=False)
    return tmp_path / "home"


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "faultdesk")
def test_every_command_has_help(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output


def test_init_writes_a_private_secret_once(env):
    assert "secret key written" in ok("init")
    key = (env / "secret.key").read_text()
    assert oct((env / "secret.key").stat().st_mode & 0o777) == "0o600"
    assert "exists" in ok("init")
    assert (env / "secret.key").read_text() == key


def test_users_and_tokens_from_the_command_line(env):
    ok("init")
    ok("db", "upgrade")
    assert "user lee (tech_lead) created" in ok(
        "user", "create", "lee", "--role", "tech_lead", "--password", "s3cret-pw"
    )
    token = ok("token", "create", "lee").strip()
    assert token.startswith("fdt_") and len(token) > 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["user", "create", "x1", "--role", "boss", "--password", "s3cret-pw"], "Invalid value for '--role'"),
        (["user", "create", "lee", "--role", "pm", "--password", "short"], "at least 8 characters"),
        (["user", "create", "bad name!", "--role", "pm", "--password", "s3cret-pw"], "username"),
        (["token", "create", "ghost"], "no user ghost"),
    ],
)
def test_bad_input_is_a_message_and_a_non_zero_exit(env, args, message):
    ok("init")
    ok("db", "upgrade")
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_duplicate_user_is_refused(env):
    ok("init")
    ok("db", "upgrade")
    ok("user", "create", "lee", "--role", "pm", "--password", "s3cret-pw")
    result = runner.invoke(app, ["user", "create", "lee", "--role", "pm", "--password", "s3cret-pw"])
    assert result.exit_code == 1 and "exists" in result.output


def test_commands_without_a_secret_say_to_run_init(env):
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1 and "faultdesk init" in result.output


def test_bad_configuration_is_reported_not_raised(env, monkeypatch):
    monkeypatch.setenv("FAULTDESK_TIMEZONE", "Mars/Olympus")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 1 and "unknown time zone" in result.output


def test_worker_runs_one_tick(env):
    ok("init")
    ok("db", "upgrade")
    assert "idempotency_keys_forgotten" in ok("worker", "--once")


@pytest.mark.slow
def test_serve_runs_the_real_server(env, store, tmp_path):
    ok("init")
    ok("db", "upgrade")
    port = free_port()
    exe = Path(sys.executable).with_name("faultdesk")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(exe), "serve", "--port", str(port)], env={**os.environ, **PATIENT_ENV}, stdout=out, stderr=out
        )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: serving(base), proc, log)
        health = httpx.get(f"{base}/healthz", timeout=WAIT_S)
        assert health.json()["database"] == store.name
        res = httpx.post(f"{base}/api/v1/reports", json={"channel": "web", "symptom": "首页白屏"}, timeout=WAIT_S)
        assert res.status_code == 201
        assert httpx.get(f"{base}/docs", timeout=WAIT_S).status_code == 200
        # With no FAULTDESK_PUBLIC_URL, a receipt's tracking link is this server's own port.
        receipt = httpx.get(f"{base}/report/receipt", cookies={"faultdesk_receipt": "abc123"}, timeout=WAIT_S)
        assert f"{base}/t/abc123" in receipt.text, receipt.text[:500]
    finally:
        stop(proc)


def test_the_calendar_from_the_command_line(env, store):
    ok("init")
    ok("db", "upgrade")
    assert "2027-01-02 is a workday" in ok("calendar", "set-day", "2027-01-02", "--kind", "workday", "--note", "调休")
    assert "2027 marked as announced" in ok("calendar", "announce", "2027")
    for args, message in (
        (["calendar", "set-day", "2027-13-01", "--kind", "holiday"], "2027-13-01"),
        (["calendar", "set-day", "2027-01-03", "--kind", "weekday"], "holiday or workday"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    from sqlalchemy import create_engine, text

    engine = create_engine(store.url)
    with engine.connect() as conn:
        days = conn.execute(text("SELECT day, kind, note FROM calendar_days")).all()
        years = conn.execute(text("SELECT year FROM calendar_years")).scalars().all()
    engine.dispose()
    assert [(str(d)[:10], k, n) for d, k, n in days] == [("2027-01-02", "workday", "调休")] and years == [2027]


def test_a_staff_members_time_zone_from_the_command_line(env):
    ok("init")
    ok("db", "upgrade")
    ok("user", "create", "hans", "--role", "tech_lead", "--password", "s3cret-pw", "--timezone", "Europe/Berlin")
    assert "works in Asia/Tokyo" in ok("user", "set-timezone", "hans", "Asia/Tokyo")
    assert "organisation" in ok("user", "set-timezone", "hans")
    for args, message in (
        (["user", "set-timezone", "hans", "Mars/Olympus"], "unknown time zone"),
        (["user", "set-timezone", "ghost", "Asia/Tokyo"], "no user ghost"),
        (["user", "create", "otto", "--role", "pm", "--password", "s3cret-pw", "--timezone", "Nowhere"], "Nowhere"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert runner.invoke(app, ["token", "create", "otto"]).exit_code == 1  # the refused user was not created


def test_a_password_reset_and_a_deactivation_from_the_command_line(env):
    from faultdesk.bootstrap import bootstrap
    from faultdesk.config import Settings
    from faultdesk.domain.errors import NotAuthenticated
    from faultdesk.services import access

    ok("init")
    ok("db", "upgrade")
    ok("user", "create", "lee", "--role", "pm", "--password", "s3cret-pw")
    wiring = bootstrap(Settings())
    try:
        sessions = [access.log_in(wiring.desk, "lee", "s3cret-pw", client="cli-test")[1] for _ in range(2)]
        assert "password of lee reset; 2 sessions ended" in ok(
            "user", "reset-password", "lee", "--password", "n3w-secret"
        )
        for token in sessions:
            with pytest.raises(NotAuthenticated):
                access.session_actor(wiring.desk, token)
        _, token = access.log_in(wiring.desk, "lee", "n3w-secret", client="cli-test")
        assert "user lee deactivated; 1 sessions ended" in ok("user", "deactivate", "lee")
        with pytest.raises(NotAuthenticated):
            access.session_actor(wiring.desk, token)
        with pytest.raises(NotAuthenticated):
            access.log_in(wiring.desk, "lee", "n3w-secret", client="cli-test")
    finally:
        wiring.engine.dispose()
    for args, message in (
        (["user", "reset-password", "ghost", "--password", "n3w-secret"], "no user ghost"),
        (["user", "reset-password", "lee", "--password", "short"], "at least 8 characters"),
        (["user", "deactivate", "ghost"], "no user ghost"),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def _counts(store) -> tuple[int, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(store.url)
    with engine.connect() as conn:
        faults = conn.execute(text("SELECT count(*) FROM faults")).scalar_one()
        reports = conn.execute(text("SELECT count(*) FROM reports")).scalar_one()
    engine.dispose()
    return faults, reports


def test_the_demo_loads_once_from_the_command_line(env, store):
    """`make run DEMO=1` twice: the second `faultdesk demo` changes nothing, says so and exits 0."""
    ok("init")
    ok("db", "upgrade")
    assert "86 reports, 19 faults" in ok("demo")
    again = ok("demo")
    assert again.startswith("demo already loaded on ") and "nothing changed" in again
    assert _counts(store) == (19, 86)


def test_the_demo_refuses_a_database_with_other_data_unless_forced(env, store):
    ok("init")
    ok("db", "upgrade")
    ok("user", "create", "ops", "--role", "admin", "--password", "s3cret-pw")
    refused = runner.invoke(app, ["demo"])
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "not the demo's (users: 1, reports: 0, faults: 0)" in refused.output and "--force" in refused.output
    assert _counts(store) == (0, 0)
    assert "19 faults" in ok("demo", "--force")
    assert "already loaded" in ok("demo", "--force")
    assert _counts(store) == (19, 86)


def test_import_checks_then_commits_and_says_what_is_wrong_with_a_file_that_is_no_table(env, tmp_path):
    """`faultdesk import` reads through the same functions as the console's /admin/import."""
    ok("init")
    ok("db", "upgrade")
    ok("user", "create", "boss", "--role", "admin", "--password", "s3cret-pw")
    header = "故障编号,反馈时间,故障现象,故障类型,当前状态\r\n"
    headless = tmp_path / "notes.csv"
    headless.write_text("名字,年龄\r\n张三,3\r\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(headless)])
    assert result.exit_code != 0 and "没有找到记录表" in result.output
    table = tmp_path / "old.csv"
    table.write_text(header + "240105-01-001,2024-01-05 09:30:00,登录后白屏,01,已归档\r\n", encoding="utf-8")
    assert "dry run: 1 faults would be imported" in ok("import", str(table))
    assert "imported 1 faults" in ok("import", str(table), "--commit")
    again = runner.invoke(app, ["import", str(table)])
    assert again.exit_code != 0 and "该故障编号已存在" in again.output

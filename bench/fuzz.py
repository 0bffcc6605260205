"""The fuzz figures (issue 10.9): schemathesis over /openapi.json as an admin, on each store.

    .venv/bin/python bench/fuzz.py [--stores sqlite,postgresql] [--max-examples 30] [--seed 1] [--json]

For each store: a fresh FAULTDESK_HOME in a temp dir (and, on PostgreSQL, a fresh database on the
server of FUZZ_POSTGRES_URL or FAULTDESK_TEST_POSTGRES_URL, dropped afterwards); ``faultdesk
init``, ``db upgrade``, ``demo`` (so the operations meet real faults, reports and records) and
``token create admin1``; ``faultdesk serve --no-worker`` on a free port of 127.0.0.1; then two
schemathesis runs against it with the admin's bearer token: ``--checks not_a_server_error``, then
``--checks all``. Each run is bounded (``--max-examples`` per operation and phase, a fixed
``--seed``, one schemathesis worker beside the one server process on the 2-core machine, a
per-request timeout and a wall-clock limit for the whole run). Figures per run: the operations
tested, the cases generated, the failures by check, and the 5xx answers the server's access log
shows. PostgreSQL is skipped, and says so, when neither variable is set.

The public intake limit is raised for the run, so the public operations are fuzzed instead of
answering 429 after the first 120 requests (429 is documented and tested elsewhere).

Reports (schemathesis's JSON report, the server's log) are kept under test-artifacts/fuzz/<store>/.
Exit status: 0, or 1 when either run met a server error on any store (or a run could not finish).
All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from stores import (  # sibling module: run as `python bench/X.py`
    BIN,
    HOST,
    PG_ADMIN_URL,
    faultdesk,
    fresh_store,
    serving,
    stop_on_sigterm,
    store_names,
)

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "fuzz"
ADMIN = "admin1"  # the demo's admin
RATE_LIMIT = "10000000/minute"
RUN_TIMEOUT_S = 900.0  # one schemathesis run; with the defaults it takes one to two minutes
REQUEST_TIMEOUT_S = 20.0
RUNS = ("not_a_server_error", "all")
SERVER_ERROR_CODES = {"ST101", "ST102"}  # a 5xx; a 5xx for an undeclared Content-Type
ACCESS_LINE = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def pg_server_url() -> str:
    return os.environ.get("FUZZ_POSTGRES_URL") or os.environ.get("FAULTDESK_TEST_POSTGRES_URL") or ""


def server_errors(log: Path, start: int) -> tuple[Counter[str], int]:
    """5xx answers in the access log from byte ``start`` on, by method and path (ids folded), and the log's end."""
    data = log.read_bytes()
    found: Counter[str] = Counter()
    for line in data[start:].decode(errors="replace").splitlines():
        m = ACCESS_LINE.search(line)
        if m and m.group(3).startswith("5"):
            path = re.sub(r"/(\d[^/]*|[^/]{16,})", "/…", m.group(2).split("?")[0])  # numbers, ids, tokens
            found[f"{m.group(1)} {path} {m.group(3)}"] += 1
    return found, len(data)


def schemathesis(port: int, token: str, checks: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    report = out / f"schemathesis-{checks}.json"
    cmd = [
        str(BIN / "schemathesis"),
        "run",
        f"http://{HOST}:{port}/openapi.json",
        "-H",
        f"Authorization: Bearer {token}",
        "--checks",
        checks,
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--request-timeout",
        str(REQUEST_TIMEOUT_S),
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    started = time.monotonic()
    with (out / f"schemathesis-{checks}.txt").open("wb") as text_out:
        done = subprocess.run(cmd, cwd=out, stdout=text_out, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT_S)
    elapsed = time.monotonic() - started
    if not report.exists():
        raise RuntimeError(f"schemathesis ({checks}) exited {done.returncode} without a report: see {text_out.name}")
    data = json.loads(report.read_text())
    return {
        "checks": checks,
        "seconds": round(elapsed, 1),
        "exit_code": done.returncode,
        "operations": data["operations"]["tested"],
        "operations_selected": data["operations"]["selected"],
        "cases": data["test_cases"]["generated"],
        "cases_with_failures": data["test_cases"]["with_failures"],
        "errors": len(data.get("errors") or []),
        "failures": [
            {"code": f["code"], "title": f["title"], "count": f["count"], "operations": f["operations"]}
            for f in data.get("failures") or []
        ],
    }


def run_store(name: str, args: argparse.Namespace) -> dict[str, Any]:
    out = ARTIFACTS / name
    out.mkdir(parents=True, exist_ok=True)
    server = pg_server_url() or PG_ADMIN_URL
    with fresh_store(name, "fdfuzz", migrate=False, server=server) as store:  # the CLI migrates it, for real
        home = str(store.home)
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAULTDESK_")}
        env.update(FAULTDESK_HOME=home, FAULTDESK_INTAKE_RATE_LIMIT=RATE_LIMIT, FAULTDESK_RUN_WORKER="false")
        if store.name == "postgresql":
            env["FAULTDESK_DATABASE_URL"] = store.url
        say(f"[{name}] init, db upgrade, demo")
        faultdesk(env, "init")
        faultdesk(env, "db", "upgrade")
        faultdesk(env, "demo")
        token = faultdesk(env, "token", "create", ADMIN).strip().splitlines()[-1]
        log = out / "server.log"
        with serving(env, log) as (port, _):
            runs = []
            offset = 0
            for checks in RUNS:
                say(f"[{name}] schemathesis --checks {checks}")
                run = schemathesis(port, token, checks, args, out)
                found, offset = server_errors(log, offset)
                run["server_5xx"] = dict(found)
                runs.append(run)
    return {"store": name, "runs": runs, "artifacts": str(out.relative_to(REPO))}


def server_error_count(run: dict[str, Any]) -> int:
    in_checks = sum(f["count"] for f in run["failures"] if f["code"] in SERVER_ERROR_CODES)
    return max(in_checks, sum(run["server_5xx"].values()))


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"schemathesis over /openapi.json as {ADMIN}: --max-examples {args.max_examples} --seed {args.seed}"]
    for result in results:
        if "skipped" in result:
            lines.append(f"\n{result['store']}: skipped ({result['skipped']})")
            continue
        lines.append(f"\n{result['store']} (reports in {result['artifacts']}/)")
        for run in result["runs"]:
            lines.append(
                f"  --checks {run['checks']}: {run['operations']}/{run['operations_selected']} operations, "
                f"{run['cases']} cases, {run['cases_with_failures']} with failures, "
                f"{server_error_count(run)} server errors, {run['errors']} errors, {run['seconds']} s"
            )
            for f in run["failures"]:
                lines.append(f"    {f['code']} {f['title']}: {f['count']}")
                lines.extend(f"      {op}" for op in f["operations"])
            for what, n in sorted(run["server_5xx"].items()):
                lines.append(f"    server log: {what} ×{n}")
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--max-examples", type=int, default=30, help="cases per operation and phase (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object after the table")
    args = parser.parse_args(argv)
    args.store_list = store_names(parser, args.stores)
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    stop_on_sigterm()
    results: list[dict[str, Any]] = []
    failed = False
    for name in args.store_list:
        if name == "postgresql" and not pg_server_url():
            results.append({"store": name, "skipped": "set FUZZ_POSTGRES_URL or FAULTDESK_TEST_POSTGRES_URL"})
            continue
        try:
            results.append(run_store(name, args))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            say(f"[{name}] could not finish: {exc}")
            results.append({"store": name, "skipped": f"could not finish: {str(exc).splitlines()[0]}"})
            failed = True
    print(table(results, args))
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    errors = sum(server_error_count(run) for result in results for run in result.get("runs", []))
    if errors:
        print(f"\n{errors} server errors: FAIL")
    return 1 if errors or failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

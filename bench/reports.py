"""Benchmark of the record table's export (issue 13 item 6): seed N faults with their reports and
clocks on PostgreSQL and SQLite (bulk inserts; COPY on PostgreSQL), time the metrics for one month
and one year (January 2025, the year 2025: ``services.metrics.compute``, as the API computes them),
then export the table as CSV and as .xlsx and compare each with the bare writer library writing the
same rows from a list.

    .venv/bin/python bench/reports.py [--faults N] [--stores postgresql,sqlite] [--cache DIR] [--json]

Peak memory is the peak RSS (``VmHWM`` in ``/proc/self/status``) of a child process that does
nothing but the export (it includes the interpreter and FaultDesk's imports, about 135 MB). Not
``ru_maxrss``: Linux keeps that across fork and exec, so a child reports the bench's own peak
(the bare writer's rows held in a list) whenever it is larger than its own. The bare writer's rows are the
export's own first ``--bare-rows`` rows (default 100,000) held in a list, so its rate excludes
reading the database and building the cells: the ratio is the export's whole pipeline over the
writer alone.

The record table keeps each fault's row as a CSV line, rendered again by the worker after the
fault changes (migration 0026). The bench renders every line first (``lines_render_s``: the
worker's time for the whole table, once), then exports with the lines current (``rows_per_s``,
``ratio``: the export as it runs on a desk whose worker keeps up) and with none current
(``cold_rows_per_s``, ``cold_ratio``: every row rendered live, as right after a change of the
zone or of a release that rewords the table, or for an English export). ``cpu_ratio`` is the
same comparison by CPU time (the export child's against the bare writer's), steadier than the
clock on a shared machine; a PostgreSQL server's own CPU is not in it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from stores import fresh_store, kept_store, store_names

START = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 20_000


def seed(url: str, n: int) -> None:
    """n faults, one report each (the first of two for every tenth), two finished clocks each."""
    from sqlalchemy import insert

    from faultdesk.adapters.db import tables as t
    from faultdesk.adapters.db.engine import make_engine

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            insert(t.fault_types),
            [{"code": "01", "label_zh": "功能异常", "label_en": "functional", "active": True}],
        )
        conn.execute(
            insert(t.users),
            [{"id": 1, "username": "bench", "display_name": "bench", "role": "admin", "password_hash": "x",
              "active": True, "created_at": START}],
        )  # fmt: skip
    pg = engine.dialect.name == "postgresql"
    report_id = clock_id = 0
    for base in range(0, n, BATCH):
        faults, reports, clocks = [], [], []
        for i in range(base, min(n, base + BATCH)):
            at = START + timedelta(seconds=i * 30)
            day = at.date()
            faults.append((i + 1, f"{day:%y%m%d}-01-{i + 1:07d}", "01", f"故障 {i}", "archived" if i % 3 else "fixing",
                           i % 3, i % 500, at, 1, at, 1))  # fmt: skip
            for _k in range(2 if i % 10 == 0 else 1):
                report_id += 1
                reports.append((report_id, f"{report_id:064x}", "app", at, at - timedelta(minutes=5), "场景",
                                f"现象 {i} =1+1" if i % 100 == 0 else f"现象 {i}", "iPhone 13", "iOS 17", "5.2.1",
                                "wifi", f"u{i}", "138****1234", i + 1, at))  # fmt: skip
            for kind in ("first_reply", "grade"):
                clock_id += 1
                breached = at + timedelta(hours=2) if (i + len(kind)) % 7 == 0 else None
                clocks.append((clock_id, i + 1, kind, "24x7", "met", at, at + timedelta(hours=1),
                               at + timedelta(minutes=30), breached, 0))  # fmt: skip
        f_cols = ["id", "number", "type_code", "title", "status", "severity", "affected_users", "registered_at",
                  "registered_by", "updated_at", "version"]  # fmt: skip
        r_cols = ["id", "tracking_token_hash", "channel", "received_at", "occurred_at", "scenario", "symptom",
                  "device_model", "os_version", "app_version", "network", "reporter_id", "contact_masked",
                  "fault_id", "created_at"]  # fmt: skip
        c_cols = ["id", "fault_id", "kind", "mode", "state", "started_at", "due_at", "met_at", "breached_at",
                  "escalation_level"]  # fmt: skip
        if pg:
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cur:
                    for table, cols, rows in (("faults", f_cols, faults), ("reports", r_cols, reports),
                                              ("clocks", c_cols, clocks)):  # fmt: skip
                        with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                raw.commit()
            finally:
                raw.close()
        else:
            with engine.begin() as conn:
                conn.execute(insert(t.faults), [dict(zip(f_cols, r, strict=True)) for r in faults])
                conn.execute(insert(t.reports), [dict(zip(r_cols, r, strict=True)) for r in reports])
                conn.execute(insert(t.clocks), [dict(zip(c_cols, r, strict=True)) for r in clocks])
    if pg:
        with engine.begin() as conn:
            for table in ("faults", "reports", "clocks", "users"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
        # VACUUM as autovacuum would have long since done to a year of faults (the test server runs
        # with autovacuum off): without it no page is marked all-visible and no scan is index-only.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def _desk(url: str, home: Path):  # type: ignore[no-untyped-def]
    from faultdesk.bootstrap import bootstrap
    from faultdesk.config import Settings

    settings = Settings(home=home, database_url=url, secret_key="bench-secret", run_worker=False)
    return bootstrap(settings)


def child_export(url: str, home: str, fmt: str, out: str) -> None:
    """The export alone, in this process: prints rows, seconds and this process's peak RSS. A
    format ending in ``-cold`` exports as if no kept line were current (every row rendered live)."""
    from faultdesk.entrypoints.common import record_table as rt
    from faultdesk.entrypoints.common.exports import write_export
    from faultdesk.services.records import Actor, FaultFilter

    fmt, cold = fmt.removesuffix("-cold"), fmt.endswith("-cold")
    if cold:
        rt.words_key = lambda *args: "cold"  # type: ignore[assignment]  # no kept line is in these words
    wiring = _desk(url, Path(home))
    from faultdesk.domain.roles import Role

    actor = Actor(1, "bench", Role.ADMIN)
    started, cpu = time.perf_counter(), time.process_time()
    rows = write_export(wiring.desk, FaultFilter(sort="registered_at"), fmt, "zh", Path(out), actor=actor)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = _peak_rss_kb() / 1024
    print(
        json.dumps(
            {"rows": rows, "seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb, "lines": _lines_current(wiring)}
        )
    )


def _lines_current(wiring) -> bool:  # type: ignore[no-untyped-def]
    """Whether the kept lines are in this process's words (a source edited since they were
    rendered makes them all stale: the export was then rendered live)."""
    from faultdesk.entrypoints.common import record_table as rt

    lines = wiring.desk.record_lines
    return lines is not None and lines.in_words(rt.words_key("zh", wiring.desk.timezone))


def _peak_rss_kb() -> int:
    """This process's own peak resident set (its address space's high-water mark), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


def bare(url: str, home: Path, fmt: str, limit: int) -> tuple[float, float]:
    """Rows a second of the bare writer writing the export's first ``limit`` rows from a list:
    by the clock, and by this process's CPU time."""
    import itertools

    import xlsxwriter

    from faultdesk.domain.roles import Role
    from faultdesk.entrypoints.common import record_table as rt
    from faultdesk.entrypoints.common.exports import _batches, _cells
    from faultdesk.services.records import Actor, FaultFilter

    wiring = _desk(url, home)
    rows = list(
        itertools.islice(
            _cells(_batches(wiring.desk, FaultFilter(sort="registered_at"), "zh", Actor(1, "bench", Role.ADMIN))),
            limit,
        )
    )
    header = rt.header("zh")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"bare.{fmt}"
        started, cpu = time.perf_counter(), time.process_time()
        if fmt == "csv":
            with path.open("w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(rows)
        else:
            book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
            sheet = book.add_worksheet()
            sheet.write_row(0, 0, header)
            for r, row in enumerate(rows, start=1):
                for c, cell in enumerate(row):
                    if cell is None:
                        continue
                    if isinstance(cell, int):
                        sheet.write_number(r, c, cell)
                    else:
                        sheet.write_string(r, c, cell)
            book.close()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    wiring.engine.dispose()
    return len(rows) / seconds, len(rows) / cpu


def render_lines(url: str, home: Path) -> float:
    """Seconds the worker takes to render every fault's kept line (none when all are current)."""
    from faultdesk.entrypoints.common.exports import refresh_record_lines

    wiring = _desk(url, home)
    started = time.perf_counter()
    while refresh_record_lines(wiring.desk, limit=5000):
        pass
    seconds = time.perf_counter() - started
    wiring.engine.dispose()
    return seconds


def _export(store, fmt: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"export.{fmt.removesuffix('-cold')}"
        done = subprocess.run(
            [sys.executable, __file__, "--child-export", store.url, str(store.home), fmt, str(target)],
            check=True, capture_output=True, text=True, env=os.environ | {"PYTHONPATH": "src"},
        )  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def metrics_seconds(url: str, home: Path, start: str, end: str) -> float:
    """Seconds of the metrics GET /api/v1/metrics answers (``services.metrics.compute``, the query
    read by ``metrics_query`` as the API reads ``from``/``to``), for local dates [start, end): the
    faster of two runs (the first also warms the database's cache)."""
    from faultdesk.domain.roles import Role
    from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_query
    from faultdesk.services import metrics
    from faultdesk.services.records import Actor

    wiring = _desk(url, home)
    desk = wiring.desk
    query = metrics_query(MetricsParams(start=start, end=end), desk.timezone, desk.clock.now())
    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        metrics.compute(desk, query, actor=Actor(1, "bench", Role.ADMIN))
        best = min(best, time.perf_counter() - started)
    wiring.engine.dispose()
    return best


def measure(store, n: int, bare_rows: int, cold: bool = True) -> dict[str, object]:  # type: ignore[no-untyped-def]
    # The seeded faults start on 1 January 2025 (a fault every 30 s: 1,000,000 span 347 days).
    out: dict[str, object] = {
        "faults": n,
        "metrics_month_s": round(metrics_seconds(store.url, store.home, "2025-01-01", "2025-02-01"), 3),
        "metrics_year_s": round(metrics_seconds(store.url, store.home, "2025-01-01", "2026-01-01"), 3),
        "export": {},
    }
    out["lines_render_s"] = round(render_lines(store.url, store.home), 1)  # 0 when kept from a run before
    for fmt in ("csv", "xlsx"):
        result = _export(store, fmt)
        rate = result["rows"] / result["seconds"]
        bare_rate, bare_cpu_rate = bare(store.url, store.home, fmt, bare_rows)
        figures = out["export"][fmt] = {  # type: ignore[index]
            "rows_per_s": round(rate),
            "bare_rows_per_s": round(bare_rate),
            "ratio": round(rate / bare_rate, 2),
            "peak_mb": round(result["peak_mb"], 1),
            "rows": result["rows"],
            "lines_current": result["lines"],  # false: a source changed under the run, the figures are cold
            # By CPU time (this process's; a PostgreSQL server's is not in it): steady where other
            # work on a shared machine makes the clock's figures swing by a third.
            "cpu_ratio": round(result["rows"] / result["cpu_s"] / bare_cpu_rate, 2),
        }
        if cold:  # every row rendered live (no kept line current)
            live = _export(store, f"{fmt}-cold")
            cold_rate = live["rows"] / live["seconds"]
            figures |= {
                "cold_rows_per_s": round(cold_rate),
                "cold_ratio": round(cold_rate / bare_rate, 2),
                "cold_peak_mb": round(live["peak_mb"], 1),
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=1_000_000)
    parser.add_argument("--stores", default="postgresql,sqlite")
    parser.add_argument("--cache", type=Path, help="keep the seeded databases here and reuse them")
    parser.add_argument("--bare-rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-cold", action="store_true", help="skip the exports with no kept line current")
    parser.add_argument("--child-export", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        child_export(*args.child_export)
        return
    results: dict[str, object] = {}
    for name in store_names(parser, args.stores):
        if args.cache:

            def ready(url: str, n: int = args.faults) -> bool:
                from sqlalchemy import create_engine, func, select

                from faultdesk.adapters.db import tables as t

                engine = create_engine(url)
                try:
                    with engine.connect() as conn:
                        return conn.execute(select(func.count()).select_from(t.faults)).scalar_one() == n
                except Exception:
                    return False
                finally:
                    engine.dispose()

            ctx = kept_store(name, f"reports{args.faults}", args.cache, ready=ready)
        else:
            ctx = fresh_store(name, "fdreports")
        with ctx as store:
            if not args.cache or not _count(store.url):
                started = time.perf_counter()
                seed(store.url, args.faults)
                if not args.json:
                    print(
                        f"{name}: seeded {args.faults} faults in {time.perf_counter() - started:.1f} s", file=sys.stderr
                    )
            results[name] = measure(store, args.faults, args.bare_rows, cold=not args.no_cold)
    print(json.dumps(results, indent=None if args.json else 2, ensure_ascii=False))


def _count(url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from faultdesk.adapters.db import tables as t

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(t.faults)).scalar_one())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()

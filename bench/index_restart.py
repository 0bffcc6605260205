"""Benchmark of the known-issue index across a restart: building it from the database (what a
process does on its first start) against restoring the snapshot the last process kept
(``home/index/known-issues.pickle``) and catching up.

    .venv/bin/python bench/index_restart.py [--json] [--stores sqlite,postgresql] [--faults 100000] [--reports 300000]

On the corpus of bench/pages.py (its faults, reports and knowledge base), seeded once and kept
(the same cache as ``bench/pages.py --cache``). For each store, in one process: build the index
from the database (``catch_up`` with no snapshot), keep it (``save``: seconds, file size, and the
part of it searches wait for: copying the index under its lock), then a
second wiring on the same database and home restores it (``catch_up`` again), and a search for one
report's candidates on each, which must agree. Prints the seconds of each step and the ratio
restore / build (the lower the better). All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.services import known_issues
from pages import SECRET_KEY, load_templates, seeded_store  # sibling modules: run as `python bench/X.py`
from stores import store_names


def timed(step: Any) -> tuple[Any, float]:
    begun = time.perf_counter()
    result = step()
    return result, time.perf_counter() - begun


def candidates(desk: Any, report_id: int) -> list[tuple[str | None, str]]:
    with desk.uow() as uow:
        report = uow.reports.get(report_id)
        return [(c.fault_number, c.via) for c in known_issues.candidates_for(desk, uow, report)]


def measure(url: str, report_id: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="fdindex-") as home:
        settings = Settings(database_url=url, home=Path(home), secret_key=SECRET_KEY, run_worker=False)
        first = bootstrap(settings)
        library = first.desk.known_issues
        with first.desk.uow() as uow:
            _, build_s = timed(lambda: library.catch_up(uow))
        _, copy_s = timed(library.index.copy_state)  # what a save holds the lock for: searches wait
        _, save_s = timed(library.save)
        size = (Path(home) / "index" / "known-issues.pickle").stat().st_size
        built = candidates(first.desk, report_id)
        first.engine.dispose()
        second = bootstrap(settings)
        with second.desk.uow() as uow:
            _, restore_s = timed(lambda: second.desk.known_issues.catch_up(uow))
        restored = candidates(second.desk, report_id)
        second.engine.dispose()
    return {
        "build_s": round(build_s, 2),
        "save_s": round(save_s, 2),
        "save_lock_s": round(copy_s, 2),
        "snapshot_mb": round(size / 1e6, 1),
        "restore_s": round(restore_s, 2),
        "ratio": round(restore_s / build_s, 3),
        "same_candidates": built == restored,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--faults", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=300_000)
    args = parser.parse_args(argv)
    args.store_list, args.cache, args.seed = store_names(parser, args.stores), True, 1
    results = []
    with tempfile.TemporaryDirectory(prefix="fdindex-demo-") as scratch:
        for name in args.store_list:
            with seeded_store(name, args, lambda: load_templates(Path(scratch))) as (store, marker, _):
                figures = measure(store.url, int(marker["report"]))
            results.append({"store": name, "faults": marker["faults"], "reports": marker["reports"], **figures})
            if not args.json:
                print(
                    f"{name}: {marker['faults']:,} faults, {marker['reports']:,} reports — build {figures['build_s']} s,"
                    f" save {figures['save_s']} s ({figures['snapshot_mb']} MB; searches wait {figures['save_lock_s']} s), restore {figures['restore_s']} s"
                    f" (ratio {figures['ratio']}), same candidates: {figures['same_candidates']}"
                )
    if args.json:
        print(json.dumps({"stores": results}))
    return 0 if all(r["same_candidates"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

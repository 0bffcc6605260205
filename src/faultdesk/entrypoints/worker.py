"""The worker: background jobs, run by `faultdesk worker` or in-process by `faultdesk serve`.

Today it housekeeps (expired idempotency keys); clocks and the outbox join it later. Each job
is one unit of work, so a crash between jobs loses nothing.
"""

from __future__ import annotations

import logging
import threading

from faultdesk.services import intake
from faultdesk.services.desk import Desk

log = logging.getLogger("faultdesk.worker")


def tick(desk: Desk) -> dict[str, int]:
    """One pass over every job; returns what each did."""
    return {"idempotency_keys_forgotten": intake.forget_old_submissions(desk)}


def run(desk: Desk, stop: threading.Event, interval_s: float = 15.0) -> None:
    log.info("worker started")
    while not stop.is_set():
        try:
            done = tick(desk)
            if any(done.values()):
                log.info("worker tick: %s", done)
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("worker tick failed")
        stop.wait(interval_s)
    log.info("worker stopped")


def start_in_thread(desk: Desk, interval_s: float = 15.0) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(desk, stop, interval_s), name="faultdesk-worker", daemon=True)
    thread.start()
    return thread, stop

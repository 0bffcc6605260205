"""The worker: fires due clocks and delivers the outbox; run by `faultdesk worker` or in-process
by `faultdesk serve`. Several may run against one PostgreSQL: clocks and messages are claimed
with SKIP LOCKED, so each clock fires once and each message is leased to one worker at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta

from faultdesk.entrypoints.common.exports import refresh_record_lines, run_next_export_job
from faultdesk.services import access, clocks, delivery, intake, known_issues
from faultdesk.services.desk import Desk
from faultdesk.services.ports import Notifier

log = logging.getLogger("faultdesk.worker")
CLOCK_BATCH = 500
MESSAGE_BATCH = 100
INDEX_SAVE_EVERY = timedelta(minutes=10)


def tick(desk: Desk, notifiers: Mapping[str, Notifier]) -> dict[str, int]:
    """One pass: fire every due clock (in batches), then deliver every due message, firing the
    clocks again between delivery batches: a backlog of messages to a slow far end must not hold
    a due clock back by more than one batch's send window."""
    fired = _fire_due_clocks(desk)
    sent = retried = dead = deferred = 0
    while True:
        result = delivery.deliver(desk, notifiers, limit=MESSAGE_BATCH)
        sent, retried, dead = sent + result.sent, retried + result.retried, dead + result.dead
        deferred += result.deferred
        # A short batch means the outbox is drained; a deferral means the batch ran out of time
        # or met a channel that is down: either way the next tick (and its clocks) comes first.
        if result.tried < MESSAGE_BATCH or result.deferred:
            break
        fired += _fire_due_clocks(desk)
    # One batch a tick: matching is deferred work and must not crowd out the requests it shares
    # the process with; a backlog drains over the following ticks.
    linked = known_issues.auto_link_new_reports(desk)
    return {
        "reports_auto_linked": linked,
        "clocks_fired": fired,
        "messages_sent": sent,
        "messages_retried": retried,
        "messages_dead": dead,
        "messages_deferred": deferred,
        "idempotency_keys_forgotten": intake.forget_old_submissions(desk),
        "sessions_forgotten": access.forget_expired_sessions(desk),
    }


def _fire_due_clocks(desk: Desk) -> int:
    fired = 0
    while True:
        n = clocks.fire_due(desk, limit=CLOCK_BATCH)
        fired += n
        if n < CLOCK_BATCH:
            return fired


def keep_index(desk: Desk, saved_at: datetime | None) -> datetime | None:
    """Save this process's known-issue index for the next start, at most every
    ``INDEX_SAVE_EVERY`` and only when it read something since: a restart then reads what changed
    instead of analysing every document again (~100 s at 100,000 faults). Answers when it last looked."""
    now = desk.clock.now()
    if saved_at is not None and now - saved_at < INDEX_SAVE_EVERY:
        return saved_at
    try:
        if desk.known_issues.save():
            log.info("known-issue index kept for the next start")
    except Exception:
        log.exception("keeping the known-issue index failed")
    return now


def run_exports(desk: Desk, stop: threading.Event, interval_s: float) -> None:
    """Export jobs (issue 13), one after another on a thread of their own: a million-row .xlsx
    takes minutes, and the clocks must not wait for it. When no job waits, the record table's kept
    lines of the faults changed since are rendered again, a batch at a time (a job asked for
    meanwhile goes first), and now and then the known-issue index is kept on disk."""
    saved_at: datetime | None = None
    while not stop.is_set():
        busy = False
        try:
            busy = run_next_export_job(desk)
        except Exception:
            log.exception("export job failed")
        if not busy:
            try:
                busy = refresh_record_lines(desk) > 0
            except Exception:  # e.g. two workers rendering one fault at once on PostgreSQL: the next pass retries
                log.exception("rendering the record table's lines failed")
        if not busy:
            saved_at = keep_index(desk, saved_at)
            stop.wait(interval_s)


def run(desk: Desk, notifiers: Mapping[str, Notifier], stop: threading.Event, interval_s: float) -> None:
    log.info("worker started")
    if desk.exports_dir is not None:
        threading.Thread(
            target=run_exports, args=(desk, stop, interval_s), name="faultdesk-exports", daemon=True
        ).start()
    while not stop.is_set():
        try:
            done = tick(desk, notifiers)
            if any(done.values()):
                log.info("worker tick: %s", done)
        except Exception:  # keep the loop alive; the next tick retries
            log.exception("worker tick failed")
        stop.wait(interval_s)
    log.info("worker stopped")


def start_in_thread(
    desk: Desk, notifiers: Mapping[str, Notifier], interval_s: float
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(desk, notifiers, stop, interval_s), name="faultdesk-worker", daemon=True
    )
    thread.start()
    return thread, stop

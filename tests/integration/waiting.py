"""Waiting for what another process does: for the event itself (an answer, a server up, an exit),
polled, bounded by WAIT_S, and failing at once with the other side's log when it dies first."""

from __future__ import annotations

import multiprocessing
import queue
import subprocess
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import httpx2 as httpx

from tests.conftest import JOB_S, WAIT_S


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, seconds: float = WAIT_S) -> None:
    """Poll for something a child process does (a server starting, a worker sending)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"nothing after {seconds} s:\n{log.read_text()[-3000:]}"
        time.sleep(0.05)


def serving(base: str) -> bool:
    """The server at ``base`` answers its health check (False while it is still starting)."""
    try:
        return httpx.get(f"{base}/healthz", timeout=WAIT_S).status_code == 200
    except httpx.TransportError:
        return False


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a child and wait for it to go; kill it if it will not."""
    proc.terminate()
    try:
        proc.wait(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=WAIT_S)
        raise


def answers(procs: list[BaseProcess], out: multiprocessing.Queue[Any], seconds: float = JOB_S) -> list[Any]:
    """One answer per spawned process from ``out``, then their clean exits; a process that dies
    before it answers fails the test at once with its exit code."""
    got: list[Any] = []
    deadline = time.monotonic() + seconds
    while len(got) < len(procs):
        try:
            got.append(out.get(timeout=0.5))
        except queue.Empty:
            died = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
            assert not died, f"a process died before it answered: exit codes {died}"
            assert time.monotonic() < deadline, f"{len(procs) - len(got)} of {len(procs)} did not answer in {seconds} s"
    for p in procs:
        p.join(seconds)
        assert p.exitcode == 0
    return got

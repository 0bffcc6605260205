"""How long tests wait for events (no database imports: the unit tests use it too)."""

from __future__ import annotations

# Whatever waits for another thread or process (a pooled connection, SQLite's write lock, a
# child's answer, a server coming up) waits for that event, bounded far beyond any healthy run:
# a busy machine may make a test slower, never red; only something that hangs fails on it.
WAIT_S = 600.0  # one event: a request, a server start (loaded runs: up to ~20 s)
# Waiting on all the rest of a test's work: a child's whole job, or a pooled connection or
# SQLite's lock, which neither pool nor SQLite hands out first come, first served (under two CPU
# burners one of 400 checkouts waited 60 s, most of the 64 s its test took; 240 s tests seen).
JOB_S = 3 * WAIT_S

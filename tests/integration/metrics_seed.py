"""A small seeded history whose figures are worked out by hand in test_metrics.py.

Rows go straight into the tables (times chosen, not waited for). NOW is 2026-11-25 10:00 in
Shanghai; the period is November 2026 there: [2026-10-31T16:00Z, 2026-11-30T16:00Z).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from faultdesk.adapters.db import tables as t


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# id: (number, type, status, severity, affected, registered_at, reopens, recurrence, related, owners)
FAULTS: dict[int, tuple[Any, ...]] = {
    1: ("261001-01-001", "01", "archived", 2, 3, "2026-10-01T02:00", 0, "new", None, {}),
    2: ("261020-01-001", "01", "fixing", 2, 8, "2026-10-20T02:00", 0, "new", None, {}),
    3: ("261102-01-001", "01", "archived", 0, 1500, "2026-11-02T02:00", 1, "new", None, {}),
    4: ("261105-01-001", "01", "resolved", 1, 300, "2026-11-05T02:00", 0, "recurrence", 1, {}),
    5: ("261110-02-001", "02", "locating", 1, 50, "2026-11-10T02:00", 0, "new", None, {"handling": 3}),
    6: ("261120-03-001", "03", "registered", None, 1, "2026-11-20T02:00", 0, None, None, {}),
}
NUMBER = {i: row[0] for i, row in FAULTS.items()}

# id: (fault, channel, received_at)
REPORTS: dict[int, tuple[int | None, str, str]] = {
    1: (3, "app", "2026-11-02T01:30"),
    2: (3, "web", "2026-11-02T01:50"),
    3: (4, "app", "2026-11-05T01:00"),
    4: (5, "hotline", "2026-11-10T01:40"),
    5: (6, "app", "2026-11-20T01:55"),
    6: (None, "web", "2026-11-24T01:00"),  # not registered yet
    7: (1, "app", "2026-10-01T01:00"),  # before the period
}

# (kind, severity, fault, report, state, started, due, met, breached)
CLOCKS: list[tuple[Any, ...]] = [
    ("register", None, None, 1, "met", "2026-11-02T01:30", "2026-11-02T02:00", "2026-11-02T02:00", None),
    ("register", None, None, 2, "met", "2026-11-02T01:50", "2026-11-02T02:20", "2026-11-02T02:00", None),
    ("register", None, None, 3, "met", "2026-11-05T01:00", "2026-11-05T01:30", "2026-11-05T02:00", "2026-11-05T01:30"),
    ("register", None, None, 4, "met", "2026-11-10T01:40", "2026-11-10T02:10", "2026-11-10T02:00", None),
    ("register", None, None, 5, "met", "2026-11-20T01:55", "2026-11-20T02:25", "2026-11-20T02:00", None),
    ("register", None, None, 6, "running", "2026-11-24T01:00", "2026-11-24T01:30", None, None),  # late, not fired
    ("register", None, None, 7, "met", "2026-10-01T01:00", "2026-10-01T01:30", "2026-10-01T02:00", "2026-10-01T01:30"),
    ("grade", None, 3, None, "met", "2026-11-02T02:00", "2026-11-02T03:00", "2026-11-02T02:30", None),
    ("grade", None, 4, None, "met", "2026-11-05T02:00", "2026-11-05T03:00", "2026-11-05T04:00", "2026-11-05T03:00"),
    ("grade", None, 5, None, "met", "2026-11-10T02:00", "2026-11-10T03:00", "2026-11-10T02:10", None),
    ("grade", None, 6, None, "running", "2026-11-20T02:00", "2026-11-20T03:00", None, None),
    ("first_reply", None, 3, None, "met", "2026-11-02T02:00", "2026-11-02T03:00", "2026-11-02T02:20", None),
    ("first_reply", None, 4, None, "met", "2026-11-05T02:00", "2026-11-05T03:00", "2026-11-05T02:40", None),
    ("first_reply", None, 5, None, "met", "2026-11-10T02:00", "2026-11-10T03:00", "2026-11-10T02:05", None),
    ("first_reply", None, 6, None, "paused", "2026-11-20T02:00", "2026-11-20T03:00", None, None),
    ("response", 0, 3, None, "met", "2026-11-02T03:00", "2026-11-02T03:15", "2026-11-02T03:10", None),
    ("response", 1, 4, None, "breached", "2026-11-05T03:00", "2026-11-05T10:00", None, "2026-11-05T10:00"),
    ("response", 1, 5, None, "met", "2026-11-10T03:00", "2026-11-10T10:00", "2026-11-10T05:00", None),
    ("archive", 0, 3, None, "met", "2026-11-03T02:00", "2026-11-04T02:00", "2026-11-03T06:00", None),
    ("archive", 0, 3, None, "met", "2026-11-04T02:00", "2026-11-05T02:00", "2026-11-04T05:00", None),  # after a reopen
    ("archive", 1, 4, None, "running", "2026-11-06T02:00", "2026-11-07T02:00", None, None),
    ("archive", 2, 1, None, "met", "2026-10-02T02:00", "2026-10-03T02:00", "2026-10-02T05:00", None),
]

# (fault, title, owner, due, status)
IMPROVEMENTS = [
    (3, "补充支付异常场景用例", 5, date(2026, 11, 10), "done"),
    (3, "接口参数校验加监控", 4, date(2026, 11, 20), "open"),  # overdue on 11-25
    (4, "发布前回归清单", 2, date(2026, 11, 28), "open"),
    (4, "灰度发布指标看板", 2, date(2026, 12, 5), "open"),  # due after the period
    (4, "旧方案", 2, date(2026, 11, 15), "dropped"),
]


def seed(engine: Engine, *, registered_by: int = 1) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.products).values(id=1, code="app", name="掌上银行"))
        for i, (number, code, status, sev, users, reg, reopens, rec, related, owners) in FAULTS.items():
            conn.execute(
                insert(t.faults).values(
                    id=i,
                    number=number,
                    type_code=code,
                    title=f"故障{number}",
                    status=status,
                    severity=sev,
                    product_id=1 if i in (3, 4) else None,
                    affected_users=users,
                    registered_at=at(reg),
                    registered_by=registered_by,
                    updated_at=at(reg),
                    version=1,
                    reopen_count=reopens,
                    recurrence=rec,
                    related_fault_id=related,
                    owners=owners,
                )
            )
            for user_id in owners.values():
                conn.execute(insert(t.fault_owners).values(user_id=user_id, fault_id=i))
        for i, (fault, channel, received) in REPORTS.items():
            conn.execute(
                insert(t.reports).values(
                    id=i,
                    tracking_token_hash=f"{i:064d}",
                    channel=channel,
                    received_at=at(received),
                    symptom=f"症状{i}",
                    fault_id=fault,
                    created_at=at(received),
                )
            )
        for kind, sev, fault, report, state, started, due, met, breached in CLOCKS:
            conn.execute(
                insert(t.clocks).values(
                    kind=kind,
                    severity=sev,
                    fault_id=fault,
                    report_id=report,
                    mode="24x7",
                    state=state,
                    started_at=at(started),
                    due_at=at(due),
                    met_at=at(met) if met else None,
                    breached_at=at(breached) if breached else None,
                    escalation_level=0,
                )
            )
        for fault, title, owner, due, status in IMPROVEMENTS:
            conn.execute(
                insert(t.improvement_actions).values(
                    fault_id=fault,
                    title=title,
                    owner_id=owner,
                    due=due,
                    status=status,
                    created_at=at("2026-11-05T00:00"),
                    updated_at=at("2026-11-05T00:00"),
                )
            )
        conn.execute(
            insert(t.stage_records).values(
                fault_id=3,
                action="retrospect",
                data={"analysis": "需求评审遗漏边界场景", "actions": []},
                actor_label="pm1",
                recorded_at=at("2026-11-06T03:00"),
            )
        )

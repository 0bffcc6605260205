"""The record table kept as the faults go (issue 13): each fault's row kept as a CSV line, rendered
again after any write to what the row reads from, and an export that takes a line only while it is
current (both stores)."""

from __future__ import annotations

import dataclasses
import io

import pytest
from sqlalchemy import text

from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common import exports as common_exports
from faultdesk.entrypoints.common import record_table as rt
from faultdesk.services.records import Actor, FaultFilter
from tests.conftest import a_report
from tests.integration.lifecycle_helpers import BODIES, drive, new_fault, take
from tests.integration.test_record_table import read_csv, read_xlsx

KEPT = "KEPT-LINE,seen\r\n"  # a line no rendering gives: where the export shows it, it took the kept line


def render_all(desk) -> int:
    rendered = 0
    while n := common_exports.refresh_record_lines(desk, limit=2):  # small batches: several passes
        rendered += n
    return rendered


def export(client, staff, fmt: str = "csv", lang: str = "zh") -> bytes:
    res = client.get(f"/api/v1/faults/export?format={fmt}&lang={lang}", headers=staff["pm"])
    assert res.status_code == 200, res.text
    return res.content


def archived_with_all(client, staff) -> str:
    """A fault with every part the row reads: reports, clocks, stage records, a rating, an improvement."""
    number = new_fault(client, staff["agent"], symptom='支付后订单仍显示未支付\n第二行 "引号", 逗号')
    drive(client, staff["admin"], number, "archived")
    take(client, staff["admin"], number, "retrospect", **BODIES["retrospect"])
    return number


def fault_id(wiring, number: str) -> int:
    with wiring.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM faults WHERE number = :n"), {"n": number}).scalar_one())


def keep_a_stale_line(wiring, fault: int) -> None:
    """Put a line no rendering gives in the fault's stead, and forget its changes: as if it were current."""
    with wiring.engine.begin() as conn:
        conn.execute(text("UPDATE record_lines SET line = :l WHERE fault_id = :f"), {"l": KEPT, "f": fault})
        conn.execute(text("DELETE FROM record_changes WHERE fault_id = :f"), {"f": fault})


def test_kept_lines_give_the_table_live_rendering_gives(client, staff, wiring):
    numbers = [archived_with_all(client, staff), new_fault(client, staff["agent"], symptom="=1+1 公式")]
    live_csv, live_xlsx, live_en = (
        export(client, staff),
        export(client, staff, "xlsx"),
        export(client, staff, lang="en"),
    )
    assert render_all(wiring.desk) == 2
    assert render_all(wiring.desk) == 0  # all current
    with wiring.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM record_lines")).scalar_one() == 2
        assert conn.execute(text("SELECT count(*) FROM record_changes")).scalar_one() == 0
    assert export(client, staff) == live_csv
    assert read_xlsx(export(client, staff, "xlsx")) == read_xlsx(live_xlsx)  # numbers are numbers again
    assert export(client, staff, lang="en") == live_en  # lines are kept in Chinese: English is rendered
    # The export did take the kept lines: one put there by hand shows.
    keep_a_stale_line(wiring, fault_id(wiring, numbers[1]))
    assert read_csv(export(client, staff))[1] == ["KEPT-LINE", "seen"]
    assert read_xlsx(export(client, staff, "xlsx"))[1][:2] == ["KEPT-LINE", "seen"]


# One write to each table a row reads from, as any code path might make it.
WRITES = {
    "fault": "UPDATE faults SET title = title || '!' WHERE id = :f",
    "report": "UPDATE reports SET symptom = symptom || '!' WHERE fault_id = :f",
    "report moved to another fault": "UPDATE reports SET fault_id = NULL WHERE fault_id = :f",
    "clock": "UPDATE clocks SET met_at = NULL WHERE fault_id = :f",
    "clock deleted": "DELETE FROM clocks WHERE fault_id = :f",
    "stage record": "DELETE FROM stage_records WHERE fault_id = :f AND action = 'record_cause'",
    "improvement action": "UPDATE improvement_actions SET title = title || '!' WHERE fault_id = :f",
    "rating": "INSERT INTO report_ratings (report_id, satisfaction, rated_at)"
    " SELECT id, 1, received_at FROM reports WHERE fault_id = :f",
    "imported record": "INSERT INTO audit_events (at, actor_label, entity, entity_id, action, fault_id, after)"
    " SELECT registered_at, 'system', 'fault', number, 'imported', id, '{\"cause\": \"旧表\"}' FROM faults WHERE id = :f",
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_to_anything_the_row_reads_makes_its_line_stale(client, staff, wiring, write):
    number = archived_with_all(client, staff)
    other = new_fault(client, staff["agent"], symptom="另一个故障")
    render_all(wiring.desk)
    fault, untouched = fault_id(wiring, number), fault_id(wiring, other)
    keep_a_stale_line(wiring, fault)
    keep_a_stale_line(wiring, untouched)
    with wiring.engine.begin() as conn:
        assert conn.execute(text(WRITES[write]), {"f": fault}).rowcount >= 1
    rows = read_csv(export(client, staff))
    assert ["KEPT-LINE", "seen"] in rows  # the other fault's line was not touched: still taken
    mine = [r for r in rows if r[0] == number]
    assert len(mine) == 1 and len(mine[0]) == len(rows[0])  # rendered from the records, not the line
    assert render_all(wiring.desk) >= 1
    assert export(client, staff).count(b"KEPT-LINE") == 1
    assert [r for r in read_csv(export(client, staff)) if r[0] == number] == mine


@pytest.mark.parametrize(
    ("renaming", "shown"),
    [
        ("UPDATE users SET username = username || '2' WHERE id = 3", "tech_lead12"),  # an owner
        ("UPDATE users SET username = username || '2' WHERE id = 5", "tester12"),  # an improvement's
        ("UPDATE fault_types SET label_zh = '功能失常' WHERE code = '01'", "功能失常"),
    ],
)
def test_a_new_name_makes_the_lines_that_show_it_stale(client, staff, wiring, renaming, shown):
    number = archived_with_all(client, staff)
    rid = client.post("/api/v1/reports", json=a_report(symptom="另一个故障")).json()["report"]["id"]
    res = client.post("/api/v1/faults", json={"type_code": "02", "report_ids": [rid]}, headers=staff["agent"])
    other = res.json()["fault"]["number"]
    render_all(wiring.desk)
    keep_a_stale_line(wiring, fault_id(wiring, number))
    keep_a_stale_line(wiring, fault_id(wiring, other))
    with wiring.engine.begin() as conn:
        conn.execute(text(renaming))
    body = export(client, staff).decode("utf-8-sig")
    assert body.count("KEPT-LINE") == 1 and shown in body  # the other fault shows none of the names
    assert render_all(wiring.desk) == 1
    assert shown in export(client, staff).decode("utf-8-sig")


def test_lines_in_other_words_are_not_taken_and_are_all_rendered_anew(client, staff, wiring):
    number = archived_with_all(client, staff)
    render_all(wiring.desk)
    keep_a_stale_line(wiring, fault_id(wiring, number))
    assert b"KEPT-LINE" in export(client, staff)
    moved = dataclasses.replace(wiring.desk, timezone="UTC")  # the zone changes: every time in every line is old

    def export_in_utc() -> bytes:
        out = io.BytesIO()
        common_exports.write_export(moved, FaultFilter(), "csv", "zh", out, actor=Actor(6, "admin1", Role.ADMIN))
        return out.getvalue()

    assert b"KEPT-LINE" not in export_in_utc()
    lines = wiring.desk.record_lines
    assert lines is not None
    assert lines.in_words(rt.words_key("zh", wiring.desk.timezone)) and not lines.in_words(rt.words_key("zh", "UTC"))
    assert render_all(moved) == 1
    assert lines.in_words(rt.words_key("zh", "UTC"))
    assert b"KEPT-LINE" not in export_in_utc() and export(client, staff) != export_in_utc()


def test_the_worker_renders_the_lines_between_export_jobs(client, staff, wiring):
    import threading

    from faultdesk.entrypoints.worker import run_exports

    new_fault(client, staff["agent"], symptom="登录后白屏")
    stop = threading.Event()
    worker = threading.Thread(target=run_exports, args=(wiring.desk, stop, 0.01), daemon=True)
    worker.start()
    try:
        for _ in range(2000):  # the worker's passes, not a deadline: each wait is on its progress
            with wiring.engine.connect() as conn:
                if conn.execute(text("SELECT count(*) FROM record_lines")).scalar_one() == 1:
                    break
            stop.wait(0.01)
    finally:
        stop.set()
        worker.join()
    with wiring.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM record_lines")).scalar_one() == 1


def test_one_worker_renders_at_a_time_on_postgresql(client, staff, wiring):
    if wiring.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: two renderings cannot overlap")
    from faultdesk.adapters.db.record_table_store import _RENDERING

    new_fault(client, staff["agent"], symptom="登录后白屏")
    with wiring.engine.connect() as other:  # another worker, in the middle of its pass
        other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _RENDERING})
        assert common_exports.refresh_record_lines(wiring.desk) == 0
        other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _RENDERING})
    assert common_exports.refresh_record_lines(wiring.desk) == 1

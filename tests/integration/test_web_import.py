"""The console's import page (``/admin/import``, issue 13.5) on both stores: an uploaded table is
checked (a dry run listing each row's problems in the page's language, nothing written), then the
very file that was checked is committed by the name we gave it, and deleted; the created numbers
link to their pages. Bad files of every kind come back beside the file input with 422, never a
500; a name that is not one of ours names nothing; other roles and posts without the CSRF token
are refused. The page calls the same functions as ``faultdesk import``."""

from __future__ import annotations

import csv
import functools
import io
import re
import zipfile
from html import unescape

import openpyxl
import pytest

from faultdesk.entrypoints.common import record_table as rt
from tests.integration.session_helpers import TEST_CSRF, log_in, with_cookie

HTML = {"Accept": "text/html"}
HEADER = ["故障编号", "反馈时间", "故障现象", "故障类型", "当前状态", "严重程度", "故障原因", "解决方案"]
GOOD = [
    ["240105-01-001", "2024-01-05 09:30:00", "登录后白屏", "功能异常", "已归档", "P1 重要", "缓存过期", "清理缓存"],
    ["240105-01-002", "2024-01-05 11:00:00", "支付超时", "功能异常", "已归档", "P0 紧急", "", ""],
]


def table_csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def table_xlsx(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def admin(client, staff) -> dict[str, str]:
    return with_cookie(log_in(client, "admin1"))


def upload(client, headers, name: str, content: bytes, status: int, *, csrf: bool = True):
    data = {"csrf_token": TEST_CSRF} if csrf else {}
    res = client.post("/admin/import", data=data, files={"file": (name, content)}, headers={**headers, **HTML})
    assert res.status_code == status, (name, res.status_code, res.text[:800])
    return res


def commit(client, headers, kept: str, status: int = 200):
    res = client.post("/admin/import/commit", data={"kept": kept, "csrf_token": TEST_CSRF}, headers={**headers, **HTML})
    assert res.status_code == status, (kept, res.status_code, res.text[:800])
    return res


def kept_name(html: str) -> str:
    found = re.search(r'name="kept" value="([^"]+)"', html)
    assert found, "no commit button"
    return found.group(1)


def beside_file(html: str) -> str:
    found = re.search(r'id="import-file-error">([^<]*)<', html)
    assert found, "no reason beside the file input"
    return unescape(found.group(1))


def figure(html: str, name: str) -> int:
    found = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert found, name
    return int(found.group(1))


def problems(html: str) -> list[tuple[str, str, str]]:
    body = html.split('class="cards import-problems"', 1)[1].split("</table>", 1)[0]
    cells = [unescape(c) for c in re.findall(r"<td data-label=\"[^\"]*\">([^<]*)</td>", body)]
    return [tuple(cells[i : i + 3]) for i in range(0, len(cells), 3)]  # type: ignore[misc]


def numbers_in_the_desk(client, staff) -> list[str]:
    rows = list(csv.reader(io.StringIO(client.get("/api/v1/faults/export?format=csv", headers=staff["pm"]).text)))
    return sorted(r[0] for r in rows[1:])


def test_the_admin_index_links_the_import_page_and_it_opens_in_chinese(client, admin):
    index = client.get("/admin", headers={**admin, **HTML}).text
    assert 'href="/admin/import"' in index and "导入历史记录" in index
    page = client.get("/admin/import", headers={**admin, **HTML})
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text and 'name="csrf_token"' in page.text
    assert "检查文件" in page.text and "不超过 20 MB" in page.text


def test_a_dry_run_lists_each_rows_problems_and_writes_nothing(client, staff, admin, wiring):
    bad = [
        GOOD[0],
        ["240105-01-001", "2024-01-05 10:00:00", "重复编号", "功能异常", "已归档", "", "", ""],
        ["240106-01-001", "昨天", "时间不对", "功能异常", "已归档", "", "", ""],
        ["240106-01-002", "2024-01-06 10:00:00", "", "没有的类型", "已归档", "", "", ""],
    ]
    res = upload(client, admin, "history.csv", table_csv(bad), 422)
    found = problems(res.text)
    assert ("3", "故障编号", "与第 2 行重复") in found
    assert ("4", "反馈时间", "时间格式应为 年-月-日 时:分:秒：昨天") in found
    assert ("5", "故障现象", "不能为空") in found
    assert ("5", "故障类型", "未知的故障类型：没有的类型") in found
    assert [int(row) for row, _, _ in found] == sorted(int(row) for row, _, _ in found)  # row by row
    assert (figure(res.text, "read"), figure(res.text, "create"), figure(res.text, "bad")) == (4, 0, 3)
    assert "未写入任何数据" in res.text and 'name="kept"' not in res.text  # nothing to commit
    assert numbers_in_the_desk(client, staff) == []
    assert list((wiring.settings.home / "imports").iterdir()) == []  # a table with problems is not kept
    # The same table for an admin reading English: the page and the reasons in English.
    english = {**admin, "Cookie": admin["Cookie"] + "; faultdesk_lang=en"}
    res = upload(client, english, "history.csv", table_csv(bad), 422)
    assert "Rows read" in res.text and ("3", "Fault number", "repeats row 2") in problems(res.text)


def test_a_clean_table_is_checked_then_exactly_that_file_is_committed_and_deleted(client, staff, admin, wiring):
    res = upload(client, admin, "old.xlsx", table_xlsx(GOOD), 200)
    kept = kept_name(res.text)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}\.xlsx", kept)
    assert (figure(res.text, "read"), figure(res.text, "create"), figure(res.text, "bad")) == (2, 2, 0)
    assert "检查通过" in res.text and numbers_in_the_desk(client, staff) == []  # checked, not written
    assert (wiring.settings.home / "imports" / kept).is_file()
    done = commit(client, admin, kept)
    assert "已导入 2 条故障" in done.text
    assert '<a class="fno" href="/faults/240105-01-001">240105-01-001</a>' in done.text
    assert 'href="/?queue=all"' in done.text
    assert numbers_in_the_desk(client, staff) == ["240105-01-001", "240105-01-002"]
    assert not (wiring.settings.home / "imports" / kept).exists()  # deleted after the commit
    again = commit(client, admin, kept, 404)  # the same file a second time (a double click, a reload)
    assert "没有这个已检查的文件" in again.text
    assert numbers_in_the_desk(client, staff) == ["240105-01-001", "240105-01-002"]
    fault = client.get("/api/v1/faults/240105-01-001", headers=staff["pm"]).json()
    assert fault["status"] == "archived"


def test_a_commit_checks_again_and_writes_nothing_when_the_desk_changed_meanwhile(client, staff, admin, wiring):
    first = kept_name(upload(client, admin, "a.csv", table_csv(GOOD), 200).text)
    second = kept_name(upload(client, admin, "b.csv", table_csv([GOOD[1]]), 200).text)
    commit(client, admin, second)
    res = commit(client, admin, first, 422)
    assert ("3", "故障编号", "该故障编号已存在") in problems(res.text) and "未写入任何数据" in res.text
    assert numbers_in_the_desk(client, staff) == ["240105-01-002"]  # row 2 of the first was not written either
    assert not (wiring.settings.home / "imports" / first).exists()


@pytest.mark.parametrize(
    "kept", ["../faultdesk.db", "/etc/passwd", "x.csv", "AAAAAAAAAAAAAAAAAAAAAA.csv", "secret.key", ""]
)
def test_a_name_that_is_not_one_of_ours_names_nothing(client, staff, admin, wiring, kept):
    res = commit(client, admin, kept, 404)
    assert "没有这个已检查的文件" in res.text
    assert numbers_in_the_desk(client, staff) == []


@functools.cache
def _zip_bomb() -> bytes:
    """An .xlsx of a few hundred KB whose sheet inflates past what the page lets one unpack to."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", b"<x/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1024 * 1024)
            for _ in range(20 * 20 + 1):  # UNPACKED_PER_BYTE × the 20 MB limit, and one more
                sheet.write(block)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "文件是空的"),
        ("notes.txt", b"hello", "只能导入 .xlsx 或 .csv 文件"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "只能导入 .xlsx 或 .csv 文件"),
        ("garbage.xlsx", bytes(range(256)) * 8, "不是有效的 Excel (.xlsx) 文件"),
        ("garbage.csv", b"\xff\xfe\x00\x81" * 64, "不是 UTF-8 编码的 CSV"),
        ("headless.csv", "名字,年龄\r\n张三,3\r\n".encode(), "没有找到记录表"),
        ("only-header.csv", table_csv([]), "记录表中没有数据行"),
        ("bomb.xlsx", _zip_bomb, "解压后过大"),
    ],
)
def test_bad_files_are_refused_beside_the_file_input(client, staff, admin, wiring, name, content, reason):
    res = upload(client, admin, name, content() if callable(content) else content, 422)
    assert reason in beside_file(res.text), res.text[:2000]
    assert 'name="kept"' not in res.text
    assert numbers_in_the_desk(client, staff) == []
    assert (
        not any((wiring.settings.home / "imports").glob("*")) if (wiring.settings.home / "imports").exists() else True
    )


def test_no_file_chosen_and_a_file_past_the_limit_are_refused(client, staff, admin, wiring):
    res = client.post(
        "/admin/import", data={"csrf_token": TEST_CSRF}, files={"file": ("", b"")}, headers={**admin, **HTML}
    )
    assert res.status_code == 422 and "请选择 .xlsx 或 .csv 文件" in beside_file(res.text)
    res = client.post(
        "/admin/import", data={"csrf_token": TEST_CSRF, "file": "a text, not a file"}, headers={**admin, **HTML}
    )
    assert res.status_code == 422 and "请选择 .xlsx 或 .csv 文件" in beside_file(res.text)
    limit = wiring.desk.import_max_bytes
    res = upload(client, admin, "big.csv", table_csv(GOOD) + b"x" * limit, 422)
    assert "文件超过 20 MB" in beside_file(res.text)
    res = client.post(  # past even the body's limit: the bare 422, never a 500
        "/admin/import",
        data={"csrf_token": TEST_CSRF},
        files={"file": ("huge.csv", b"x" * (limit + 2 * 1024 * 1024))},
        headers={**admin, **HTML},
    )
    assert res.status_code == 422
    assert numbers_in_the_desk(client, staff) == []
    assert not any((wiring.settings.home / "imports").glob("*"))


def test_missing_columns_and_nul_in_cells_are_row_problems(client, staff, admin):
    res = upload(client, admin, "cols.csv", table_csv([["240105-01-001", "x"]], header=["故障编号", "故障现象"]), 422)
    found = problems(res.text)
    assert ("1", "反馈时间", "缺少此列") in found and ("1", "当前状态", "缺少此列") in found
    nul = [["240105-01-001", "2024-01-05 09:30:00", "白屏\x00", "功能异常", "已归档", "", "", ""]]
    res = upload(client, admin, "nul.csv", table_csv(nul), 422)
    assert ("2", "故障现象", "不能包含 NUL 等控制字符") in problems(res.text)
    assert numbers_in_the_desk(client, staff) == []


@pytest.mark.parametrize("role", ["agent", "pm", "tech_lead", "developer", "tester"])
def test_other_roles_are_refused_and_nothing_is_kept(client, staff, wiring, role):
    headers = with_cookie(log_in(client, f"{role}1"))
    assert client.get("/admin/import", headers={**headers, **HTML}).status_code == 403
    upload(client, headers, "old.csv", table_csv(GOOD), 403)
    commit(client, headers, "AAAAAAAAAAAAAAAAAAAAAA.csv", 403)
    assert numbers_in_the_desk(client, staff) == []
    assert not (wiring.settings.home / "imports").exists() or not any((wiring.settings.home / "imports").iterdir())


def test_posts_without_the_csrf_token_are_refused(client, staff, admin, wiring):
    session_only = {"Cookie": admin["Cookie"]}
    upload(client, session_only, "old.csv", table_csv(GOOD), 403, csrf=False)
    kept = kept_name(upload(client, admin, "old.csv", table_csv(GOOD), 200).text)
    res = client.post("/admin/import/commit", data={"kept": kept}, headers={**session_only, **HTML})
    assert res.status_code == 403
    assert numbers_in_the_desk(client, staff) == []
    assert (wiring.settings.home / "imports" / kept).is_file()  # still there to commit properly
    commit(client, admin, kept)
    assert numbers_in_the_desk(client, staff) == ["240105-01-001", "240105-01-002"]


def test_the_record_table_headers_read_back_from_the_page_as_the_cli(client, staff, admin):
    """An export of this desk, uploaded: every number exists already (the same check as the CLI's)."""
    from tests.integration.lifecycle_helpers import new_fault

    number = new_fault(client, staff["agent"], symptom="闪退")
    exported = client.get("/api/v1/faults/export?format=xlsx", headers=staff["pm"]).content
    res = upload(client, admin, "export.xlsx", exported, 422)
    assert ("2", rt.column_words("number").split(" / ")[0], "该故障编号已存在") in problems(res.text)
    assert number.startswith("2611")

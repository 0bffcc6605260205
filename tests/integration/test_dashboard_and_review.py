"""The dashboard shows the API's figures, and the review report's three formats hold them."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from openpyxl import load_workbook

from faultdesk.domain.roles import Role
from faultdesk.entrypoints.common.metrics import MetricsParams, metrics_query
from faultdesk.entrypoints.common.review_report import render_review
from faultdesk.services import metrics
from faultdesk.services.records import Actor
from tests.integration.metrics_seed import NUMBER, seed
from tests.integration.session_helpers import log_in, with_cookie

NOV = {"from": "2026-11-01", "to": "2026-12-01"}


@pytest.fixture
def seeded(wiring, staff, client):
    seed(wiring.engine)
    return client, staff


def _figures(page: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', page):
        found.setdefault(name, []).append(html.unescape(value))
    return found


def _rows(page: str, name: str) -> list[list[str]]:
    rows = re.findall(rf'<tr data-figure="{name}">(.*?)</tr>', page, flags=re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, flags=re.S)]
        for r in rows
    ]


def _hours(seconds):
    return "—" if seconds is None else f"{seconds / 3600:.1f}"


def test_the_dashboard_shows_the_apis_figures(seeded):
    client, staff = seeded
    api = client.get("/api/v1/metrics", params=NOV, headers=staff["pm"]).json()
    token = log_in(client, "pm1")
    res = client.get("/dashboard", params=NOV, headers=with_cookie(token))
    assert res.status_code == 200, res.text
    page = res.text
    f = _figures(page)
    assert f["reports_in"] == [str(api["reports_in"])]
    assert f["faults_in"] == [str(api["faults_in"])]
    assert f["compliance_rate"] == [f"{api['compliance']['rate']:.1%}"]
    assert f["mttr_median"] == [_hours(api["durations"]["resolve"]["median_s"])]
    assert f["mtta_median"] == [_hours(api["durations"]["first_reply"]["median_s"])]
    assert f["reopen_rate"] == [f"{api['reopen_rate']:.1%}"]
    assert f["improvements_overdue"] == [str(api["improvements"]["overdue"])]
    assert f["breaches"] == [str(len(api["breaches"]))]
    assert sum(int(n) for n in f["open_cell"]) == sum(r["faults"] for r in api["open_now"])
    compliance = _rows(page, "compliance_row")
    assert [(int(r[2]), int(r[3]), int(r[4])) for r in compliance] == [
        (r["met"], r["breached"], r["pending"]) for r in api["compliance"]["rows"]
    ]
    trend = _rows(page, "trend_row")
    assert [r[2] for r in trend] == [_hours(p["mttr"]["median_s"]) for p in api["trend"]]
    top = _rows(page, "top_row")
    assert [(r[0], int(r[3])) for r in top] == [(t["number"], t["affected_users"]) for t in api["top_faults"]]
    # The charts read the same numbers from a JSON block, not from an executable inline script.
    data = json.loads(
        html.unescape(
            re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S).group(1)
        )
    )
    assert data["top"]["series"][0]["data"] == [t["affected_users"] for t in reversed(api["top_faults"])]
    assert re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page) is None
    assert 'href="/dashboard"' in page  # in the nav


def test_the_dashboards_filters_and_bad_input(seeded):
    client, staff = seeded
    token = log_in(client, "agent1")
    p1 = client.get("/dashboard", params={**NOV, "severity": "P1"}, headers=with_cookie(token))
    assert _figures(p1.text)["faults_in"] == ["2"]
    bad = client.get("/dashboard", params={"from": "2026-11-31", "to": "2026-12-01"}, headers=with_cookie(token))
    assert bad.status_code == 422 and "开始日期" in bad.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # staff only
    # the product and owner filters are picked by name, as on the queues (not typed as codes)
    form = client.get("/dashboard", params={**NOV, "owner": "developer1"}, headers=with_cookie(token)).text
    assert (
        '<select name="owner">' in form
        and '<option value="developer1" selected>developer1 · 研发工程师</option>' in form
    )
    assert '<select name="product">' in form


def _review(wiring, **params):
    desk = wiring.desk
    query = metrics_query(MetricsParams(**params), desk.timezone, desk.clock.now())
    return metrics.review(desk, query, actor=Actor(None, "system", Role.ADMIN))


def test_the_review_report_in_each_format_holds_the_figures(seeded, wiring):
    review = _review(wiring, start="2026-11-01", end="2026-12-01")
    assert [f.number for f in review.top_recurring] == [NUMBER[1]] and review.top_recurring[0].count == 1
    assert [i.title for i in review.open_improvements][:1] == ["接口参数校验加监控"]
    assert [r.fault_number for r in review.retrospectives] == [NUMBER[3]]

    book = load_workbook(io.BytesIO(render_review(review, "xlsx", "zh")))
    summary = book["概览"]
    cells = {summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(1, 20)}
    assert cells["反馈数"] == 6 and cells["新增故障"] == 4 and cells["时效达成率"] == f"{13 / 19:.1%}"
    assert len(summary._images) == 3  # volume, compliance, MTTR trend
    volume = book["按严重程度与类型的故障数"]
    assert [[c.value for c in row] for row in volume.iter_rows(min_row=2)] == [
        ["P0 紧急", "01 功能异常", 1],
        ["P1 重要", "01 功能异常", 1],
        ["P1 重要", "02 性能问题", 1],
        ["未分级", "03 界面显示", 1],
    ]
    assert volume.freeze_panes == "A2"
    recurring = book["复发最多的故障"]
    assert recurring.cell(2, 1).value == NUMBER[1] and recurring.cell(2, 4).value == 1
    retro = book["本期复盘"]
    assert retro.cell(2, 4).value == "需求评审遗漏边界场景"

    page = render_review(review, "html", "zh").decode()
    assert page.count('src="data:image/png;base64,') == 3
    assert "13/19" not in page and f"{13 / 19:.1%}" in page and "需求评审遗漏边界场景" in page

    md = render_review(review, "md", "en").decode()
    assert "| P0 critical | 01 Functional fault | 1 |" in md
    assert md.count("](data:image/png;base64,") == 3


def test_a_title_like_a_formula_stays_text_in_the_workbook(seeded, wiring):
    from sqlalchemy import update

    from faultdesk.adapters.db import tables as t

    with wiring.engine.begin() as conn:
        conn.execute(update(t.faults).where(t.faults.c.id == 3).values(title='=HYPERLINK("http://x","y")'))
    book = load_workbook(io.BytesIO(render_review(_review(wiring, start="2026-11-01", end="2026-12-01"), "xlsx", "zh")))
    top = book["影响用户最多的故障"]
    cell = top.cell(2, 2)
    assert cell.value == '=HYPERLINK("http://x","y")' and cell.data_type == "s"


def test_the_dashboard_downloads_the_review_report(seeded):
    client, staff = seeded
    token = log_in(client, "pm1")
    res = client.get("/dashboard/report", params={**NOV, "format": "xlsx"}, headers=with_cookie(token))
    assert res.status_code == 200
    assert res.headers["content-disposition"] == 'attachment; filename="faultdesk-review-2026-11-01.xlsx"'
    assert load_workbook(io.BytesIO(res.content))["概览"].cell(4, 2).value == 6
    bad = client.get("/dashboard/report", params={**NOV, "format": "pdf"}, headers=with_cookie(token))
    assert bad.status_code == 422


def test_the_cli_writes_the_review_report(seeded, settings, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from faultdesk.entrypoints.cli import app

    monkeypatch.setenv("FAULTDESK_HOME", str(settings.home))
    monkeypatch.setenv("FAULTDESK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("FAULTDESK_SECRET_KEY", settings.secret_key)
    out = tmp_path / "review.html"
    res = CliRunner().invoke(
        app, ["report", "--from", "2026-11-01", "--to", "2026-12-01", "--format", "html", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "需求评审遗漏边界场景" in out.read_text()
    bad = CliRunner().invoke(app, ["report", "--period", "week", "--format", "pdf"])
    assert bad.exit_code == 1 and "xlsx" in bad.output

"""The queues page (``/``): counts per tab, my work per role, the clocks' queues, filters, search,
pages, the rows fragment the page refreshes itself with, and bad query values shown as 422."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.conftest import a_report
from tests.integration.lifecycle_helpers import drive, take
from tests.integration.session_helpers import log_in, with_cookie

pytestmark = pytest.mark.usefixtures("staff")


def page(client, user: str, query: str = "", path: str = "/"):
    return client.get(path + query, headers=with_cookie(log_in(client, user)))


def counts(body: str) -> dict[str, int]:
    """Each tab's count, by the queue its link opens."""
    found = re.findall(r'href="/\?queue=(\w+)[^"]*"[^>]*>[^<]*<span class="count">(\d+)</span>', body)
    return {queue: int(n) for queue, n in found}


def numbers(body: str) -> list[str]:
    """The fault numbers of the rows shown, in order."""
    return re.findall(r'<tr id="fault-([0-9-]+)" data-row', body)


def register(client, staff, title: str | None = None, type_code: str = "01", **report) -> str:
    rid = client.post("/api/v1/reports", json=a_report(**report)).json()["report"]["id"]
    body = {"type_code": type_code, "report_ids": [rid], **({"title": title} if title else {})}
    res = client.post("/api/v1/faults", json=body, headers=staff["agent"])
    assert res.status_code == 201, res.text
    return str(res.json()["fault"]["number"])


@pytest.fixture
def desk_of_four(client, staff):
    """registered (PM's move), triaging (the lead's), locating owned by developer1 (P1), and a
    verifying fault owned by tester1 in the verification stage."""
    a = register(client, staff, "支付页面提示系统繁忙", symptom="支付页面点击付款后提示系统繁忙")
    b = register(client, staff, "首页轮播图错位", type_code="03", symptom="首页轮播图显示错位")
    drive(client, staff["admin"], b, "triaging")
    c = register(client, staff, "订单列表加载缓慢", type_code="02", symptom="订单列表加载需要十几秒")
    drive(client, staff["admin"], c, "triaging")
    assert take(client, staff["admin"], c, "grade", owners={"handling": 4}).status_code == 200
    d = register(client, staff, "登录后头像不显示", symptom="登录后头像不显示")
    drive(client, staff["admin"], d, "verifying")
    assert take(client, staff["admin"], d, "assign", owners={"verification": 5}).status_code == 200
    return {"registered": a, "triaging": b, "locating": c, "verifying": d}


def test_each_tab_counts_what_it_holds(client, desk_of_four):
    res = page(client, "pm1", "?queue=all")
    assert res.status_code == 200
    n = counts(res.text)
    assert n["all"] == 4
    assert (n["stage1"], n["stage2"], n["stage3"], n["stage5"], n["stage6"]) == (1, 1, 1, 1, 0)
    assert (n["P0"], n["P1"], n["P2"], n["ungraded"]) == (0, 2, 0, 2)  # drive() grades P1
    assert re.search(r'href="/reports">[^<]*<span class="count">0</span>', res.text)  # every report is registered
    assert sorted(numbers(res.text)) == sorted(desk_of_four.values())
    assert "共 <strong>4</strong> 条" in res.text


def test_waiting_reports_are_counted_and_link_to_the_reports_page(client, staff):
    for _ in range(2):
        client.post("/api/v1/reports", json=a_report())
    res = page(client, "agent1")
    assert re.search(r'href="/reports">[^<]*<span class="count">2</span>', res.text)


@pytest.mark.parametrize(
    ("user", "holds"),
    [
        ("pm1", {"registered"}),  # start the analysis
        # grade; the cause may be recorded by the lead too; and drive() made the lead the handling
        # owner of the verifying fault
        ("tech_lead1", {"triaging", "locating", "verifying"}),
        ("developer1", {"locating"}),  # owns the handling stage and records the cause
        ("tester1", {"verifying"}),  # owns verification, and it is the tester's move
        ("agent1", {"registered", "triaging", "locating", "verifying"}),  # registered them all
        ("admin1", set()),  # may do anything, owns nothing
    ],
)
def test_my_work_is_what_i_own_or_my_role_moves_next(client, desk_of_four, user, holds):
    res = page(client, user, "?queue=mine")
    assert sorted(numbers(res.text)) == sorted(desk_of_four[h] for h in holds)
    assert counts(res.text)["mine"] == len(holds)


def test_my_work_keeps_what_i_own_in_another_stage(client, staff, desk_of_four):
    """tester1 owns the verification of a fault still being located: it is theirs, though not their move."""
    located = desk_of_four["locating"]
    assert take(client, staff["admin"], located, "assign", owners={"verification": 5}).status_code == 200
    res = page(client, "tester1", "?queue=mine")
    assert located in numbers(res.text)


def test_filters_narrow_the_rows(client, desk_of_four):
    only = lambda query: numbers(page(client, "pm1", "?queue=all&" + query).text)  # noqa: E731
    assert only("status=triaging") == [desk_of_four["triaging"]]
    assert sorted(only("severity=P1")) == sorted([desk_of_four["locating"], desk_of_four["verifying"]])
    assert sorted(only("severity=none")) == sorted([desk_of_four["registered"], desk_of_four["triaging"]])
    assert only("type=03") == [desk_of_four["triaging"]]
    assert only("owner=developer1") == [desk_of_four["locating"]]
    assert only("channel=hotline") == []
    assert len(only("channel=app")) == 4
    assert len(only("from=2026-11-25&to=2026-11-25")) == 4  # registered today, Shanghai time
    assert only("from=2026-11-26") == []
    assert only("queue=P0") == []
    assert sorted(only("queue=P1")) == sorted([desk_of_four["locating"], desk_of_four["verifying"]])
    assert sorted(only("queue=ungraded")) == sorted([desk_of_four["registered"], desk_of_four["triaging"]])
    # A stage tab and a state filter must both hold.
    assert only("queue=stage3&status=locating") == [desk_of_four["locating"]]


def test_filters_stay_in_the_links_of_tabs_and_pages(client, desk_of_four):
    body = page(client, "pm1", "?queue=all&severity=P1&sort=due_at").text
    assert 'href="/?queue=stage3&amp;severity=P1&amp;sort=due_at"' in body
    assert 'hx-get="/queue/rows?queue=all&amp;severity=P1&amp;sort=due_at"' in body
    assert '<option value="due_at" selected>' in body


def test_search_finds_by_number_and_by_words(client, desk_of_four):
    only = lambda q: numbers(page(client, "pm1", "?queue=all&q=" + q).text)  # noqa: E731
    number = desk_of_four["triaging"]
    pm = with_cookie(log_in(client, "pm1"))
    goes = lambda q: client.get("/" + q, headers=pm, follow_redirects=False).headers.get("location")  # noqa: E731
    assert goes("?queue=all&q=" + number) == f"/faults/{number}"  # the whole number: its page
    assert set(only(number[:6])) == set(desk_of_four.values())  # today's date starts every number
    assert goes("?q=" + number[:6]) == f"/?queue=all&q={number[:6]}"  # on my work: looked for among all
    assert goes("?queue=P1&q=" + number) == f"/?queue=all&q={number}"
    assert only("轮播图") == [number]
    assert only("十几秒") == [desk_of_four["locating"]]  # a word of the report's symptom, not the title
    assert only("完全无关的词语") == []
    assert 'value="轮播图" data-search' in page(client, "pm1", "?q=轮播图").text


def test_sort_by_affected_users_and_due_time(client, staff, desk_of_four):
    for reporter in ("u-2", "u-3"):
        rid = client.post("/api/v1/reports", json=a_report(reporter_id=reporter)).json()["report"]["id"]
        client.post(
            f"/api/v1/faults/{desk_of_four['triaging']}/reports", json={"report_ids": [rid]}, headers=staff["pm"]
        )
    rows = numbers(page(client, "pm1", "?queue=all&sort=-affected_users").text)
    assert rows[0] == desk_of_four["triaging"]
    due = numbers(page(client, "pm1", "?queue=all&sort=due_at").text)
    assert len(due) == 4


def test_pages_are_real_and_a_page_past_the_end_is_the_last(client, staff):
    made = [register(client, staff, f"故障 {i}", symptom=f"第 {i} 个故障的现象") for i in range(27)]
    first = page(client, "pm1", "?queue=all&sort=registered_at")
    assert numbers(first.text) == made[:25]
    assert "第 1 / 2 页" in first.text and 'rel="next"' in first.text
    second = page(client, "pm1", "?queue=all&sort=registered_at&page=2")
    assert numbers(second.text) == made[25:]
    assert "第 2 / 2 页" in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    beyond = page(client, "pm1", "?queue=all&sort=registered_at&page=40")
    assert beyond.status_code == 200
    assert numbers(beyond.text) == made[25:]  # not "nothing here" under "27 in all"
    assert "第 2 / 2 页" in beyond.text


def test_clock_queues_follow_the_clocks(client, staff, clock, desk_of_four):
    fresh = desk_of_four["registered"]  # its grade and first-reply clocks run for 1 h (business time)
    soon = lambda: numbers(page(client, "pm1", "?queue=breaching").text)  # noqa: E731
    late = lambda: numbers(page(client, "pm1", "?queue=breached").text)  # noqa: E731
    clock.advance(timedelta(minutes=30))
    assert fresh in soon() and fresh not in late()
    body = page(client, "pm1", "?queue=breaching").text
    row = body[body.index(f'id="fault-{fresh}"') :]
    assert re.search(r'class="left (red|amber)" data-due="[^"]+" data-state="running">剩余', row)
    clock.advance(timedelta(hours=2))  # the worker has not run: a running clock past its due time is breached
    assert fresh in late() and fresh not in soon()
    body = page(client, "pm1", "?queue=breached").text
    assert counts(body)["breached"] >= 1
    row = body[body.index(f'id="fault-{fresh}"') :]
    assert re.search(r'class="left breached"[^>]*>超时', row)
    res = client.post(
        f"/api/v1/faults/{fresh}/clocks/pause", json={"reason": "等待用户补充信息"}, headers=staff["agent"]
    )
    assert res.status_code == 200, res.text
    body = page(client, "pm1", "?queue=paused").text
    assert fresh in numbers(body)
    row = body[body.index(f'id="fault-{fresh}"') :]
    assert 'data-state="paused">⏸ 已暂停' in row


def test_the_rows_fragment_is_the_table_body_and_the_tabs_counts_out_of_band(client, desk_of_four):
    res = page(client, "pm1", "?queue=all&status=triaging", path="/queue/rows")
    assert res.status_code == 200
    assert res.text.lstrip().startswith("{#") is False
    assert "<tbody" in res.text and "<form" not in res.text and "<html" not in res.text
    assert numbers(res.text) == [desk_of_four["triaging"]]
    assert 'hx-trigger="every 15s"' in res.text
    tabs = res.text[res.text.index('<nav aria-label="队列" class="queue-tabs" id="queue-tabs" hx-swap-oob="true">') :]
    full = page(client, "pm1", "?queue=all&status=triaging").text
    whole = full[full.index('id="queue-tabs"') :]
    assert re.findall(r'<span class="count">(\d+)</span>', tabs) == re.findall(
        r'<span class="count">(\d+)</span>', whole[: whole.index("</nav>")]
    )
    assert 'aria-current="page"' in tabs and "全部" in tabs


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("page=0", "page"),
        ("page=99999999999", "page"),
        ("from=99999-01-01", "from"),
        ("from=1900-01-01", "from"),
        ("to=2026-02-30", "to"),
        ("sort=title", "sort"),
        ("queue=everything", "queue"),
        ("severity=P9", "severity"),
        ("owner=nobody", "owner"),
        ("q=" + "x" * 101, "q"),
        ("from=2026-11-25&to=2026-11-01", "to"),
    ],
)
def test_bad_query_values_are_422_beside_their_filter(client, desk_of_four, query, field):
    for path in ("/", "/queue/rows"):
        res = page(client, "pm1", "?" + query, path=path)
        assert res.status_code == 422, (query, res.status_code)
    res = page(client, "pm1", "?" + query)
    assert f'<span class="field-error" id="err-{field}">' in res.text
    assert numbers(res.text) == []
    assert counts(res.text)["all"] == 4  # the tabs still show the desk


def test_a_nul_in_the_query_is_refused_naming_its_field(client, desk_of_four):
    token = log_in(client, "pm1")
    res = client.get("/?queue=all&q=%00abc", headers={**with_cookie(token), "Accept": "text/html"})
    assert res.status_code == 422
    assert "<code>q</code>" in res.text and "控制字符" in res.text


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"])
def test_titles_and_searches_are_shown_as_text(client, staff, payload):
    number = register(client, staff, payload)
    body = page(client, "pm1", "?queue=all").text
    assert str(escape(payload)) in body
    assert payload not in body or payload == "{{7*7}}"
    assert "49" not in re.sub(r"[0-9-]{10,}", "", body.split(number)[1][:400])
    searched = page(client, "pm1", "?queue=all&q=" + payload.replace("&", "%26")).text
    assert "<script>alert(1)</script>" not in searched and "<img src=x" not in searched


def test_a_queue_needs_a_login(client):
    res = client.get("/?queue=all", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")
    res = client.get("/queue/rows", headers={"HX-Request": "true"}, follow_redirects=False)
    assert res.status_code == 401 and res.headers["HX-Redirect"].startswith("/login")


def test_english_queue_words(client, staff, desk_of_four):
    token = log_in(client, "pm1")
    client.post("/language", data={"lang": "en", "csrf_token": "test-csrf-token"}, headers=with_cookie(token))
    body = client.get("/?queue=all", headers=with_cookie(token)).text
    assert "My work" in body and "Breaching soon" in body and "analysing and grading" in body


def test_an_overdue_improvement_action_does_not_put_its_archived_fault_in_the_breached_queue(client, staff, clock):
    """The clock tabs hold faults waiting on someone; a retrospective's follow-up is overdue on
    /improvements instead (at 100,000 faults it would also fill the tab with closed faults)."""
    from tests.integration.test_web_followup import retrospected

    number = retrospected(client, staff)
    clock.advance(timedelta(days=60))  # the improvement action's due day is long past
    assert "补充异常场景测试用例" in page(client, "pm1", "/improvements?tab=overdue", path="").text
    body = page(client, "pm1", "?queue=breached").text
    assert number not in numbers(body) and counts(body)["breached"] == 0


def test_the_product_filter_picks_a_product_by_name_and_keeps_the_choice(client, staff):
    from faultdesk.services.catalogue import add_product
    from faultdesk.services.records import Actor

    desk = client.app.state.desk
    add_product(desk, "mall", "优选商城", [("login", "账号登录", "core")], actor=Actor.system())
    add_product(desk, "admin", "商家后台", [], actor=Actor.system())
    mine = register(client, staff, "商城登录失败", product="mall", function="login")
    other = register(client, staff, "后台导出失败", product="admin")
    body = page(client, "pm1", "?queue=all&product=mall").text
    assert numbers(body) == [mine] and other not in numbers(body)
    assert '<option value="mall" selected>优选商城</option>' in body  # by name, the choice kept
    assert '<option value="admin" >商家后台</option>' in body


@pytest.mark.parametrize("tab", ["mine", "breaching", "paused", "stage4"])
def test_a_filtered_view_keeps_its_tabs_count_unfiltered(client, desk_of_four, tab):
    """The tab on screen takes its count from its page only when no filter narrows the page."""
    plain = counts(page(client, "pm1", f"?queue={tab}").text)
    narrowed = counts(page(client, "pm1", f"?queue={tab}&severity=P0&sort=due_at").text)
    everything = counts(page(client, "pm1", "?queue=all").text)
    assert plain[tab] == narrowed[tab] == everything[tab]
    if tab == "mine":
        assert plain["mine"] >= 1  # pm1's move on the registered fault: a count that a filter would lose


def test_tab_counts_are_shared_a_while_and_follow_this_process_changes_at_once(client, wiring, clock, staff):
    """The counts are kept COUNTS_TTL_S for every view and refresh, unless a commit here wrote
    faults, clocks or reports; a change another process made shows once the time is over."""
    from sqlalchemy import insert, select

    from faultdesk.adapters.db import tables as t
    from faultdesk.services.queues import COUNTS_TTL_S

    register(client, staff, "支付页面提示系统繁忙", symptom="支付页面点击付款后提示系统繁忙")
    assert counts(page(client, "pm1", "?queue=P0").text)["all"] == 1
    with wiring.engine.begin() as conn:  # another process's fault: this process hears nothing of it
        row = conn.execute(select(t.faults).limit(1)).mappings().one()
        copy = dict(row) | {"id": row["id"] + 100, "number": row["number"][:-3] + "999"}
        conn.execute(insert(t.faults).values(copy))
    assert counts(page(client, "pm1", "?queue=P0").text)["all"] == 1  # kept
    clock.advance(timedelta(seconds=COUNTS_TTL_S))
    assert counts(page(client, "pm1", "?queue=P0").text)["all"] == 2  # the time is over
    register(client, staff, "首页轮播图错位", symptom="首页轮播图显示错位")
    assert counts(page(client, "pm1", "?queue=P0").text)["all"] == 3  # a change here: at once
    assert counts(page(client, "pm1", "?queue=P0").text)["stage1"] == 3


def test_a_report_taken_here_shows_in_the_waiting_count_at_once(client, staff):
    """Intake writes the report, its audit row and its clock in one statement on PostgreSQL (a
    SELECT whose WITH inserts): the commit must still clear the kept counts."""
    waiting = re.compile(r'href="/reports">[^<]*<span class="count">(\d+)</span>')
    client.post("/api/v1/reports", json=a_report())
    assert waiting.search(page(client, "agent1").text).group(1) == "1"
    client.post("/api/v1/reports", json=a_report(symptom="首页轮播图显示错位"))
    assert waiting.search(page(client, "agent1").text).group(1) == "2"  # not the kept 1


@pytest.mark.parametrize(
    "query",
    [
        "queue=mine",
        "queue=all",
        "queue=stage2",
        "queue=P1",
        "queue=ungraded",
        "queue=breaching",
        "queue=all&q=支付",
        "queue=all&owner=developer1",
        "queue=all&type=02&sort=registered_at",
    ],
)
def test_the_api_list_of_a_queue_view_is_its_rows(client, staff, clock, desk_of_four, query):
    """``GET /api/v1/faults`` takes a console view's own parameters and answers its faults, in
    its order: an integration sees what the console shows."""
    clock.advance(timedelta(minutes=30))  # some clocks due within the hour
    shown = numbers(page(client, "pm1", "?" + query).text)
    listed = client.get(f"/api/v1/faults?{query}&page_size=50", headers=staff["pm"])
    assert listed.status_code == 200, listed.text
    assert [f["number"] for f in listed.json()["items"]] == shown and listed.json()["total"] == len(shown)
    assert shown, "the view shows faults: not two empty lists compared"


def test_the_api_list_refuses_an_unknown_queue_or_owner_naming_the_field(client, staff, desk_of_four):
    bad_queue = client.get("/api/v1/faults?queue=nope", headers=staff["pm"])
    assert bad_queue.status_code == 422 and "queue" in bad_queue.text
    nobody = client.get("/api/v1/faults?owner=nobody", headers=staff["pm"])
    assert nobody.status_code == 422 and "owner" in nobody.text and "没有这个人" in nobody.text
    too_long = client.get("/api/v1/faults?q=" + "长" * 101, headers=staff["pm"])
    assert too_long.status_code == 422 and "q" in too_long.text


def test_the_api_export_takes_the_queue_view(client, staff, desk_of_four):
    import csv
    import io

    res = client.get("/api/v1/faults/export?format=csv&queue=mine", headers=staff["developer"])
    assert res.status_code == 200, res.text
    rows = list(csv.reader(io.StringIO(res.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == numbers(page(client, "developer1", "?queue=mine").text)


def test_the_filters_choices_are_kept_with_the_counts_and_follow_this_process_changes_at_once(client, wiring, staff):
    """The owner and product filters' choices are kept like the tabs' counts: a person or a
    product added here is a choice on the next page at once."""
    from faultdesk.domain.roles import Role
    from faultdesk.services.records import Actor
    from faultdesk.services.staff import create_user

    assert 'value="newcomer1"' not in page(client, "pm1").text
    create_user(wiring.desk, "newcomer1", Role.DEVELOPER, "correct-horse", actor=Actor.system())
    assert 'value="newcomer1"' in page(client, "pm1").text
    res = client.post("/api/v1/products", json={"code": "wallet", "name": "钱包"}, headers=staff["admin"])
    assert res.status_code == 201, res.text
    assert 'value="wallet"' in page(client, "pm1").text


def test_the_owner_choices_are_every_active_person_escaped_with_the_chosen_one_selected(client, wiring):
    """The owner filter's options are drawn once per kept staff list and language: a name is
    still escaped, a chosen owner still selected, a deactivated person gone."""
    from faultdesk.domain.roles import Role
    from faultdesk.services.records import Actor
    from faultdesk.services.staff import create_user, deactivate_user

    create_user(wiring.desk, "odd1", Role.DEVELOPER, "correct-horse", actor=Actor.system(), display_name='<b>"x"</b>')
    body = page(client, "pm1").text
    assert '<option value="odd1">&lt;b&gt;&#34;x&#34;&lt;/b&gt; · 研发工程师</option>' in body
    assert "selected>" not in body.split('name="owner"')[1].split("</select>")[0]
    chosen = page(client, "pm1", "?queue=all&owner=odd1").text
    assert '<option value="odd1" selected>&lt;b&gt;' in chosen
    assert '<option value="developer1">' in chosen  # the others stay unselected
    deactivate_user(wiring.desk, "odd1", actor=Actor.system())
    assert 'value="odd1"' not in page(client, "pm1").text

"""The follow-up pages on both stores: the knowledge base finds what a retrospective wrote, the
improvement actions sort into mine / overdue (by the organisation's day) / all and change status
in place, and a release is recorded with its notes and known issues and then listed — bad input a
422 beside the field, a post without the CSRF token a 403."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from faultdesk.domain.lifecycle import ActionStatus
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.integration.lifecycle_helpers import drive, new_fault, take
from tests.integration.session_helpers import TEST_CSRF, log_in, with_cookie


def retrospected(client, staff, **article) -> str:
    """A fault taken to archived and retrospected (one improvement action owned by tester1)."""
    number = new_fault(client, staff["admin"])
    drive(client, staff["admin"], number, "archived")
    body = {
        "title": "支付失败：参数校验过严",
        "symptoms": "付款时提示系统繁忙，订单未生成",
        "cause": "接口参数校验逻辑错误",
        "fix": "修改校验规则",
        "workaround": "改用余额支付",
        "tags": ["支付", "校验"],
        **article,
    }
    res = take(client, staff["admin"], number, "retrospect", article=body)
    assert res.status_code == 200, res.text
    return number


def post(client, token: str, path: str, data: dict, *, htmx: bool = False):
    headers = {"Cookie": with_cookie(token)["Cookie"]}
    if htmx:
        headers |= {"HX-Request": "true", "X-CSRF-Token": TEST_CSRF}
    return client.post(path, data={**data, "csrf_token": TEST_CSRF}, headers=headers, follow_redirects=False)


def test_kb_search_finds_the_article_a_retrospective_wrote_and_every_word_must_match(client, staff):
    number = retrospected(client, staff)
    session = log_in(client, "agent1")
    page = client.get("/kb", params={"q": "支付 校验"}, headers=with_cookie(session))
    assert page.status_code == 200
    assert "支付失败：参数校验过严" in page.text and "付款时提示系统繁忙" in page.text
    assert f'href="/faults/{number}"' in page.text and "data-search" in page.text
    article_id = re.search(r'href="/kb/(\d+)"', page.text).group(1)
    missing = client.get("/kb", params={"q": "支付 蓝牙"}, headers=with_cookie(session))
    assert "支付失败" not in missing.text and "没有文章同时包含这些词" in missing.text  # every word, not any
    article = client.get(f"/kb/{article_id}", headers=with_cookie(session))
    assert article.status_code == 200
    for part in ("付款时提示系统繁忙", "接口参数校验逻辑错误", "修改校验规则", "改用余额支付", "支付", "校验"):
        assert part in article.text
    assert f'href="/faults/{number}"' in article.text
    gone = client.get("/kb/999999", headers={**with_cookie(session), "Accept": "text/html"})
    assert gone.status_code == 404 and "知识库文章 999999 不存在" in gone.text


def test_improvement_tabs_mine_and_overdue_follow_the_organisations_day(client, staff, clock):
    number = retrospected(client, staff)  # action due 2026-12-10, owned by tester1
    tester, pm = log_in(client, "tester1"), log_in(client, "pm1")
    mine = client.get("/improvements", headers=with_cookie(tester))
    assert "补充异常场景测试用例" in mine.text and f'href="/faults/{number}"' in mine.text
    assert "补充异常场景测试用例" not in client.get("/improvements?tab=mine", headers=with_cookie(pm)).text
    assert "补充异常场景测试用例" in client.get("/improvements?tab=all", headers=with_cookie(pm)).text
    clock.set(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))  # 23:00 on the 10th in Shanghai: due today, not late
    pm = log_in(client, "pm1")  # the earlier session has long timed out
    assert "补充异常场景测试用例" not in client.get("/improvements?tab=overdue", headers=with_cookie(pm)).text
    clock.set(datetime(2026, 12, 10, 16, 30, tzinfo=UTC))  # 00:30 on the 11th in Shanghai (still the 10th in UTC)
    overdue = client.get("/improvements?tab=overdue", headers=with_cookie(pm))
    assert "补充异常场景测试用例" in overdue.text and "已逾期" in overdue.text
    assert re.search(
        r'href="/improvements\?tab=overdue" aria-current="page">已逾期 <span class="count">1</span>', overdue.text
    )


def test_the_owner_marks_an_action_done_in_place_and_others_may_not(client, staff, clock):
    retrospected(client, staff)
    tester, dev = log_in(client, "tester1"), log_in(client, "developer1")
    page = client.get("/improvements?tab=all", headers=with_cookie(dev))
    improvement_id = re.search(r'id="improvement-(\d+)"', page.text).group(1)
    assert f'action="/improvements/{improvement_id}/status"' not in page.text  # not hers to change: no form
    refused = post(client, dev, f"/improvements/{improvement_id}/status", {"status": "done", "tab": "all"}, htmx=True)
    assert refused.status_code == 403 and "仅负责人或产品经理可更新" in refused.text
    row = post(client, tester, f"/improvements/{improvement_id}/status", {"status": "done", "tab": "mine"}, htmx=True)
    assert row.status_code == 200 and row.text.lstrip().startswith(f'<tr id="improvement-{improvement_id}"')
    assert re.search(r'<option value="done"\s+selected>已完成</option>', row.text)
    clock.set(datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    pm, tester = log_in(client, "pm1"), log_in(client, "tester1")
    assert "补充异常场景测试用例" not in client.get("/improvements?tab=overdue", headers=with_cookie(pm)).text  # done
    plain = post(
        client, tester, f"/improvements/{improvement_id}/status", {"status": "open", "tab": "all", "page": "1"}
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/improvements?tab=all&page=1"
    assert "补充异常场景测试用例" in client.get("/improvements?tab=overdue", headers=with_cookie(pm)).text  # open again
    bad = post(client, tester, f"/improvements/{improvement_id}/status", {"status": "finished"}, htmx=True)
    assert bad.status_code == 422 and "取值须为" in bad.text and "field-error" in bad.text
    bad_page = post(client, tester, f"/improvements/{improvement_id}/status", {"status": "finished"})
    assert bad_page.status_code == 422 and "取值须为" in bad_page.text and "<h1>改进措施" in bad_page.text
    no_token = client.post(
        f"/improvements/{improvement_id}/status",
        data={"status": "done"},
        headers={"Cookie": with_cookie(tester)["Cookie"]},
    )
    assert no_token.status_code == 403 and "安全令牌" in no_token.text


def test_a_release_is_recorded_with_its_notes_and_known_issues_and_listed_newest_first(client, staff):
    add_product(client.app.state.desk, "app", "优选商城 App", [], actor=Actor.system())
    number = new_fault(client, staff["admin"])
    pm = log_in(client, "pm1")
    fields = {
        "product": "app",
        "version": "5.2.2",
        "released_on": "2026-11-24",
        "notes": "修复支付失败",
        "known_issues": f"修复 {number}；iPad 横屏偶现错位",
    }
    res = post(client, pm, "/releases", fields)
    assert res.status_code == 303 and res.headers["location"].startswith("/releases")
    post(client, pm, "/releases", {**fields, "version": "5.2.3", "released_on": "2026-11-25", "known_issues": ""})
    page = client.get("/releases", headers=with_cookie(pm)).text
    shown = '优选商城 App <span class="mono">5.2.2</span>'  # the product by its name, not its code
    assert shown in page and "2026-11-24" in page and "修复支付失败" in page and "iPad 横屏偶现错位" in page
    assert '<option value="app">优选商城 App</option>' in page  # the form picks a product by name
    assert f'<a class="fno" href="/faults/{number}">{number}</a>' in page  # the fault it ships is a link
    assert page.index(">5.2.3<") < page.index(">5.2.2<")  # newest first
    again = post(client, pm, "/releases", fields)
    assert again.status_code == 409 and "该产品已有此版本" in again.text
    tester = log_in(client, "tester1")
    assert 'action="/releases"' not in client.get("/releases", headers=with_cookie(tester)).text
    assert post(client, tester, "/releases", {**fields, "version": "9"}).status_code == 403


def test_bad_release_input_is_a_422_beside_the_field_and_nothing_is_written(client, staff):
    add_product(client.app.state.desk, "app", "App", [], actor=Actor.system())
    pm = log_in(client, "pm1")
    good = {"product": "app", "version": "6.0", "released_on": "2026-11-24", "notes": "新版本"}
    cases = [
        ({"notes": "  "}, "notes", "长度至少 1 个字符"),
        ({"released_on": "24/11/2026"}, "released_on", "须为 ISO 8601 日期"),
        ({"version": "v" * 61}, "version", "长度不能超过 60 个字符"),
        ({"product": "nope"}, "product", "未知产品"),
    ]
    for change, name, reason in cases:
        res = post(client, pm, "/releases", {**good, **change})
        assert res.status_code == 422, (name, res.text)
        error = re.search(rf'<span class="field-error" id="err-{name}">([^<]*)</span>', res.text)
        assert error and reason in error.group(1), (name, res.text)
        assert f'name="{name}"' in res.text and 'aria-invalid="true"' in res.text
    assert "6.0" not in client.get("/releases", headers=with_cookie(pm)).text.split("<aside>")[0]
    no_token = client.post("/releases", data=good, headers={"Cookie": with_cookie(pm)["Cookie"]})
    assert no_token.status_code == 403
    english = client.post(
        "/language", data={"lang": "en", "csrf_token": TEST_CSRF}, headers=with_cookie(pm), follow_redirects=False
    )
    assert english.status_code == 303
    res = post(client, pm, "/releases", {**good, "product": "nope"})
    assert res.status_code == 422 and "unknown product" in res.text


def test_improvement_status_values_have_words_in_both_languages():
    from faultdesk.entrypoints.common.labels import label

    assert [label(s) for s in ActionStatus] == ["进行中", "已完成", "已放弃"]
    assert [label(s, "en") for s in ActionStatus] == ["open", "done", "dropped"]


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_the_follow_up_pages_are_complete_in_english(client, staff):
    number = new_fault(client, staff["admin"], symptom="Checkout spins forever")
    drive(client, staff["admin"], number, "archived")
    retro = {
        "analysis": "Edge case missed in review",
        "actions": [{"title": "Add edge-case tests", "owner_id": 2, "due": "2026-11-20"}],
        "article": {
            "title": "Checkout spins",
            "symptoms": "Spinner",
            "cause": "Timeout",
            "fix": "Retry",
            "tags": ["pay"],
        },
    }
    assert take(client, staff["admin"], number, "retrospect", **retro).status_code == 200
    add_product(client.app.state.desk, "app", "App", [], actor=Actor.system())
    pm = log_in(client, "pm1")
    client.post("/language", data={"lang": "en", "csrf_token": TEST_CSRF}, headers=with_cookie(pm))
    post(client, pm, "/releases", {"product": "app", "version": "1.0", "released_on": "2026-11-24", "notes": "Fixes"})
    article_id = re.search(r'href="/kb/(\d+)"', client.get("/kb", headers=with_cookie(pm)).text).group(1)
    pages = ["/kb", "/kb?q=nothing-like-this", f"/kb/{article_id}", "/releases", "/improvements?tab=all"]
    pages += ["/improvements?tab=mine", "/improvements?tab=overdue"]
    for path in pages:
        html = client.get(path, headers=with_cookie(pm)).text
        shown = re.sub(r'<button class="link" name="lang" value="zh" lang="zh-CN">中文</button>', "", html)
        assert not CJK.search(shown), (
            path,
            CJK.findall(shown)[:10],
            shown[max(0, CJK.search(shown).start() - 200) :][:400],
        )
    assert "Overdue" in html and "Add edge-case tests" in html and "overdue" in html


def test_improvement_tab_counts_are_kept_a_while_and_follow_this_process_changes_at_once(client, staff, clock, wiring):
    """The tabs' counts are kept like the queue tabs' (COUNTS_TTL_S); a status change or a new
    action committed here shows at once, another process's write once the time is over."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from faultdesk.adapters.db import tables as t
    from faultdesk.services.queues import COUNTS_TTL_S

    def counts(token: str) -> dict[str, int]:
        page = client.get("/improvements?tab=mine", headers=with_cookie(token)).text
        return {
            tab: int(n)
            for tab, n in re.findall(r'href="/improvements\?tab=(\w+)"[^>]*>[^<]*<span class="count">(\d+)', page)
        }

    retrospected(client, staff)
    pm = log_in(client, "pm1")
    assert counts(pm)["all"] == 1
    with wiring.engine.begin() as conn:  # another process adds an action: this process hears nothing of it
        row = conn.execute(select(t.improvement_actions).limit(1)).mappings().one()
        conn.execute(insert(t.improvement_actions).values({k: v for k, v in row.items() if k != "id"}))
    assert counts(pm)["all"] == 1  # kept
    clock.advance(timedelta(seconds=COUNTS_TTL_S))
    pm = log_in(client, "pm1")
    assert counts(pm)["all"] == 2  # the time is over
    tester = log_in(client, "tester1")
    improvement_id = re.search(r'id="improvement-(\d+)"', client.get("/improvements", headers=with_cookie(tester)).text)
    assert improvement_id
    before = counts(pm)
    done = post(client, tester, f"/improvements/{improvement_id.group(1)}/status", {"status": "done"}, htmx=True)
    assert done.status_code == 200
    assert counts(pm)["overdue"] == before["overdue"] and counts(pm)["all"] == 2
    clock.set(
        datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    )  # both due 2026-12-10: the open copy is overdue, not the done one
    pm, tester = log_in(client, "pm1"), log_in(client, "tester1")
    assert counts(pm)["overdue"] == 1
    reopened = post(client, tester, f"/improvements/{improvement_id.group(1)}/status", {"status": "open"}, htmx=True)
    assert reopened.status_code == 200
    assert counts(pm)["overdue"] == 2  # a change here: at once

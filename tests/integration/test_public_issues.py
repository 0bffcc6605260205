"""Public known issues and deflection on both stores (issue 12 items 2 and 5, and the leak):
the public words through the API with their 422s, the report form's suggestions (public words
only), following a public fault from the form (stored, linked, counted, its updates received),
the counts of suggestions shown and followed, and the P2 promise through the real outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from faultdesk.domain.public_issues import PUBLIC_STATUS_MAX, PUBLIC_TITLE_MAX
from faultdesk.services import public_issues
from faultdesk.services.records import Actor
from tests.conftest import a_report
from tests.integration.lifecycle_helpers import take
from tests.integration.session_helpers import TEST_CSRF, form, log_in, with_cookie
from tests.integration.test_web_reporter import HTML, a_form, receipt_link, register, report_id_of

INTERNAL = "内部标题：短信网关 sms-gw-02 连接池耗尽"
PUBLIC_TITLE = "部分用户收不到登录验证码"
PUBLIC_STATUS = "我们已定位到原因，正在修复，预计今晚 22:00 前恢复。"
SYMPTOM = "登录时收不到验证码短信"


def a_public_fault(client, staff, *, title: str = INTERNAL, **report) -> str:
    rid = client.post("/api/v1/reports", json=a_report(symptom=SYMPTOM, **report)).json()["report"]["id"]
    number = register(client, staff["agent"], rid, title=title)
    res = client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS},
        headers=staff["agent"],
    )
    assert res.status_code == 200, res.text
    return number


def suggest(client, text: str, counted: str = ""):
    return client.get("/report/suggestions", params={"symptom": text, "counted": counted}, headers=HTML)


def reasons(res) -> dict[str, str]:
    return {f["field"]: f["reason"] for f in res.json()["error"]["fields"]}


# ---- marking a fault public ---------------------------------------------------------------------


def test_an_agent_publishes_a_fault_with_words_for_end_users_and_withdraws_it(client, staff):
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = register(client, staff["agent"], rid, title=INTERNAL)
    before = client.get(f"/api/v1/faults/{number}", headers=staff["agent"])
    assert before.json()["public_title"] is None
    res = client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": f"  {PUBLIC_TITLE} ", "public_status": PUBLIC_STATUS},
        headers={**staff["pm"], "If-Match": before.headers["ETag"]},
    )
    assert res.status_code == 200, res.text
    assert res.json()["public_title"] == PUBLIC_TITLE and res.json()["public_status"] == PUBLIC_STATUS
    assert res.json()["title"] == INTERNAL  # staff still see the internal title
    assert int(res.headers["ETag"].strip('"')) == int(before.headers["ETag"].strip('"')) + 1
    stale = client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": "x", "public_status": "y"},
        headers={**staff["agent"], "If-Match": before.headers["ETag"]},
    )
    assert stale.status_code == 412
    timeline = client.get(f"/api/v1/faults/{number}/timeline", headers=staff["agent"]).json()
    assert [e["action"] for e in timeline if e["action"] in ("published", "unpublished")] == ["published"]
    gone = client.delete(f"/api/v1/faults/{number}/public", headers=staff["admin"])
    assert gone.status_code == 200 and gone.json()["public_title"] is None and gone.json()["public_status"] is None


def test_only_agents_pms_and_admins_publish(client, staff):
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = register(client, staff["agent"], rid)
    body = {"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS}
    for role in ("developer", "tester", "tech_lead"):
        assert client.post(f"/api/v1/faults/{number}/public", json=body, headers=staff[role]).status_code == 403
    assert client.post(f"/api/v1/faults/{number}/public", json=body).status_code == 401
    assert client.post("/api/v1/faults/999999-99-999/public", json=body, headers=staff["agent"]).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"public_title": "", "public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_title": "   ", "public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_title": PUBLIC_TITLE, "public_status": ""}, "public_status"),
        ({"public_title": "x" * (PUBLIC_TITLE_MAX + 1), "public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_title": PUBLIC_TITLE, "public_status": "x" * (PUBLIC_STATUS_MAX + 1)}, "public_status"),
        ({"public_title": "登录\x00失败", "public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_title": PUBLIC_TITLE, "public_status": "修复中\x07"}, "public_status"),
        ({"public_title": 12, "public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_status": PUBLIC_STATUS}, "public_title"),
        ({"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS, "title": "x"}, "title"),
    ],
)
def test_bad_public_words_are_422_with_the_field_and_nothing_is_written(client, staff, body, field):
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = register(client, staff["agent"], rid)
    res = client.post(f"/api/v1/faults/{number}/public", json=body, headers=staff["agent"])
    assert res.status_code == 422, res.text
    assert field in reasons(res)
    english = client.post(
        f"/api/v1/faults/{number}/public", json=body, headers={**staff["agent"], "Accept-Language": "en"}
    )
    assert english.status_code == 422 and reasons(english)[field] != reasons(res)[field]  # both languages
    after = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert after["public_title"] is None and after["version"] == 1


def test_public_words_at_their_stated_maximum_are_kept_whole(client, staff, wiring):
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = register(client, staff["agent"], rid)
    title, status = "题" * PUBLIC_TITLE_MAX, "况" * (PUBLIC_STATUS_MAX - 2) + "\n。"
    res = client.post(
        f"/api/v1/faults/{number}/public", json={"public_title": title, "public_status": status}, headers=staff["agent"]
    )
    assert res.status_code == 200, res.text
    with wiring.desk.uow() as uow:
        stored = uow.faults.by_number(number)
    assert stored is not None and stored.public_title == title and stored.public_status == status


def test_a_merged_fault_cannot_be_published(client, staff):
    first = a_public_fault(client, staff)
    rid = client.post("/api/v1/reports", json=a_report(symptom="另一个")).json()["report"]["id"]
    second = register(client, staff["agent"], rid)
    assert take(client, staff["agent"], second, "merge", into=first).status_code == 200
    res = client.post(
        f"/api/v1/faults/{second}/public",
        json={"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS},
        headers=staff["agent"],
    )
    assert res.status_code == 409


# ---- the report form's suggestions -----------------------------------------------------------------


def test_suggestions_show_public_words_and_never_the_internal_title(client, staff):
    number = a_public_fault(client, staff)
    res = suggest(client, SYMPTOM)
    assert res.status_code == 200, res.text
    page = res.text
    assert PUBLIC_TITLE in page and PUBLIC_STATUS.split("，")[0] in page
    assert "这就是我遇到的问题" in page and f'name="follow" value="{number}"' in page
    assert INTERNAL not in page and "sms-gw-02" not in page
    assert "已受理" in page  # registered: the reporter's word, not the staff's stage name
    assert "<script" not in page and " style=" not in page
    english = client.get("/report/suggestions", params={"symptom": SYMPTOM}, headers={**HTML, "Accept-Language": "en"})
    assert "This is my problem" in english.text and "这就是我遇到的问题" not in english.text


def test_internal_faults_short_text_and_withdrawn_ones_are_not_suggested(client, staff):
    rid = client.post("/api/v1/reports", json=a_report(symptom=SYMPTOM)).json()["report"]["id"]
    register(client, staff["agent"], rid, title=INTERNAL)  # never published
    assert suggest(client, SYMPTOM).status_code == 204
    number = a_public_fault(client, staff)
    assert suggest(client, "登录").status_code == 204  # under three characters
    assert suggest(client, SYMPTOM).status_code == 200
    client.delete(f"/api/v1/faults/{number}/public", headers=staff["agent"])
    assert suggest(client, SYMPTOM).status_code == 204


def test_a_closed_public_fault_is_not_offered(client, staff):
    number = a_public_fault(client, staff)
    take(client, staff["pm"], number, "close_not_a_fault")
    assert suggest(client, SYMPTOM).status_code == 204


def test_suggestions_shown_are_counted_once_per_form(client, staff, wiring):
    number = a_public_fault(client, staff)
    with wiring.desk.uow() as uow:
        fault_id = uow.faults.by_number(number).id  # type: ignore[union-attr]
    suggest(client, SYMPTOM)
    suggest(client, SYMPTOM + "了", counted=f"f{fault_id}")  # the same form typed on: not again
    suggest(client, SYMPTOM)  # another form
    counts = public_issues.deflection_counts(wiring.desk, actor=Actor.system())
    assert (counts.shown, counts.followed) == (2, 0)
    api = client.get("/api/v1/deflections", headers=staff["pm"]).json()
    assert api == {"shown": 2, "followed": 0, "rate": 0.0}


def test_the_counts_are_per_period(client, staff, wiring, clock):
    a_public_fault(client, staff)
    start = clock.now()
    suggest(client, SYMPTOM)
    clock.advance(timedelta(days=1))
    suggest(client, SYMPTOM)
    day = public_issues.deflection_counts(
        wiring.desk, actor=Actor.system(), since=start, until=start + timedelta(days=1)
    )
    assert day.shown == 1
    everything = public_issues.deflection_counts(wiring.desk, actor=Actor.system(), since=start)
    assert everything.shown == 2
    res = client.get(
        "/api/v1/deflections", params={"from": "2026-11-26T00:00:00", "to": "2026-11-28T00:00:00"}, headers=staff["pm"]
    )
    assert res.status_code == 200 and res.json()["shown"] == 1  # local midnight of the 26th onwards
    assert (
        client.get("/api/v1/deflections", params={"from": "1999-01-01T00:00:00"}, headers=staff["pm"]).status_code
        == 422
    )
    assert client.get("/api/v1/deflections").status_code == 401


def test_bad_suggestion_input_is_refused_or_ignored(client, staff):
    a_public_fault(client, staff)
    assert client.get("/report/suggestions", params={"symptom": "登录\x00验证码"}, headers=HTML).status_code == 422
    long = suggest(client, SYMPTOM * 100)  # past the symptom's 500: read up to it
    assert long.status_code in (200, 204)
    assert suggest(client, SYMPTOM, counted="f1,<script>,k" + "9" * 30).status_code == 200


# ---- following a public fault from the form ---------------------------------------------------------


def test_this_is_my_problem_files_the_report_as_following_the_fault(client, staff, wiring):
    number = a_public_fault(client, staff)
    before = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert before["affected_users"] == 1
    path, receipt = receipt_link(client, symptom=SYMPTOM, follow=number, reporter_id="u-2002")
    assert "您的反馈已加入已知问题" in receipt and PUBLIC_TITLE in receipt and INTERNAL not in receipt
    rid = report_id_of(wiring, path)
    after = client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()
    assert after["affected_users"] == 2
    assert rid in [r["id"] for r in after["reports"]]
    with wiring.desk.uow() as uow:
        clocks = uow.clocks.of_report(rid)
    assert all(c.clock.met_at is not None for c in clocks)  # joined a registered fault: registered
    counts = public_issues.deflection_counts(wiring.desk, actor=Actor.system())
    assert counts.followed == 1
    timeline = client.get(f"/api/v1/faults/{number}/timeline", headers=staff["agent"]).json()
    assert any(e["action"] == "followed_known_issue" for e in timeline)
    # its updates reach the follower too, on the tracking page
    sent = client.post(f"/api/v1/faults/{number}/updates", json={"text": "正在修复，今晚恢复"}, headers=staff["agent"])
    assert sent.status_code == 201 and sent.json()["recipients"] == 1, sent.text  # the follower (the first has no SMS)
    page = client.get(path, headers=HTML).text
    assert "正在修复，今晚恢复" in page
    assert PUBLIC_STATUS.split("，")[0] in page and PUBLIC_TITLE in page
    assert INTERNAL not in page


def test_following_a_fault_no_longer_public_files_an_ordinary_report(client, staff, wiring):
    number = a_public_fault(client, staff)
    client.delete(f"/api/v1/faults/{number}/public", headers=staff["agent"])
    path, receipt = receipt_link(client, symptom=SYMPTOM, follow=number)
    assert "已加入已知问题" not in receipt
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        report = uow.reports.get(rid)
    assert report is not None and report.fault_id is None  # stored, waiting like any other
    assert public_issues.deflection_counts(wiring.desk, actor=Actor.system()).followed == 0


def test_a_bad_follow_value_is_ignored_and_bad_fields_still_refused(client, staff, wiring):
    number = a_public_fault(client, staff)
    client.get("/report", headers=HTML)
    bad = client.post(
        "/report", data=form(client, **a_form(symptom="", follow=number)), headers=HTML, follow_redirects=False
    )
    assert bad.status_code == 422  # nothing half-stored: the symptom is missing
    with wiring.desk.uow() as uow:
        assert len(uow.reports.for_fault(uow.faults.by_number(number).id)) == 1  # type: ignore[union-attr]
    path, receipt = receipt_link(client, follow="<script>")
    assert "已加入已知问题" not in receipt


# ---- the leak: the internal title never reaches a reporter ---------------------------------------------


def test_the_automatic_progress_message_never_carries_the_internal_title(client, staff, wiring, clock):
    from faultdesk.services import clocks

    path, _ = receipt_link(client, contact="reader@example.com")
    number = register(client, staff["agent"], report_id_of(wiring, path), title=INTERNAL)
    take(client, staff["pm"], number, "start_analysis")
    assert (
        take(client, staff["tech_lead"], number, "grade", severity="P0", team_lead=3, team_members=[4]).status_code
        == 200
    )
    clock.advance(timedelta(hours=3))  # the P0 update clock's due time passes: the templated update goes out
    clocks.fire_due(wiring.desk)
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        sent = uow.outbox.listing(state=None, report_id=rid, fault_id=None, limit=50)
    auto = [m for m in sent if m.kind == "progress_auto"]
    assert auto, [m.kind for m in sent]
    assert all(INTERNAL not in m.body and INTERNAL not in m.subject for m in sent)
    assert "您反馈的问题正在处理中" in auto[0].body
    assert "当前状态：处理中" in auto[0].body and "分析分级" not in auto[0].body  # the reporter's word, not the stage's
    page = client.get(path, headers=HTML).text
    assert "您反馈的问题正在处理中" in page and INTERNAL not in page
    # once public, the message names the public title
    client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS},
        headers=staff["agent"],
    )
    clock.advance(timedelta(hours=3))
    clocks.fire_due(wiring.desk)
    with wiring.desk.uow() as uow:
        sent = uow.outbox.listing(state=None, report_id=rid, fault_id=None, limit=50)
    latest = [m for m in sent if m.kind == "progress_auto"][-1]
    assert PUBLIC_TITLE in latest.body and INTERNAL not in latest.body


def test_an_admin_template_asking_for_the_title_gets_the_public_or_neutral_words(client, staff, wiring):
    edited = client.put(
        "/api/v1/templates/progress/zh",
        json={"subject": "{{ number }} {{ title }}", "body": "{{ title }}：{{ text }}"},
        headers=staff["admin"],
    )
    assert edited.status_code == 204, edited.text
    path, _ = receipt_link(client, contact="reader@example.com")
    number = register(client, staff["agent"], report_id_of(wiring, path), title=INTERNAL)
    client.post(f"/api/v1/faults/{number}/updates", json={"text": "处理中"}, headers=staff["agent"])
    rid = report_id_of(wiring, path)
    with wiring.desk.uow() as uow:
        [update] = [
            m for m in uow.outbox.listing(state=None, report_id=rid, fault_id=None, limit=50) if m.kind == "progress"
        ]
    assert INTERNAL not in update.subject + update.body
    assert update.body == "您反馈的问题：处理中"


# ---- the fault page's form ----------------------------------------------------------------------


def test_the_fault_page_publishes_shows_422_beside_the_field_and_withdraws(client, staff):
    rid = client.post("/api/v1/reports", json=a_report()).json()["report"]["id"]
    number = register(client, staff["agent"], rid, title=INTERNAL)
    agent, developer = log_in(client, "agent1"), log_in(client, "developer1")
    page = client.get(f"/faults/{number}", headers=with_cookie(agent)).text
    assert 'action="/faults/' + number + '/public"' in page and "公开为已知问题" in page
    assert (
        'action="/faults/' + number + '/public"'
        not in client.get(f"/faults/{number}", headers=with_cookie(developer)).text
    )

    def post(token, **fields):
        headers = {"Cookie": with_cookie(token)["Cookie"]}
        data = {"csrf_token": TEST_CSRF, "version": "1", **fields}
        return client.post(f"/faults/{number}/public", data=data, headers=headers, follow_redirects=False)

    bad = post(agent, public_title="x" * (PUBLIC_TITLE_MAX + 1), public_status="")
    assert bad.status_code == 422
    assert 'id="public_title-error"' in bad.text and 'id="public_status-error"' in bad.text
    assert "长度不能超过 200 个字符" in bad.text and "不能为空" in bad.text
    assert client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()["public_title"] is None
    assert post(developer, public_title=PUBLIC_TITLE, public_status=PUBLIC_STATUS).status_code == 403
    done = post(agent, public_title=PUBLIC_TITLE, public_status=PUBLIC_STATUS)
    assert done.status_code == 303 and done.headers["location"] == f"/faults/{number}"
    shown = client.get(f"/faults/{number}", headers=with_cookie(agent)).text
    assert "已公开" in shown and "公开为已知问题「" in shown  # the badge and the timeline's sentence
    stale = post(agent, public_title="y", public_status="z")  # still version 1: the page was old
    assert stale.status_code == 412 and "已被修改" in stale.text
    gone = post(agent, withdraw="1", version="2")
    assert gone.status_code == 303
    assert client.get(f"/api/v1/faults/{number}", headers=staff["agent"]).json()["public_title"] is None
    no_token = client.post(
        f"/faults/{number}/public",
        data={"public_title": PUBLIC_TITLE, "public_status": PUBLIC_STATUS},
        headers={"Cookie": with_cookie(agent)["Cookie"]},
        follow_redirects=False,
    )
    assert no_token.status_code == 403


def test_other_words_for_the_same_problem_find_it_and_unrelated_ones_do_not(client, staff):
    a_public_fault(client, staff)
    assert PUBLIC_TITLE in suggest(client, "收不到验证码").text
    assert suggest(client, "页面字体太小看不清楚").status_code == 204


def test_a_public_faults_article_shows_title_symptoms_and_workaround_without_a_link(client, staff):
    from tests.integration.lifecycle_helpers import drive

    rid = client.post("/api/v1/reports", json=a_report(symptom="付款时提示系统繁忙")).json()["report"]["id"]
    number = register(client, staff["agent"], rid, title=INTERNAL)
    drive(client, staff["admin"], number, "archived")
    article = {
        "title": "付款时提示系统繁忙怎么办",
        "symptoms": "付款时提示系统繁忙",
        "cause": "内部原因：风控接口超时",
        "fix": "调整超时",
        "workaround": "稍等一分钟后重试付款",
    }
    assert take(client, staff["pm"], number, "retrospect", article=article).status_code == 200
    assert suggest(client, "付款时提示系统繁忙").status_code == 204  # the fault is internal: so is its article
    client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": "付款时提示系统繁忙", "public_status": "已修复"},
        headers=staff["agent"],
    )
    page = suggest(client, "付款时提示系统繁忙").text
    assert "付款时提示系统繁忙怎么办" in page and "稍等一分钟后重试付款" in page
    assert "风控接口超时" not in page and INTERNAL not in page  # never the cause, never the internal title
    assert "/kb/" not in page and 'name="follow"' not in page  # archived: nothing to follow, no staff link

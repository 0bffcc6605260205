"""Known-issue matching at intake: Chinese and English, auto-link, recurrence, catch-up across processes."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta

import pytest

from faultdesk.bootstrap import bootstrap
from faultdesk.config import Settings
from faultdesk.domain.clock import FixedClock
from faultdesk.domain.reports import Channel, ReportDraft
from faultdesk.entrypoints import worker
from faultdesk.services import known_issues
from faultdesk.services.intake import submit_report
from faultdesk.services.records import Actor
from tests.conftest import FAST_PASSWORDS, NOW, PATIENT, TEST_SECRET, a_report
from tests.integration.lifecycle_helpers import drive
from tests.integration.waiting import answers

DISTRACTORS = [
    ("微信支付成功后订单仍显示待支付", "04"),
    ("首页轮播图在小屏手机上错位", "03"),
    ("购物车商品数量显示错误", "04"),
    ("商品搜索结果加载缓慢", "02"),
]


def fault_from(client, headers, symptom, type_code="01", **kw):
    rid = client.post("/api/v1/reports", json=a_report(symptom=symptom, scenario=None, **kw)).json()["report"]["id"]
    res = client.post("/api/v1/faults", json={"type_code": type_code, "report_ids": [rid]}, headers=headers)
    return res.json()["fault"]["number"]


def test_an_agent_sees_the_chinese_known_issue_with_its_reasons(client, staff):
    target = fault_from(client, staff["agent"], "忘记密码时报错，无法登录")
    for text, code in DISTRACTORS:
        fault_from(client, staff["agent"], text, code)
    res = client.post(
        "/api/v1/reports", json=a_report(symptom="登录页面忘记密码提示错误", scenario=None), headers=staff["agent"]
    ).json()
    best = res["candidates"][0]
    assert (best["kind"], best["fault_number"], best["state"]) == ("fault", target, "registered")
    assert "忘记密码" in best["terms"] or "密码" in best["terms"]
    assert best["why"] and 0 < best["score"] <= 1
    # The public caller gets no candidates: fault titles are internal.
    assert client.post("/api/v1/reports", json=a_report(symptom="忘记密码报错")).json()["candidates"] is None
    again = client.get(f"/api/v1/reports/{res['report']['id']}/candidates", headers=staff["tester"]).json()
    assert again[0]["fault_number"] == target


def test_english_reports_and_synonyms_match(client, staff):
    target = fault_from(client, staff["agent"], "Crash on avatar upload in profile page")
    fault_from(client, staff["agent"], "Checkout button does nothing on Safari")
    res = client.post(
        "/api/v1/reports",
        json=a_report(symptom="App crashes when uploading my avatar", scenario=None),
        headers=staff["agent"],
    ).json()
    assert res["candidates"][0]["fault_number"] == target
    crash = fault_from(client, staff["agent"], "打开相册时闪退")
    res = client.post(
        "/api/v1/reports", json=a_report(symptom="打开相册就崩溃", scenario=None), headers=staff["agent"]
    ).json()
    assert res["candidates"][0]["fault_number"] == crash  # 闪退 / 崩溃 are one word to the matcher


def test_a_confident_match_is_linked_automatically_and_can_be_undone(wiring, client, staff):
    target = fault_from(client, staff["agent"], "微信支付成功后订单仍显示待支付", reporter_id="u1")
    fault_from(client, staff["agent"], "首页轮播图在小屏手机上错位", "03")
    same = client.post(
        "/api/v1/reports", json=a_report(symptom="微信支付成功后订单仍显示待支付", scenario=None, reporter_id="u2")
    ).json()
    loose = client.post(
        "/api/v1/reports", json=a_report(symptom="退款到账很慢", scenario=None, reporter_id="u3")
    ).json()
    assert worker.tick(wiring.desk, wiring.notifiers)["reports_auto_linked"] == 1
    fault = client.get(f"/api/v1/faults/{target}", headers=staff["agent"]).json()
    assert sorted(r["id"] for r in fault["reports"]) == sorted([fault["reports"][0]["id"], same["report"]["id"]])
    assert fault["affected_users"] == 2
    assert client.get(f"/api/v1/reports/{loose['report']['id']}", headers=staff["agent"]).json()["fault_number"] is None
    events = client.get(f"/api/v1/faults/{target}/timeline", headers=staff["agent"]).json()
    auto = [e for e in events if e["action"] == "auto_linked"]
    assert auto and auto[0]["actor"] == "system" and auto[0]["after"]["confidence"] >= 0.8
    undone = client.delete(f"/api/v1/faults/{target}/reports/{same['report']['id']}", headers=staff["agent"])
    assert undone.status_code == 200 and undone.json()["affected_users"] == 1
    assert worker.tick(wiring.desk, wiring.notifiers)["reports_auto_linked"] == 0  # looked at once, not relinked


def test_the_threshold_is_configurable(wiring, client, staff, clock):
    strict = bootstrap(wiring.settings.with_overrides(auto_link_confidence=0.95), clock=clock, passwords=FAST_PASSWORDS)
    try:
        fault_from(client, staff["agent"], "微信支付成功后订单仍显示待支付")
        rid = client.post("/api/v1/reports", json=a_report(symptom="微信支付后订单还是待支付", scenario=None)).json()[
            "report"
        ]["id"]
        score = client.get(f"/api/v1/reports/{rid}/candidates", headers=staff["agent"]).json()[0]["score"]
        assert 0.8 <= score < 0.95
        assert worker.tick(strict.desk, strict.notifiers)["reports_auto_linked"] == 0  # below 0.95
    finally:
        strict.engine.dispose()
    client.post("/api/v1/reports", json=a_report(symptom="微信支付后订单还是待支付", scenario=None))
    assert worker.tick(wiring.desk, wiring.notifiers)["reports_auto_linked"] == 1  # the default 0.8 links the new one


def test_a_match_to_an_archived_fault_marks_the_new_fault_as_a_recurrence(client, staff):
    old = fault_from(client, staff["agent"], "短信验证码收不到，无法登录", product=None)
    drive(client, staff["admin"], old, "archived")
    new = fault_from(client, staff["agent"], "短信验证码收不到，无法登录")
    fault = client.get(f"/api/v1/faults/{new}", headers=staff["pm"]).json()
    assert (fault["recurrence"], fault["related_fault"]) == ("recurrence", old)
    events = [e["action"] for e in client.get(f"/api/v1/faults/{new}/timeline", headers=staff["pm"]).json()]
    assert "recurrence_detected" in events


def test_release_notes_are_known_issues(client, staff, wiring):
    from faultdesk.domain.faults import Criticality
    from faultdesk.services.catalogue import add_product

    add_product(wiring.desk, "shop", "优选商城", [("scan", "扫码", Criticality.MAIN)], actor=Actor.system())
    res = client.post(
        "/api/v1/releases",
        json={
            "product": "shop",
            "version": "5.3.0",
            "released_on": "2026-11-20",
            "notes": "新增扫码购",
            "known_issues": "iOS 17 上扫码偶发闪退",
        },
        headers=staff["pm"],
    )
    assert res.status_code == 201
    assert (
        client.post(
            "/api/v1/releases",
            json={**res.json(), "product": "shop"} | {"released_on": "2026-11-20"},
            headers=staff["pm"],
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/releases",
            json={"product": "nope", "version": "1", "released_on": "2026-11-20", "notes": "x"},
            headers=staff["pm"],
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/api/v1/releases",
            json={"product": "shop", "version": "9", "released_on": "2026-11-20", "notes": "x"},
            headers=staff["tester"],
        ).status_code
        == 403
    )
    got = client.post(
        "/api/v1/reports", json=a_report(symptom="iOS 17 扫码时崩溃", scenario=None), headers=staff["agent"]
    ).json()
    assert got["candidates"][0]["kind"] == "release" and "5.3.0" in got["candidates"][0]["title"]


def test_an_edited_synonym_list_rebuilds_the_index(client, staff):
    target = fault_from(client, staff["agent"], "二维码识别失败")
    assert (
        client.put("/api/v1/synonyms", json={"groups": [["二维码", "扫码"]]}, headers=staff["tester"]).status_code
        == 403
    )
    assert client.put("/api/v1/synonyms", json={"groups": [["扫码"]]}, headers=staff["pm"]).status_code == 422
    assert (
        client.put(
            "/api/v1/synonyms", json={"groups": [["扫码", "二维码"], ["失败", "不成功"]]}, headers=staff["pm"]
        ).status_code
        == 204
    )
    got = client.post(
        "/api/v1/reports", json=a_report(symptom="扫码不成功", scenario=None), headers=staff["agent"]
    ).json()
    assert got["candidates"][0]["fault_number"] == target
    assert client.get("/api/v1/synonyms", headers=staff["agent"]).json()["groups"][0] == ["扫码", "二维码"]


def _submit_elsewhere(url: str, symptom: str, out: multiprocessing.Queue) -> None:
    wired = bootstrap(
        Settings(database_url=url, secret_key=TEST_SECRET, run_worker=False, **PATIENT),
        clock=FixedClock(NOW),
        passwords=FAST_PASSWORDS,
    )
    submitted = submit_report(
        wired.desk, ReportDraft(channel=Channel.WEB, symptom=symptom), actor=Actor.public(), client="other"
    )
    wired.engine.dispose()
    out.put(submitted.report.id)


@pytest.mark.slow
def test_another_process_sees_new_reports_by_catching_up_from_the_database(wiring, client, staff, store):
    target = fault_from(client, staff["agent"], "订单导出 Excel 乱码")
    with wiring.desk.uow() as uow:
        wiring.desk.known_issues.catch_up(uow)  # this process's index is built
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_submit_elsewhere, args=(store.url, "导出订单 Excel 出现乱码", out))
    proc.start()
    [elsewhere] = answers([proc], out)
    with wiring.desk.uow() as uow:
        report = uow.reports.get(elsewhere)
        assert report is not None
        found = known_issues.candidates_for(wiring.desk, uow, report)
    assert found[0].fault_number == target


def test_catch_up_reads_every_batch_once_even_when_a_batch_shares_one_instant(client, staff, wiring, monkeypatch):
    """Keyset on (updated_at, id): faults changed at one instant (the test clock stands still) are
    read once, not again on each search; releases and KB articles are read to the end in one call."""
    from faultdesk.services import known_issue_index
    from faultdesk.services.catalogue import add_product

    monkeypatch.setattr(known_issue_index, "BATCH", 2)
    desk = wiring.desk
    add_product(desk, "app", "App", [], actor=Actor.system())
    numbers = [fault_from(client, staff["agent"], f"第 {i} 个同一时刻登记的故障") for i in range(5)]
    for i in range(5):
        release = {"product": "app", "version": f"1.{i}", "released_on": "2026-11-24", "notes": f"修复第 {i} 个问题"}
        assert client.post("/api/v1/releases", json=release, headers=staff["admin"]).status_code == 201
    library = desk.known_issues
    with desk.uow() as uow:
        index = library.catch_up(uow)
    added: list[str] = []
    real_add = index.add
    monkeypatch.setattr(index, "add", lambda doc: (added.append(doc.key), real_add(doc))[1])
    with desk.uow() as uow:
        library.catch_up(uow)
    assert added == []  # nothing is read twice
    with desk.uow() as uow:
        last = uow.faults.by_number(numbers[-1])
    assert last is not None and library.faults_after == (last.updated_at, last.id)  # read to the last of the instant
    assert library.last_release  # every release read in the one call
    fault_from(client, staff["agent"], "再登记一个故障")
    with desk.uow() as uow:
        library.catch_up(uow)
    assert len([k for k in added if k[0] == "fault"]) == 1  # the new fault, and only it


def _candidates(desk, report_id):  # type: ignore[no-untyped-def]
    with desk.uow() as uow:
        report = uow.reports.get(report_id)
        assert report is not None
        return [(c.fault_number, round(c.confidence, 6), c.via) for c in known_issues.candidates_for(desk, uow, report)]


def test_a_restart_restores_the_kept_index_and_reads_only_what_changed(client, staff, wiring, settings):
    """The server keeps its index on disk (home/index/); the next process restores it and finds
    the same candidates a fresh build does, catching up with what changed meanwhile."""
    from faultdesk.adapters.search.snapshots import FileIndexSnapshots

    login = fault_from(client, staff["agent"], "忘记密码时报错，无法登录")
    fault_from(client, staff["agent"], "订单导出 Excel 乱码", "02")
    with wiring.desk.uow() as uow:
        wiring.desk.known_issues.catch_up(uow)
    assert wiring.desk.known_issues.save()
    kept = settings.home / "index" / "known-issues.pickle"
    assert kept.is_file() and not list(kept.parent.glob("*.partial"))
    later = fault_from(client, staff["agent"], "支付成功后订单状态没有更新", "03")  # after the snapshot

    restarted = bootstrap(settings, clock=FixedClock(NOW), passwords=FAST_PASSWORDS)
    library = restarted.desk.known_issues
    assert isinstance(library.snapshots, FileIndexSnapshots) and library.snapshots.load() is not None
    query = submit_report(
        restarted.desk, ReportDraft(channel=Channel.WEB, symptom="登录时忘记密码报错"), actor=Actor.public(), client="x"
    ).report.id
    paid = submit_report(
        restarted.desk,
        ReportDraft(channel=Channel.WEB, symptom="支付后订单状态不更新"),
        actor=Actor.public(),
        client="x",
    ).report.id
    restored = (_candidates(restarted.desk, query), _candidates(restarted.desk, paid))
    assert restored[0][0][0] == login and restored[1][0][0] == later  # the restored index, caught up
    assert library.saved_after is not None  # (set by a restore; this process never saved)
    kept.unlink()
    fresh = bootstrap(settings, clock=FixedClock(NOW), passwords=FAST_PASSWORDS)  # built from the database
    assert (_candidates(fresh.desk, query), _candidates(fresh.desk, paid)) == restored
    restarted.engine.dispose()
    fresh.engine.dispose()


def test_a_kept_index_of_other_code_or_torn_is_not_read(wiring, settings):
    import pickle

    from faultdesk.adapters.search.snapshots import FileIndexSnapshots

    path = settings.home / "index" / "known-issues.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        pickle.dump("another release's fingerprint", out)
        pickle.dump(object(), out)
    assert FileIndexSnapshots(path).load() is None
    path.write_bytes(b"\x80\x05torn")
    assert FileIndexSnapshots(path).load() is None
    with wiring.desk.uow() as uow:
        assert wiring.desk.known_issues.catch_up(uow) is not None  # built from the database instead


def test_the_worker_keeps_the_index_now_and_then_when_it_read_something(client, staff, wiring, clock, settings):
    kept = settings.home / "index" / "known-issues.pickle"
    first = worker.keep_index(wiring.desk, None)
    assert first == clock.now() and not kept.exists()  # nothing read yet: nothing kept
    fault_from(client, staff["agent"], "忘记密码时报错，无法登录")
    with wiring.desk.uow() as uow:
        wiring.desk.known_issues.catch_up(uow)
    clock.advance(worker.INDEX_SAVE_EVERY - timedelta(seconds=1))
    assert worker.keep_index(wiring.desk, first) == first and not kept.exists()  # not yet
    clock.advance(timedelta(seconds=1))
    assert worker.keep_index(wiring.desk, first) == clock.now() and kept.is_file()

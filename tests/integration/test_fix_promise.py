"""The P2 promise on both stores with the real outbox and a real SMTP server (issue 12.5): a P2
resolved as "ships in version X" tells its reporters "计划在 X 版本修复，上线后将通知您"; recording
X's release tells them it is out, once; the tracking page shows both."""

from __future__ import annotations

from faultdesk.domain.faults import Criticality
from faultdesk.services.catalogue import add_product
from faultdesk.services.records import Actor
from tests.conftest import a_report
from tests.integration import test_notifications as notifications
from tests.integration.lifecycle_helpers import take
from tests.integration.session_helpers import form, log_in, with_cookie
from tests.integration.test_web_reporter import HTML, a_form, to_confirmation

# The notification tests' desk with a real SMTP server and robots on loopback, and their worker tick.
desk_env, peers, tick = notifications.desk_env, notifications.peers, notifications.tick

PLANNED = "计划在 5.2.2 版本修复，上线后将通知您"
SHIPPED = "已在 5.2.2 版本修复并上线"


def a_fault(client, h, contact: str, product: str = "shop") -> tuple[str, dict]:
    posted = client.post("/api/v1/reports", json=a_report(contact=contact, product=product, reporter_id=contact))
    assert posted.status_code == 201, posted.text
    rid = posted.json()["report"]["id"]
    res = client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=h["agent"])
    assert res.status_code == 201, res.text
    return res.json()["fault"]["number"], posted.json()


def mails_to(smtp, address: str) -> list[str]:
    return [f"{m['Subject']}\n{m.get_content()}" for m in smtp.messages if m["X-Rcpt-To"] == address]


def release(client, h, product: str, version: str):
    body = {"product": product, "version": version, "released_on": "2026-11-26", "notes": "修复若干问题"}
    return client.post("/api/v1/releases", json=body, headers=h["pm"])


def test_a_p2_promises_its_fix_version_and_tells_when_it_ships(desk_env):
    wired, client, h, smtp, _ = desk_env
    for code in ("shop", "other"):
        add_product(wired.desk, code, code, [("login", "登录", Criticality.MAIN)], actor=Actor.system())
    number, posted = a_fault(client, h, "first@example.com")
    to_confirmation(client, h["admin"], number)  # a P2 whose fix is version 5.2.2
    resolved = take(client, h["agent"], number, "confirm", outcome="recovered")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert resolved.json()["waiting_release"] == "5.2.2"
    tick(wired)
    assert any(PLANNED in m for m in mails_to(smtp, "first@example.com"))
    assert not any(SHIPPED in m for m in mails_to(smtp, "first@example.com"))

    # a reporter who follows the public known issue from the form hears the same promise
    client.post(
        f"/api/v1/faults/{number}/public",
        json={"public_title": "部分用户登录后提示系统繁忙", "public_status": "已修复，将在 5.2.2 版本上线"},
        headers=h["agent"],
    )
    client.get("/report", headers=HTML)
    joined = client.post(
        "/report",
        data=form(client, **a_form(contact="second@example.com", reporter_id="u-2", follow=number)),
        headers=HTML,
        follow_redirects=False,
    )
    assert joined.status_code == 303, joined.text
    tick(wired)
    assert any(PLANNED in m for m in mails_to(smtp, "second@example.com"))

    assert release(client, h, "other", "5.2.2").status_code == 201  # another product's 5.2.2: not this fix
    tick(wired)
    assert not any(SHIPPED in m for m in mails_to(smtp, "first@example.com"))

    assert release(client, h, "shop", "5.2.2").status_code == 201
    tick(wired)
    for address in ("first@example.com", "second@example.com"):
        assert sum(SHIPPED in m for m in mails_to(smtp, address)) == 1, mails_to(smtp, address)
    after = client.get(f"/api/v1/faults/{number}", headers=h["agent"]).json()
    assert after["waiting_release"] is None
    page = client.get(f"/t/{posted['tracking_token']}", headers=HTML).text
    assert PLANNED in page and SHIPPED in page

    assert release(client, h, "shop", "5.3.1").status_code == 201  # a later release tells nobody again
    tick(wired)
    assert sum(SHIPPED in m for m in mails_to(smtp, "first@example.com")) == 1


def test_a_p2_whose_version_is_already_out_says_so_at_once(desk_env):
    wired, client, h, smtp, _ = desk_env
    add_product(wired.desk, "shop", "shop", [("login", "登录", Criticality.MAIN)], actor=Actor.system())
    assert release(client, h, "shop", "5.2.2").status_code == 201
    number, _ = a_fault(client, h, "late@example.com")
    to_confirmation(client, h["admin"], number)  # a P2 whose fix is version 5.2.2
    resolved = take(client, h["agent"], number, "confirm", outcome="recovered")
    assert resolved.json()["waiting_release"] is None
    tick(wired)
    mails = mails_to(smtp, "late@example.com")
    assert any(SHIPPED in m for m in mails) and not any(PLANNED in m for m in mails)


def test_a_p1_release_keeps_its_own_message_and_waits_on_nothing(desk_env):
    wired, client, h, smtp, _ = desk_env
    number, _ = a_fault(client, h, "p1@example.com", product=None)  # type: ignore[arg-type]
    for action, overrides in [
        ("start_analysis", {}),
        ("grade", {"severity": "P1"}),
        ("record_cause", {}),
        ("propose_plan", {}),
        ("review_plan", {}),
        ("attach_cases", {}),
        ("mark_fix_ready", {"fix_version": "5.2.2"}),
        ("record_verification", {}),
        ("confirm", {}),
        ("record_gray_step", {}),
        ("release_full", {"version": "5.2.2"}),
    ]:
        res = take(client, h["admin"], number, action, **overrides)
        assert res.status_code == 200, (action, res.text)
    assert res.json()["waiting_release"] is None
    tick(wired)
    mails = mails_to(smtp, "p1@example.com")
    assert any("已修复并全量发布" in m for m in mails)
    assert not any(PLANNED in m or SHIPPED in m for m in mails)


def test_a_full_release_is_kept_as_the_products_release_and_keeps_the_promises_on_it(desk_env):
    """全量发布 of a P1 in product shop, version 5.2.2: the releases page lists it with the
    announcement as its notes (it said "还没有记录任何版本"), a P2 waiting on shop 5.2.2 hears it
    shipped once, and a second fault released in the same version adds no second release."""
    from tests.integration.lifecycle_helpers import drive

    wired, client, h, smtp, _ = desk_env
    add_product(wired.desk, "shop", "shop", [("login", "登录", Criticality.MAIN)], actor=Actor.system())
    waiting, _ = a_fault(client, h, "waits@example.com")
    to_confirmation(client, h["admin"], waiting)  # a P2 whose fix is version 5.2.2
    assert take(client, h["agent"], waiting, "confirm", outcome="recovered").json()["waiting_release"] == "5.2.2"
    p1, _ = a_fault(client, h, "p1@example.com")
    drive(client, h["admin"], p1, "resolved")  # its release_full: version 5.2.2 with an announcement
    with wired.desk.uow() as uow:
        releases, total = uow.knowledge.release_page(0, 10)
    assert total == 1 and (releases[0].product_code, releases[0].version) == ("shop", "5.2.2")
    assert releases[0].notes == "支付问题已修复，请升级至 5.2.2"
    pm_page = client.get("/releases", headers={"Accept": "text/html", **with_cookie(log_in(client, "pm1"))})
    assert "5.2.2" in pm_page.text and "还没有记录任何版本" not in pm_page.text
    assert client.get(f"/api/v1/faults/{waiting}", headers=h["agent"]).json()["waiting_release"] is None
    tick(wired)
    assert sum(SHIPPED in m for m in mails_to(smtp, "waits@example.com")) == 1
    assert not any(SHIPPED in m for m in mails_to(smtp, "p1@example.com"))  # it heard its own release

    again, _ = a_fault(client, h, "again@example.com")
    drive(client, h["admin"], again, "resolved")  # the same version: no second release, no error
    with wired.desk.uow() as uow:
        assert uow.knowledge.release_page(0, 10)[1] == 1

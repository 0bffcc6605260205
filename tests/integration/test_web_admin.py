"""The admin pages (``/admin/…``) on both stores: each page shows what the services hold, each
form changes it through the same service as the API, bad input comes back beside the field with
422 and nothing written, a password reset or a deactivation from the page ends the user's
sessions, other roles get the 403 page, posts without the CSRF token are refused, and whatever an
admin types is shown as text."""

from __future__ import annotations

import re
from html import unescape

import pytest

from faultdesk.entrypoints.common import labels
from faultdesk.entrypoints.common.fields import MAX_ID
from faultdesk.services.message_texts import DEFAULTS
from faultdesk.services.records import Outgoing
from tests.integration.session_helpers import TEST_CSRF, accepted, log_in, refused_everywhere, with_cookie

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}"]
HTML = {"Accept": "text/html"}


@pytest.fixture
def admin(client, staff) -> dict[str, str]:
    return with_cookie(log_in(client, "admin1"))


def get(client, headers, path: str, status: int = 200) -> str:
    res = client.get(path, headers={**headers, **HTML})
    assert res.status_code == status, (path, res.status_code, res.text[:500])
    return res.text


def post(client, headers, path: str, status: int = 303, **fields):
    res = client.post(
        path, data={**fields, "csrf_token": TEST_CSRF}, headers={**headers, **HTML}, follow_redirects=False
    )
    assert res.status_code == status, (path, res.status_code, res.text[:800])
    return res


def beside(html: str, field: str) -> str:
    """The reason shown beside ``field`` (the error span its input points at)."""
    found = re.search(r'id="[\w-]+-' + re.escape(field) + r'-error">([^<]*)<', html)
    assert found, f"no error beside {field}"
    return unescape(found.group(1))


def test_every_admin_page_opens_for_an_admin_in_chinese_words(client, admin):
    pages = {
        "/admin": ["员工账号", "产品与功能", "故障类型", "工作日历", "消息模板", "同义词", "发送失败"],
        "/admin/users": ["admin1", "管理员", "客服专员", "新建账号"],
        "/admin/users/pm1": ["产品经理", "重置密码", "停用账号"],
        "/admin/products": ["还没有产品", "添加产品", "核心功能"],
        "/admin/types": ["功能异常", "性能问题", "添加类型"],
        "/admin/calendar": ["设置某一天", "节假日（休息）", "标记已录入"],
        "/admin/templates": ["受理回执（致用户）", "进度同步（致用户）", "默认"],
        "/admin/templates/receipt/zh": ["已收到您的故障反馈", "预览", "/t/Zb3kQ9x2LmN4pR7sT1vW8yA5cE6gH0jK"],
        "/admin/synonyms": ["保存同义词"],
        "/admin/outbox": ["没有发送失败的消息"],
    }
    for path, words in pages.items():
        html = get(client, admin, path)
        for w in words:
            assert w in html, (path, w)
        assert 'aria-current="page"' in html


@pytest.mark.parametrize("role", ["agent", "pm", "tech_lead", "developer", "tester"])
def test_other_roles_get_the_403_page_and_change_nothing(client, staff, role):
    headers = with_cookie(log_in(client, f"{role}1"))
    for path in ("/admin", "/admin/users", "/admin/products", "/admin/outbox", "/admin/templates/receipt/zh"):
        html = get(client, headers, path, status=403)
        assert "无权访问" in html
    post(client, headers, "/admin/products", status=403, code="shop", name="商城")
    post(client, headers, "/admin/users/agent1/deactivate", status=403)
    assert client.get("/api/v1/products", headers=staff["admin"]).json() == []
    assert accepted(client, log_in(client, "agent1"))


def test_nobody_logged_in_is_sent_to_the_login(client):
    res = client.get("/admin/products", headers=HTML, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/login?next=/admin/products"


def test_a_post_without_the_csrf_token_is_refused(client, staff, admin):
    session_only = {"Cookie": admin["Cookie"]}
    for path, fields in [
        ("/admin/products", {"code": "shop", "name": "商城"}),
        ("/admin/users", {"username": "x1", "role": "agent", "password": "correct-horse"}),
        ("/admin/users/pm1/password", {"password": "new-password-1"}),
        ("/admin/synonyms", {"groups": "闪退 崩溃"}),
        ("/admin/templates/receipt/zh", {"subject": "s", "body": "b"}),
    ]:
        res = client.post(path, data=fields, headers={**session_only, **HTML}, follow_redirects=False)
        assert res.status_code == 403, (path, res.status_code)
    assert client.get("/api/v1/products", headers=staff["admin"]).json() == []


# ---- staff accounts ----------------------------------------------------------------------------


def test_an_admin_creates_an_account_with_role_email_and_zone(client, staff, admin):
    res = post(
        client, admin, "/admin/users", username="agent9", display_name="王芳", role="agent",
        password="correct-horse", email="wang@corp.example", timezone="Europe/Berlin",
    )  # fmt: skip
    assert res.headers["location"] == "/admin/users?done=created"
    html = get(client, admin, "/admin/users?done=created")
    assert "账号已创建" in html and "王芳" in html and "wang@corp.example" in html and "Europe/Berlin" in html
    assert accepted(client, log_in(client, "agent9"))


def test_bad_account_input_is_shown_beside_the_field_and_nothing_is_created(client, staff, admin):
    res = post(client, admin, "/admin/users", status=422, username="a b", role="agent", password="correct-horse")
    assert "用户名须为" in beside(res.text, "username")
    res = post(client, admin, "/admin/users", status=422, username="agent9", role="agent", password="short")
    assert "密码至少 8 位" in beside(res.text, "password") and 'value="agent9"' in res.text
    res = post(client, admin, "/admin/users", status=422, username="agent9", role="boss", password="correct-horse")
    assert beside(res.text, "role")
    res = post(
        client, admin, "/admin/users", status=422, username="agent9", role="agent", password="correct-horse",
        email="not-an-address",
    )  # fmt: skip
    assert "电子邮箱" in beside(res.text, "email")
    res = post(
        client, admin, "/admin/users", status=422, username="agent9", role="agent", password="correct-horse",
        timezone="Mars/Olympus",
    )  # fmt: skip
    assert "未知时区" in beside(res.text, "timezone")
    res = post(client, admin, "/admin/users", status=409, username="pm1", role="agent", password="correct-horse")
    assert "已存在" in res.text
    assert "agent9" not in get(client, admin, "/admin/users")


def test_english_reasons_for_an_english_admin(client, staff, admin):
    post(client, admin, "/language", lang="en", next="/admin/users")
    res = post(client, admin, "/admin/users", status=422, username="agent9", role="agent", password="short")
    assert "at least 8 characters" in beside(res.text, "password") and "New account" in res.text


def test_an_admin_changes_role_email_and_zone_from_the_users_page(client, staff, admin):
    post(client, admin, "/admin/users/tester1/role", role="developer")
    post(client, admin, "/admin/users/tester1/email", email="t1@corp.example")
    post(client, admin, "/admin/users/tester1/timezone", timezone="Asia/Tokyo")
    html = get(client, admin, "/admin/users/tester1?done=timezone")
    assert "时区已保存" in html and "研发工程师" in html and "t1@corp.example" in html and "Asia/Tokyo" in html
    assert client.get("/api/v1/me", headers=staff["tester"]).json()["role"] == "developer"
    post(client, admin, "/admin/users/tester1/timezone", timezone="")
    post(client, admin, "/admin/users/tester1/email", email="")
    html = get(client, admin, "/admin/users/tester1")
    assert "t1@corp.example" not in html and "Asia/Tokyo" not in html
    res = post(client, admin, "/admin/users/admin1/role", status=422, role="agent")
    assert "不能取消自己的管理员角色" in beside(res.text, "role")
    get(client, admin, "/admin/users/nobody", status=404)


def test_a_password_reset_from_the_page_ends_the_users_sessions(client, staff, admin):
    token = log_in(client, "pm1")
    assert accepted(client, token)
    res = post(client, admin, "/admin/users/pm1/password", status=422, password="short")
    assert "密码至少 8 位" in beside(res.text, "password") and accepted(client, token)  # nothing done
    post(client, admin, "/admin/users/pm1/password", password="another-horse")
    assert refused_everywhere(client, token)
    assert "会话已结束" in get(client, admin, "/admin/users/pm1?done=password")
    assert accepted(client, log_in(client, "pm1", "another-horse"))


def test_a_deactivation_from_the_page_ends_the_users_sessions_and_tokens(client, staff, admin):
    token = log_in(client, "developer1")
    post(client, admin, "/admin/users/developer1/deactivate")
    assert refused_everywhere(client, token)
    assert client.get("/api/v1/me", headers=staff["developer"]).status_code == 401
    assert "已停用" in get(client, admin, "/admin/users/developer1")
    res = post(client, admin, "/admin/users/admin1/deactivate", status=422)
    assert "不能停用自己的账号" in beside(res.text, "username")


# ---- products ----------------------------------------------------------------------------------


def test_an_admin_adds_a_product_with_a_core_function_and_edits_it(client, staff, admin):
    post(
        client, admin, "/admin/products", code="shop", name="优选商城 App",
        function_code="login", function_name="登录", criticality="core",
    )  # fmt: skip
    [shop] = client.get("/api/v1/products", headers=staff["agent"]).json()
    assert [(f["code"], f["criticality"]) for f in shop["functions"]] == [("login", "core")]
    html = get(client, admin, "/admin/products?done=product")
    assert "产品已添加" in html and "优选商城 App" in html and "核心功能" in html
    post(client, admin, f"/admin/products/{shop['id']}/functions", code="search", name="搜索", criticality="minor")
    fid = next(
        f["id"]
        for f in client.get("/api/v1/products", headers=staff["pm"]).json()[0]["functions"]
        if f["code"] == "search"
    )
    post(client, admin, f"/admin/products/{shop['id']}/functions/{fid}", name="商品搜索", criticality="main")
    post(client, admin, f"/admin/products/{shop['id']}", name="优选商城")
    [shop] = client.get("/api/v1/products", headers=staff["agent"]).json()
    assert shop["name"] == "优选商城"
    assert {(f["code"], f["name"], f["criticality"]) for f in shop["functions"]} == {
        ("login", "登录", "core"),
        ("search", "商品搜索", "main"),
    }


def test_bad_product_input_is_shown_beside_the_field_and_nothing_is_half_written(client, staff, admin):
    res = post(client, admin, "/admin/products", status=422, code="has space", name="商城")
    assert "格式不正确" in beside(res.text, "code") and 'value="has space"' in res.text
    res = post(client, admin, "/admin/products", status=422, code="shop", name="名" * 101)
    assert "100" in beside(res.text, "name")
    res = post(
        client, admin, "/admin/products", status=422, code="shop", name="商城",
        function_code="login", function_name="", criticality="core",
    )  # fmt: skip
    assert beside(res.text, "function_name")
    res = post(
        client, admin, "/admin/products", status=422, code="shop", name="商城",
        function_code="login", function_name="登录", criticality="vital",
    )  # fmt: skip
    assert beside(res.text, "criticality")
    assert client.get("/api/v1/products", headers=staff["admin"]).json() == []  # not the product without its function
    post(
        client,
        admin,
        "/admin/products",
        code="shop",
        name="商城",
        function_code="login",
        function_name="登录",
        criticality="core",
    )
    [shop] = client.get("/api/v1/products", headers=staff["admin"]).json()
    res = post(client, admin, "/admin/products", status=409, code="shop", name="又一个")
    assert "产品 shop 已存在" in res.text
    res = post(
        client, admin, f"/admin/products/{shop['id']}/functions", status=409, code="login", name="x", criticality="core"
    )
    assert "已有功能 login" in res.text
    fid = shop["functions"][0]["id"]
    res = post(client, admin, f"/admin/products/{shop['id']}/functions/{fid}", status=422, name="", criticality="core")
    assert beside(res.text, "name")
    for bad in ("0", str(MAX_ID + 1), "x", "99999999999999999999"):
        post(client, admin, f"/admin/products/{bad}", status=404, name="x")
        post(client, admin, f"/admin/products/{shop['id']}/functions/{bad}", status=404, name="x", criticality="core")
    assert client.get("/api/v1/products", headers=staff["admin"]).json() == [shop]


def test_strings_at_their_maximum_length_are_kept_from_the_page(client, staff, admin):
    post(client, admin, "/admin/products", code="c" * 40, name="名" * 100)
    [p] = client.get("/api/v1/products", headers=staff["admin"]).json()
    assert (p["code"], p["name"]) == ("c" * 40, "名" * 100)
    res = post(client, admin, "/admin/products", status=422, code="d" * 41, name="名")
    assert "40" in beside(res.text, "code")


def test_a_nul_in_a_form_field_is_refused(client, staff, admin):
    res = client.post(
        "/admin/products",
        data={"code": "shop", "name": "商\x00城", "csrf_token": TEST_CSRF},
        headers={**admin, **HTML},
        follow_redirects=False,
    )
    assert res.status_code == 422
    assert client.get("/api/v1/products", headers=staff["admin"]).json() == []


@pytest.mark.parametrize("payload", XSS)
def test_product_and_function_names_show_as_text(client, staff, admin, payload):
    post(
        client,
        admin,
        "/admin/products",
        code="shop",
        name=payload,
        function_code="login",
        function_name=payload,
        criticality="core",
    )
    html = get(client, admin, "/admin/products")
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    if payload == "{{7*7}}":
        assert "{{7*7}}" in html and "49" not in html
    else:
        assert "&lt;" in html


# ---- fault types -------------------------------------------------------------------------------


def test_an_admin_adds_relabels_and_retires_a_fault_type(client, staff, admin):
    post(client, admin, "/admin/types", code="07", label_zh="支付问题", label_en="Payment")
    post(client, admin, "/admin/types/07", label_zh="支付异常", label_en="Payment fault")  # no "active": retired
    html = get(client, admin, "/admin/types?done=updated")
    assert "类型已保存" in html and 'value="支付异常"' in html
    res = post(client, admin, "/admin/types", status=422, code="7", label_zh="x", label_en="x")
    assert "两位数字" in beside(res.text, "code")
    res = post(client, admin, "/admin/types", status=409, code="01", label_zh="x", label_en="x")
    assert "已存在" in res.text
    res = post(client, admin, "/admin/types/07", status=422, label_zh="", label_en="x", active="on")
    assert beside(res.text, "label_zh")
    rid = client.post("/api/v1/reports", json={"channel": "app", "symptom": "支付失败"}).json()["report"]["id"]
    res = client.post("/api/v1/faults", json={"type_code": "07", "report_ids": [rid]}, headers=staff["agent"])
    assert res.status_code == 422  # retired: no new fault of that type


# ---- calendar ----------------------------------------------------------------------------------


def test_an_admin_sets_calendar_days_and_announces_a_year(client, staff, admin, clock):
    year = clock.now().year + 1
    post(client, admin, "/admin/calendar/days", day=f"{year}-02-14", kind="workday", note="春节调休")
    post(client, admin, "/admin/calendar/days", day=f"{year}-02-10", kind="holiday", note="")
    post(client, admin, "/admin/calendar/years", year=str(year))
    html = get(client, admin, "/admin/calendar?done=year")
    assert f"{year}-02-14" in html and "工作日（调休上班）" in html and "春节调休" in html
    assert f"{year}-02-10" in html and f'<span class="chip">{year}</span>' in html
    res = post(client, admin, "/admin/calendar/days", status=422, day="2026-13-01", kind="holiday")
    assert beside(res.text, "day")
    res = post(client, admin, "/admin/calendar/days", status=422, day="2026-12-01", kind="vacation")
    assert beside(res.text, "kind")
    res = post(client, admin, "/admin/calendar/years", status=422, year="3000")
    assert "2099" in beside(res.text, "year")


# ---- templates ---------------------------------------------------------------------------------


def test_every_template_key_has_words_in_both_languages():
    for key in DEFAULTS:
        assert key in labels.TEMPLATE_KEY, key


def test_a_template_is_previewed_then_saved_and_a_bad_one_is_refused_beside_the_field(client, staff, admin):
    res = post(client, admin, "/admin/templates/progress/zh", status=200, intent="preview",
               subject="进展 {{ number }}", body="您好，{{ title }} 正在处理")  # fmt: skip
    assert "进展 231025-01-001" in res.text and "忘记密码提示错误 正在处理" in res.text
    assert "<strong>已修改" not in get(client, admin, "/admin/templates")  # a preview saves nothing
    fragment = client.post(
        "/admin/templates/progress/zh",
        data={"intent": "preview", "subject": "进展", "body": "{{ users * 2 }} 位用户"},
        headers={**admin, "HX-Request": "true"},
    )
    assert fragment.status_code == 200 and fragment.text.lstrip().startswith('<div id="preview"')
    assert "240 位用户" in fragment.text and "<html" not in fragment.text
    bad = client.post(
        "/admin/templates/progress/zh",
        data={"intent": "preview", "subject": "进展", "body": "{% for %}"},
        headers={**admin, "HX-Request": "true"},
    )
    assert bad.status_code == 422 and "模板有误" in bad.text
    res = post(
        client, admin, "/admin/templates/progress/zh", status=422, intent="save", subject="进展", body="{% for %}"
    )
    assert "模板无法渲染" in beside(res.text, "body") and "{% for %}" in unescape(res.text)
    res = post(
        client, admin, "/admin/templates/progress/zh", status=422, intent="save", subject="{{ x | nope }}", body="正文"
    )
    assert "模板无法渲染" in beside(res.text, "subject")
    assert "<strong>已修改" not in get(client, admin, "/admin/templates")
    post(
        client,
        admin,
        "/admin/templates/progress/zh",
        intent="save",
        subject="进展 {{ number }}",
        body="处理中：{{ text }}",
    )
    html = get(client, admin, "/admin/templates/progress/zh?done=saved")
    assert "模板已保存" in html and "处理中：已完成问题定位" in html
    assert "<strong>已修改" in get(client, admin, "/admin/templates")
    get(client, admin, "/admin/templates/nope/zh", status=404)
    get(client, admin, "/admin/templates/receipt/fr", status=404)


@pytest.mark.parametrize("payload", XSS)
def test_template_bodies_show_as_text_in_the_form_and_the_preview(client, staff, admin, payload):
    post(client, admin, "/admin/templates/closing/zh", intent="save", subject="闭环", body=f"正文 {payload}")
    html = get(client, admin, "/admin/templates/closing/zh")
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    if payload == "{{7*7}}":
        assert "正文 49" in html  # a template's own expression is the template's business: rendered on the sample
        assert "{{7*7}}" in html  # and the source shows as typed in the field
    else:
        assert "&lt;" in html


# ---- synonyms ----------------------------------------------------------------------------------


def test_an_admin_edits_the_synonyms(client, staff, admin):
    post(client, admin, "/admin/synonyms", groups="扫码 二维码\n闪退，崩溃, crash\n\n")
    assert client.get("/api/v1/synonyms", headers=staff["agent"]).json()["groups"] == [
        ["扫码", "二维码"],
        ["闪退", "崩溃", "crash"],
    ]
    html = get(client, admin, "/admin/synonyms?done=saved")
    assert "扫码 二维码" in html and "2 组" in html
    res = post(client, admin, "/admin/synonyms", status=422, groups="扫码 二维码\n孤单")
    assert "每组至少两个词" in beside(res.text, "groups") and "孤单" in res.text
    assert len(client.get("/api/v1/synonyms", headers=staff["agent"]).json()["groups"]) == 2


# ---- the outbox --------------------------------------------------------------------------------


def _dead_letter(wiring, clock, subject: str) -> int:
    now = clock.now()
    with wiring.desk.uow() as uow:
        uow.outbox.add(
            Outgoing(
                message_id=f"m-{subject}"[:32], channel="email", recipient="user:2", kind="registered",
                subject=subject, body="正文", fault_id=None, report_id=None, not_before=now, created_at=now,
            )
        )  # fmt: skip
        uow.commit()
    with wiring.desk.uow() as uow:
        [row] = [
            m for m in uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=10) if m.subject == subject
        ]
        uow.outbox.mark_failed(row.id, "SMTP 550 mailbox unavailable", None)
        uow.commit()
    return row.id


def test_a_dead_letter_is_shown_and_sent_again(client, staff, admin, wiring, clock):
    row = _dead_letter(wiring, clock, "新故障 <script>alert(1)</script>")
    html = get(client, admin, "/admin/outbox")
    assert "SMTP 550 mailbox unavailable" in html and "邮件" in html and "新故障通知（致员工）" in html
    assert "员工 #2" in html and "<script>alert(1)</script>" not in html
    assert "1 条待重发" in get(client, admin, "/admin")
    post(client, admin, f"/admin/outbox/{row}/retry")
    assert "没有发送失败的消息" in get(client, admin, "/admin/outbox?done=retried")
    with wiring.desk.uow() as uow:
        assert [m.state for m in uow.outbox.listing(state=None, report_id=None, fault_id=None, limit=10)] == ["pending"]
        assert [e.action for e in uow.audit.about("message", str(row))] == ["retried"]
    res = post(client, admin, f"/admin/outbox/{row}/retry", status=409)
    assert "不在死信中" in res.text
    post(client, admin, f"/admin/outbox/{MAX_ID + 1}/retry", status=404)


def test_the_dead_letters_show_the_newest_first_with_the_count_of_all(client, staff, admin, wiring, clock, monkeypatch):
    from faultdesk.entrypoints.web import admin as admin_pages

    monkeypatch.setattr(admin_pages, "DEAD_SHOWN", 2)
    for i in range(3):
        _dead_letter(wiring, clock, f"第 {i} 封")
    html = get(client, admin, "/admin/outbox")
    assert "第 2 封" in html and "第 1 封" in html and "第 0 封" not in html  # the newest two of three
    assert html.index("第 2 封") < html.index("第 1 封")
    assert "共 3 条，按时间倒序显示最新的 2 条" in html

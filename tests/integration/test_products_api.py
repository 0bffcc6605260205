"""Products and their functions through the API and the CLI, on both stores: an admin builds the
catalogue a fresh install lacks, and a login outage on a core function is then suggested as P0
rather than P2; bad input is a 422 naming the field, other roles get 403, nothing half-written."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from faultdesk.entrypoints.cli import app
from faultdesk.entrypoints.common.fields import MAX_ID
from tests.integration.lifecycle_helpers import new_fault, take

API = "/api/v1/products"
LOGIN = {"code": "login", "name": "登录", "criticality": "core"}


def add_shop(client, staff, **overrides):
    body = {"code": "shop", "name": "优选商城 App", "functions": [LOGIN], **overrides}
    return client.post(API, json=body, headers=staff["admin"])


def fields_of(res) -> list[str]:
    assert res.status_code == 422, (res.status_code, res.text)
    return [f["field"] for f in res.json()["error"]["fields"]]


def test_an_admin_adds_a_product_with_functions_and_every_staff_member_reads_it(client, staff):
    res = add_shop(client, staff)
    assert res.status_code == 201, res.text
    shop = res.json()
    assert shop["code"] == "shop" and shop["name"] == "优选商城 App"
    assert [(f["code"], f["name"], f["criticality"]) for f in shop["functions"]] == [("login", "登录", "core")]
    listed = client.get(API, headers=staff["agent"]).json()
    assert listed == [shop]


def test_functions_are_added_renamed_and_regraded(client, staff):
    shop = add_shop(client, staff, functions=[]).json()
    res = client.post(f"{API}/{shop['id']}/functions", json={**LOGIN, "criticality": "minor"}, headers=staff["admin"])
    assert res.status_code == 201, res.text
    fn = res.json()
    assert fn["criticality"] == "minor"
    res = client.patch(f"{API}/{shop['id']}/functions/{fn['id']}", json={"criticality": "core"}, headers=staff["admin"])
    assert res.status_code == 200 and res.json() == {**fn, "criticality": "core"}
    res = client.patch(f"{API}/{shop['id']}/functions/{fn['id']}", json={"name": "账号登录"}, headers=staff["admin"])
    assert res.json()["name"] == "账号登录" and res.json()["criticality"] == "core"
    res = client.patch(f"{API}/{shop['id']}", json={"name": "优选商城"}, headers=staff["admin"])
    assert res.status_code == 200 and res.json()["name"] == "优选商城" and res.json()["code"] == "shop"
    [product] = client.get(API, headers=staff["pm"]).json()
    assert product["name"] == "优选商城"
    assert [(f["name"], f["criticality"]) for f in product["functions"]] == [("账号登录", "core")]


def test_a_login_outage_on_a_core_function_is_suggested_as_p0_not_p2(client, staff):
    plain = new_fault(client, staff["admin"])  # a report naming no product: no criticality to go by
    assert take(client, staff["admin"], plain, "start_analysis", impact="outage").status_code == 200
    res = client.get(f"/api/v1/faults/{plain}/severity-suggestion", headers=staff["tech_lead"])
    assert res.json()["severity"] == "P2"

    assert add_shop(client, staff).status_code == 201
    number = new_fault(client, staff["admin"], product="shop", function="login")
    assert take(client, staff["admin"], number, "start_analysis", impact="outage").status_code == 200
    res = client.get(f"/api/v1/faults/{number}/severity-suggestion", headers=staff["tech_lead"])
    assert res.status_code == 200, res.text
    assert res.json()["severity"] in ("P0", "P1")
    assert res.json()["severity"] == "P0"
    assert any("核心功能完全不可用" in r["zh"] for r in res.json()["reasons"])


@pytest.mark.parametrize("role", ["agent", "pm", "tech_lead", "developer", "tester"])
def test_only_an_admin_changes_the_catalogue(client, staff, role):
    shop = add_shop(client, staff).json()
    fn = shop["functions"][0]
    attempts = [
        client.post(API, json={"code": "mini", "name": "小程序"}, headers=staff[role]),
        client.patch(f"{API}/{shop['id']}", json={"name": "改名"}, headers=staff[role]),
        client.patch(f"{API}/{shop['id']}", json={}, headers=staff[role]),
        client.post(f"{API}/{shop['id']}/functions", json={**LOGIN, "code": "pay"}, headers=staff[role]),
        client.patch(f"{API}/{shop['id']}/functions/{fn['id']}", json={"criticality": "minor"}, headers=staff[role]),
    ]
    assert [r.status_code for r in attempts] == [403] * 5
    assert client.get(API, headers=staff[role]).json() == [shop]  # nothing changed
    assert client.get(API).status_code == 401


def test_a_taken_code_is_a_conflict_and_nothing_is_half_written(client, staff):
    shop = add_shop(client, staff).json()
    assert add_shop(client, staff, name="另一个").status_code == 409
    res = client.post(f"{API}/{shop['id']}/functions", json=LOGIN, headers=staff["admin"])
    assert res.status_code == 409
    twice = {"code": "mini", "name": "小程序", "functions": [LOGIN, {**LOGIN, "name": "又一个"}]}
    assert fields_of(client.post(API, json=twice, headers=staff["admin"])) == ["functions"]
    assert [p["code"] for p in client.get(API, headers=staff["admin"]).json()] == ["shop"]
    assert len(client.get(API, headers=staff["admin"]).json()[0]["functions"]) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "", "name": "商城"}, "code"),
        ({"code": "has space", "name": "商城"}, "code"),
        ({"code": "-lead", "name": "商城"}, "code"),
        ({"code": "c" * 41, "name": "商城"}, "code"),
        ({"code": "shop", "name": "   "}, "name"),
        ({"code": "shop", "name": "名" * 101}, "name"),
        ({"code": "sh\x00op", "name": "商城"}, "code"),
        ({"code": "shop", "name": "商\x00城"}, "name"),
        ({"code": "shop", "name": "商城", "functions": [{**LOGIN, "criticality": "vital"}]}, "functions.0.criticality"),
        ({"code": "shop", "name": "商城", "functions": [{**LOGIN, "name": ""}]}, "functions.0.name"),
        ({"code": "shop", "name": "商城", "extra": 1}, "extra"),
        ({"name": "商城"}, "code"),
    ],
)
def test_bad_product_input_is_refused_naming_the_field(client, staff, body, field):
    assert field in fields_of(client.post(API, json=body, headers=staff["admin"]))
    assert client.get(API, headers=staff["admin"]).json() == []


def test_strings_at_their_maximum_length_are_kept_whole(client, staff):
    code, name = "c" * 40, "名" * 100
    res = client.post(
        API,
        json={"code": code, "name": name, "functions": [{"code": "f" * 40, "name": "功" * 100, "criticality": "main"}]},
        headers=staff["admin"],
    )
    assert res.status_code == 201, res.text
    [product] = client.get(API, headers=staff["admin"]).json()
    assert (product["code"], product["name"]) == (code, name)
    assert (product["functions"][0]["code"], product["functions"][0]["name"]) == ("f" * 40, "功" * 100)


def test_ids_out_of_range_and_unknown_ids(client, staff):
    shop = add_shop(client, staff).json()
    fn_id = shop["functions"][0]["id"]
    for bad in (0, -1, MAX_ID + 1, "x"):
        assert client.patch(f"{API}/{bad}", json={"name": "x"}, headers=staff["admin"]).status_code == 422
        res = client.patch(f"{API}/{shop['id']}/functions/{bad}", json={"name": "x"}, headers=staff["admin"])
        assert res.status_code == 422
    assert client.patch(f"{API}/{MAX_ID}", json={"name": "x"}, headers=staff["admin"]).status_code == 404
    assert client.post(f"{API}/{MAX_ID}/functions", json=LOGIN, headers=staff["admin"]).status_code == 404
    res = client.patch(f"{API}/{MAX_ID}/functions/{fn_id}", json={"name": "x"}, headers=staff["admin"])
    assert res.status_code == 404  # the function exists, but not under that product
    bad = client.patch(f"{API}/{shop['id']}/functions/{fn_id}", json={"criticality": "vital"}, headers=staff["admin"])
    assert fields_of(bad) == ["criticality"]
    assert client.get(API, headers=staff["admin"]).json() == [shop]


def test_each_change_is_audited(client, staff, wiring):
    shop = add_shop(client, staff).json()
    fn = shop["functions"][0]
    client.patch(f"{API}/{shop['id']}/functions/{fn['id']}", json={"criticality": "main"}, headers=staff["admin"])
    with wiring.desk.uow() as uow:
        created = uow.audit.about("product", "shop")
        changed = uow.audit.about("product_function", "shop/login")
    assert [e.action for e in created] == ["created"] and created[0].actor.label == "admin1"
    assert changed[-1].before == {"name": "登录", "criticality": "core"}
    assert changed[-1].after == {"name": "登录", "criticality": "main"}


runner = CliRunner()


@pytest.fixture
def env(monkeypatch, tmp_path, store):
    monkeypatch.setenv("FAULTDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FAULTDESK_DATABASE_URL", store.url)
    monkeypatch.delenv("FAULTDESK_SECRET_KEY", raising=False)
    assert runner.invoke(app, ["init"]).exit_code == 0


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_the_catalogue_from_the_command_line(env):
    out = cli("product", "add", "shop", "优选商城 App", "-f", "login:登录:core", "-f", "search:商品搜索:minor")
    assert "product shop (优选商城 App) added" in out and "2 functions" in out
    assert "function shop/pay (支付, core) added" in cli(
        "product", "function", "add", "shop", "pay", "支付", "--criticality", "core"
    )
    assert "shop/search: 商品搜索, main" in cli(
        "product", "function", "update", "shop", "search", "--criticality", "main"
    )
    assert "now 优选商城" in cli("product", "update", "shop", "--name", "优选商城")
    listing = cli("product", "list")
    assert "shop\t优选商城" in listing
    assert "login\t登录\tcore" in listing and "pay\t支付\tcore" in listing and "search\t商品搜索\tmain" in listing


def test_the_command_line_refuses_bad_input_clearly(env):
    assert "no products yet" in cli("product", "list")
    assert "CODE:NAME:core|main|minor" in cli("product", "add", "shop", "商城", "-f", "login:登录", code=1)
    assert "CODE:NAME:core|main|minor" in cli("product", "add", "shop", "商城", "-f", "login:登录:vital", code=1)
    assert "code" in cli("product", "add", "has space", "商城", code=1)
    assert "name" in cli("product", "add", "shop", "名" * 101, code=1)
    assert "no products yet" in cli("product", "list")  # nothing half-written
    cli("product", "add", "shop", "商城")
    assert "exists" in cli("product", "add", "shop", "商城", code=1)
    assert "no product nope" in cli(
        "product", "function", "add", "nope", "pay", "支付", "--criticality", "core", code=1
    )
    result = runner.invoke(app, ["product", "function", "add", "shop", "pay", "支付", "--criticality", "vital"])
    assert result.exit_code == 2 and "vital" in result.output
    assert "nothing to change" in cli("product", "function", "update", "shop", "pay", code=1)
    assert "has no function pay" in cli("product", "function", "update", "shop", "pay", "--name", "x", code=1)

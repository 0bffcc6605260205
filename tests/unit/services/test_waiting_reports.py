"""What the registration pages read, on the in-memory twins: a text search of the waiting
reports, the register clock of each report on a page, and the catalogue for a form's pickers —
and every code those pages show has its word in both languages."""

from __future__ import annotations

import pytest

from faultdesk.domain.faults import Criticality
from faultdesk.domain.matching.documents import DocumentKind, MatchField
from faultdesk.domain.reports import Channel, ContactKind, Network
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.entrypoints.common.labels import label
from faultdesk.services import catalogue, clocks, faults
from faultdesk.services.records import Actor, ReportFilter
from tests.unit.services.conftest import NOW, register, submit


def test_every_word_of_a_text_search_must_appear_in_the_symptom_scenario_or_description(desk, staff):
    cart = submit(desk, symptom="购物车数量不更新", scenario="在商品详情页加入购物车").report.id
    logistics = submit(desk, symptom="订单物流三天没更新", scenario="查看物流轨迹").report.id
    described = submit(desk, symptom="页面白屏", scenario=None, description="Cart badge shows 0").report.id
    agent = staff[Role.AGENT]

    def found(text: str) -> list[int]:
        return [r.id for r in faults.list_reports(desk, ReportFilter(linked=False, text=text), actor=agent).items]

    assert found("购物车") == [cart]
    assert found("更新 商品详情") == [cart]  # every word, in any field
    assert sorted(found("更新")) == sorted([cart, logistics])
    assert found("CART badge") == [described]  # case does not matter
    assert found("100%") == []  # LIKE wildcards are text
    register(desk, agent, cart)
    assert found("购物车") == []  # a registered report is no longer waiting


def test_a_page_of_reports_gets_each_ones_register_clock_in_one_read(desk, staff):
    first, second = submit(desk).report.id, submit(desk, reporter_id="u-2").report.id
    register(desk, staff[Role.AGENT], second)
    found = clocks.register_clocks(desk, [first, second, 999], actor=staff[Role.DEVELOPER])
    assert set(found) == {first, second}
    assert found[first].kind is ClockKind.REGISTER and found[first].state is ClockState.RUNNING
    assert found[first].due_at > NOW and found[second].state is ClockState.MET
    with pytest.raises(Exception, match="may not"):
        clocks.register_clocks(desk, [first], actor=Actor.public())


def test_the_catalogue_lists_products_with_their_functions_by_code(desk, staff):
    catalogue.add_product(
        desk,
        "shop",
        "优选商城 App",
        [("pay", "支付", Criticality.CORE), ("cart", "购物车", Criticality.MAIN)],
        actor=staff[Role.ADMIN],
    )
    catalogue.add_product(desk, "admin", "商家后台", [], actor=staff[Role.ADMIN])
    listed = catalogue.list_products(desk, actor=staff[Role.AGENT])
    assert [(p.code, p.name) for p in listed] == [("admin", "商家后台"), ("shop", "优选商城 App")]
    assert [(f.code, f.name, f.criticality) for f in listed[1].functions] == [
        ("cart", "购物车", Criticality.MAIN),
        ("pay", "支付", Criticality.CORE),
    ]


@pytest.mark.parametrize("enum", [Channel, Network, ContactKind, DocumentKind, MatchField])
def test_every_code_the_registration_pages_show_has_a_word_in_both_languages(enum):
    for code in enum:
        zh, en = label(code, "zh"), label(code, "en")
        assert zh and en and zh != en, code
        assert not zh.isascii(), (code, zh)  # a Chinese screen never shows the code itself

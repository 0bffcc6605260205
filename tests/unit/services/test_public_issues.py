"""Public known issues and deflection on the in-memory twins: suggestions carry public words only,
following from the form links and counts the reporter, the counts per period, and every reporter
message naming the public title or a neutral wording — never the internal one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from faultdesk.domain.errors import NotPermitted, RuleViolation, StaleVersion
from faultdesk.domain.roles import Role
from faultdesk.services import clocks, messages, public_issues
from faultdesk.services.faults import FaultRegistration, register_fault
from faultdesk.services.intake import submit_report
from faultdesk.services.records import Actor
from tests.unit.services.conftest import a_draft, outbox, submit

INTERNAL = "内部：短信网关 sms-gw-02 连接池耗尽"
SYMPTOM = "登录时收不到验证码短信"
TITLE, STATUS = "部分用户收不到登录验证码", "正在修复，预计今晚恢复"


@pytest.fixture
def public(desk, staff):
    first = submit(desk, symptom=SYMPTOM, contact="first@example.com")
    reg = FaultRegistration(type_code="01", report_ids=[first.report.id], title=INTERNAL)
    fault = register_fault(desk, reg, actor=staff[Role.AGENT])
    return public_issues.publish(desk, fault.fault.number, TITLE, STATUS, actor=staff[Role.PM])


def test_only_agents_pms_and_admins_publish_and_a_stale_version_writes_nothing(desk, staff, public):
    for role in (Role.DEVELOPER, Role.TESTER, Role.TECH_LEAD):
        with pytest.raises(NotPermitted):
            public_issues.publish(desk, public.number, "x", "y", actor=staff[role])
    with pytest.raises(NotPermitted):
        public_issues.publish(desk, public.number, "x", "y", actor=Actor.public())
    with pytest.raises(StaleVersion):
        public_issues.publish(desk, public.number, "x", "y", actor=staff[Role.AGENT], if_match=public.version - 1)
    with pytest.raises(RuleViolation):
        public_issues.publish(desk, public.number, "", "y", actor=staff[Role.AGENT])
    with desk.uow() as uow:
        assert uow.faults.by_number(public.number).public_title == TITLE  # type: ignore[union-attr]


def test_suggestions_carry_public_words_and_count_once_per_form(desk, staff, public):
    found = public_issues.suggestions(desk, SYMPTOM)
    assert [(i.number, i.title, i.status_text) for i in found.issues] == [(public.number, TITLE, STATUS)]
    assert INTERNAL not in repr(found) and public.title not in repr(found)
    public_issues.suggestions(desk, SYMPTOM, counted=frozenset({found.issues[0].key}))
    assert public_issues.deflection_counts(desk, actor=staff[Role.PM]).shown == 1
    assert public_issues.suggestions(desk, "登录").empty  # under three characters
    public_issues.withdraw(desk, public.number, actor=staff[Role.AGENT])
    assert public_issues.suggestions(desk, SYMPTOM).empty


def test_following_links_the_report_counts_the_reporter_and_meets_its_register_clock(desk, staff, public, clock):
    clock.advance(timedelta(hours=2))
    draft = a_draft(symptom=SYMPTOM, reporter_id="u-2", contact="second@example.com")
    joined = submit_report(desk, draft, actor=Actor.public(), client="203.0.113.8", follow=public.number)
    assert joined.followed == public.number
    with desk.uow() as uow:
        report = uow.reports.get(joined.report.id)
        fault = uow.faults.by_number(public.number)
        register_clocks = uow.clocks.of_report(joined.report.id)
    assert report is not None and fault is not None and report.fault_id == fault.id
    assert fault.affected_users == 2
    assert register_clocks and all(row.clock.met_at == clock.now() for row in register_clocks)
    counts = public_issues.deflection_counts(desk, actor=staff[Role.PM], since=clock.now())
    assert (counts.followed, counts.shown) == (1, 0)
    assert public_issues.joined(desk, joined.tracking_token).title == TITLE  # type: ignore[union-attr]
    plain = submit(desk, symptom="另一个问题", reporter_id="u-3")
    assert plain.followed is None and public_issues.joined(desk, plain.tracking_token) is None


def test_every_reporter_message_names_the_public_title_or_a_neutral_wording(desk, staff, public):
    context = messages.reporter_context(desk, public)
    assert context["title"] == TITLE and context["public_title"] == TITLE
    public_issues.withdraw(desk, public.number, actor=staff[Role.AGENT])
    with desk.uow() as uow:
        internal = uow.faults.by_number(public.number)
    assert internal is not None
    assert messages.reporter_context(desk, internal)["title"] == "您反馈的问题"
    clocks.post_update(desk, public.number, "已定位", actor=staff[Role.AGENT])
    for m in outbox(desk):
        if m.recipient.startswith("report:"):
            assert INTERNAL not in m.subject + m.body

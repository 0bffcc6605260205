"""Intake (services/intake.py submit_report) on the in-memory twins."""

from __future__ import annotations

from datetime import timedelta

import pytest

from faultdesk.domain.errors import Conflict, RuleViolation
from faultdesk.domain.reports import ContactKind
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.services.faults import track_report
from faultdesk.services.intake import submit_report
from faultdesk.services.records import Actor, ReportFilter
from tests.unit.services.conftest import NOW, a_draft, outbox, submit


def test_a_report_is_stored_with_its_contact_masked_and_only_encrypted_in_full(desk, db):
    submitted = submit(desk)
    view = submitted.report
    assert (view.contact_kind, view.contact_masked) == (ContactKind.PHONE, "138****1234")
    assert view.received_at == NOW and view.symptom == a_draft().symptom and view.fault_id is None
    with desk.uow() as uow:
        assert uow.reports.get(view.id) == view  # intake answers with what every read returns
        cipher = uow.reports.contact_ciphers([view.id])[view.id]
    assert b"13812341234" not in cipher and desk.secrets.decrypt(cipher) == "13812341234"
    assert track_report(desk, submitted.tracking_token).report == view  # found by the digest of its token
    [audit] = [e for e in db.tables.audit.values() if e.entity == "report"]
    assert (audit.action, audit.entity_id, audit.after["contact"]) == ("submitted", str(view.id), "138****1234")


def test_a_report_starts_its_register_clock(desk):
    view = submit(desk).report
    with desk.uow() as uow:
        [row] = uow.clocks.of_report(view.id)
    clock = row.clock
    assert (clock.kind, clock.state, clock.started_at) == (ClockKind.REGISTER, ClockState.RUNNING, NOW)
    assert clock.due_at == NOW + timedelta(minutes=30)  # half an hour of working time, at 10:00


def test_an_email_reporter_gets_a_receipt_queued_in_the_same_commit(desk):
    view = submit(desk, contact="li.lei@example.com").report
    phone = submit(desk, contact="13812341234", reporter_id="u-2").report  # no SMS gateway: nothing to send
    receipt, kept = outbox(desk)
    # ... the phone-only reporter's receipt is kept for their tracking page, never sent
    assert (kept.channel, kept.state, kept.report_id, kept.kind) == ("page", "shown", phone.id, "receipt")
    assert (receipt.kind, receipt.channel, receipt.recipient) == ("receipt", "email", f"report:{view.id}")
    assert (receipt.state, receipt.next_attempt_at, receipt.report_id) == ("pending", NOW, view.id)
    assert receipt.subject == "【故障快响】已收到您的故障反馈" and view.symptom in receipt.body
    assert "li.lei" not in receipt.recipient  # the address is resolved only at delivery


def test_a_retry_with_the_same_idempotency_key_answers_the_first_report(desk):
    first = submit_report(desk, a_draft(), actor=Actor.public(), client="c1", idempotency_key="k-1")
    again = submit_report(desk, a_draft(), actor=Actor.public(), client="c1", idempotency_key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert (again.report, again.tracking_token) == (first.report, first.tracking_token)
    with desk.uow() as uow:
        assert uow.reports.search(ReportFilter()).total == 1


def test_an_idempotency_key_is_per_client_and_cannot_carry_another_report(desk):
    submit_report(desk, a_draft(), actor=Actor.public(), client="c1", idempotency_key="k-1")
    with pytest.raises(Conflict, match="different report"):
        submit_report(desk, a_draft(symptom="另一件事"), actor=Actor.public(), client="c1", idempotency_key="k-1")
    other = submit_report(desk, a_draft(), actor=Actor.public(), client="c2", idempotency_key="k-1")
    assert not other.replayed


def test_a_bad_contact_is_refused_naming_the_field_and_nothing_is_stored(desk):
    with pytest.raises(RuleViolation) as refused:
        submit(desk, contact="call me maybe")
    assert [p.field for p in refused.value.problems] == ["contact"]
    with desk.uow() as uow:
        assert uow.reports.search(ReportFilter()).total == 0
    assert outbox(desk) == []


def test_every_problem_of_a_report_is_named_at_once(desk):
    with pytest.raises(RuleViolation) as refused:
        submit(desk, contact="nope", occurred_at=NOW + timedelta(days=1), function="login")
    assert sorted(p.field for p in refused.value.problems) == ["contact", "function", "occurred_at"]

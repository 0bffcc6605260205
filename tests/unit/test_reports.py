from datetime import UTC, datetime, timedelta

import pytest

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.faults import distinct_reporters
from faultdesk.domain.reports import Contact, ContactKind, check_report_times

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "kind", "stored", "masked"),
    [
        ("13812341234", ContactKind.PHONE, "13812341234", "138****1234"),
        ("+86 138 1234 1234", ContactKind.PHONE, "13812341234", "138****1234"),
        ("010-12345678", ContactKind.PHONE, "010-12345678", "010****5678"),
        ("zhang.san@Example.COM", ContactKind.EMAIL, "zhang.san@example.com", "z***@example.com"),
    ],
)
def test_contacts_are_normalised_and_masked(raw, kind, stored, masked):
    contact = Contact.parse(raw)
    assert (contact.kind, contact.value, contact.masked()) == (kind, stored, masked)


@pytest.mark.parametrize(
    "raw", ["abc", "1381234123", "12812341234", "a@b", "@example.com", "张三@例子", "138123412345"]
)
def test_malformed_contacts_are_refused_with_the_field_named(raw):
    with pytest.raises(RuleViolation) as caught:
        Contact.parse(raw)
    assert caught.value.problems[0].field == "contact"
    assert "手机号" in caught.value.problems[0].reason_zh


def test_a_report_cannot_arrive_in_the_future():
    with pytest.raises(RuleViolation) as caught:
        check_report_times(NOW + timedelta(hours=1), None, NOW)
    assert [p.field for p in caught.value.problems] == ["received_at"]


def test_the_fault_cannot_happen_after_it_was_reported():
    with pytest.raises(RuleViolation) as caught:
        check_report_times(NOW - timedelta(hours=2), NOW - timedelta(hours=1), NOW)
    assert [p.field for p in caught.value.problems] == ["occurred_at"]
    assert caught.value.problems[0].reason_zh == "故障发生时间不能晚于反馈时间"


def test_small_client_clock_skew_is_tolerated():
    check_report_times(NOW + timedelta(minutes=2), NOW + timedelta(minutes=1), NOW)


def test_future_occurrence_is_reported_once_even_if_also_after_receipt():
    with pytest.raises(RuleViolation) as caught:
        check_report_times(NOW, NOW + timedelta(days=1), NOW)
    assert [(p.field, p.reason_en) for p in caught.value.problems] == [("occurred_at", "is in the future")]


def test_affected_users_counts_distinct_reporters_and_each_anonymous_report():
    assert distinct_reporters(["u1", "u1", "u2", None, None]) == 4
    assert distinct_reporters([]) == 0


def test_a_report_may_not_say_it_arrived_longer_ago_than_the_window():
    check_report_times(NOW - timedelta(days=29), None, NOW)
    with pytest.raises(RuleViolation) as exc:
        check_report_times(NOW - timedelta(days=31), None, NOW)
    assert exc.value.problems[0].field == "received_at"
    check_report_times(NOW - timedelta(days=31), None, NOW, window=timedelta(days=60))

"""The record table's pure rules (services/record_table.py): what a fault's clocks and ratings
come to in its row. The SQL store counts the same in SQL; the integration tests hold it to this."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faultdesk.domain.faults import FaultStatus
from faultdesk.services.record_table import ClockFact, ClockSummary, FaultHead, RatingSummary, assemble

AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_finished_clocks_are_met_or_breached_and_on_time_without_a_breach() -> None:
    summary = ClockSummary.of(
        [
            ClockFact("grade", "met", AT, None),
            ClockFact("response", "breached", None, AT),
            ClockFact("update", "running", None, None),
            ClockFact("first_reply", "met", AT + timedelta(minutes=5), None),
        ]
    )
    assert summary == ClockSummary(finished=3, on_time=2, first_reply_at=AT + timedelta(minutes=5))


def test_the_first_reply_is_the_earliest_met_even_of_a_clock_breached_before_it_was_met() -> None:
    late = ClockFact("first_reply", "breached", AT + timedelta(hours=2), AT + timedelta(hours=1))
    again = ClockFact("first_reply", "met", AT + timedelta(hours=3), None)
    assert ClockSummary.of([again, late]).first_reply_at == AT + timedelta(hours=2)
    assert ClockSummary.of([]).first_reply_at is None


def _head() -> FaultHead:
    return FaultHead(1, "261125-01-001", "01", "白屏", FaultStatus.REGISTERED, None, None, 1, None, {}, None, 0, AT)


def test_satisfaction_is_the_ratings_mean_rounded_half_to_even() -> None:
    record = assemble(_head(), None, 0, [], ClockSummary(), [], RatingSummary.of([4, 5]), {})
    assert record.satisfaction == 4  # 4.5 rounds to even, as round(sum / len) always did
    assert assemble(_head(), None, 0, [], ClockSummary(), [], RatingSummary.of([5, 5, 4]), {}).satisfaction == 5
    assert assemble(_head(), None, 0, [], ClockSummary(), [], RatingSummary(), {}).satisfaction is None


def test_clocks_finished_count_in_the_row_and_none_leave_it_to_an_imported_table() -> None:
    counted = assemble(_head(), None, 0, [], ClockSummary(2, 1, AT), [], RatingSummary(), {})
    assert (counted.clocks_total, counted.clocks_on_time, counted.first_response_at) == (2, 1, AT)
    imported = {"clocks_total": 3, "clocks_on_time": 3, "first_response_at": AT.isoformat()}
    old = assemble(_head(), None, 0, [], ClockSummary(), [], RatingSummary(), {}, imported)
    assert (old.clocks_total, old.clocks_on_time, old.first_response_at) == (3, 3, AT)

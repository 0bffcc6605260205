"""A queue view as a URL names it (common/queue_views.py): one model for the console and the API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import get_args

import pytest
from pydantic import ValidationError

from faultdesk.domain.faults import Severity
from faultdesk.entrypoints.common.queue_views import QueueView, SortName
from faultdesk.services.queues import Queue
from faultdesk.services.records import QUEUE_SORTS


def test_the_sorts_are_the_stores_each_way():
    assert set(get_args(SortName)) == {s for name in QUEUE_SORTS for s in (name, f"-{name}")}


def test_a_day_is_the_whole_of_that_day_in_the_zone_and_a_time_without_zone_is_local():
    view = QueueView.model_validate({"from": "2026-11-01", "to": "2026-11-30"})
    q = view.query("Asia/Shanghai")
    assert q.registered_from == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert q.registered_to == datetime(2026, 11, 30, 16, tzinfo=UTC)  # the 30th's end, local
    moment = QueueView.model_validate({"registered_from": "2026-11-10T09:00:00"}).query("Asia/Shanghai")
    assert moment.registered_from == datetime(2026, 11, 10, 1, tzinfo=UTC)


def test_a_day_and_a_time_together_both_hold():
    view = QueueView.model_validate(
        {
            "from": "2026-11-01",
            "registered_from": "2026-11-10T00:00:00Z",
            "to": "2026-11-05",
            "registered_to": "2026-12-01T00:00:00Z",
        }
    )
    q = view.query("UTC")
    assert q.registered_from == datetime(2026, 11, 10, tzinfo=UTC) and q.registered_to == datetime(
        2026, 11, 6, tzinfo=UTC
    )


def test_severity_none_is_the_ungraded_and_words_are_trimmed():
    q = QueueView.model_validate({"severity": ["P1", "none"], "q": "  支付  ", "queue": "breached"}).query(
        "UTC", page=3
    )
    assert q.severity == [Severity.P1] and q.ungraded and q.text == "支付" and q.queue is Queue.BREACHED and q.page == 3
    assert QueueView().query("UTC").queue is Queue.ALL and QueueView().query("UTC").text is None


@pytest.mark.parametrize(
    "bad",
    [
        {"queue": "nope"},
        {"type": ["ABC"]},
        {"product": ["x" * 41]},
        {"owner": "x" * 65},
        {"q": "长" * 101},
        {"from": "99999-01-01"},
        {"sort": "title"},
        {"severity": ["P9"]},
    ],
)
def test_each_bad_value_names_its_field(bad):
    with pytest.raises(ValidationError) as exc:
        QueueView.model_validate(bad)
    assert exc.value.errors()[0]["loc"][0] in {*bad, *(("from",) if "from" in bad else ())}


def test_a_day_out_of_range_is_refused():
    with pytest.raises(ValidationError):
        QueueView.model_validate({"to": date(1, 1, 1).isoformat()})

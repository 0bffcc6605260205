"""Public known issues, pure parts: the public words' rules (every problem at once, by class of
bad input) and which faults a reporter may follow; the P2 promise's version read from the events."""

from __future__ import annotations

import pytest

from faultdesk.domain.errors import RuleViolation
from faultdesk.domain.events import Released, Resolved, StateChanged
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import OPEN_STATES
from faultdesk.domain.public_issues import PUBLIC_STATUS_MAX, PUBLIC_TITLE_MAX, followable, public_words
from faultdesk.services.promises import ships_in


def fields(exc: pytest.ExceptionInfo[RuleViolation]) -> list[str]:
    return [p.field for p in exc.value.problems]


def test_public_words_are_trimmed_and_kept_at_their_maximum():
    words = public_words("  " + "题" * PUBLIC_TITLE_MAX + " ", "第一行\n第二行\t。" + "况" * (PUBLIC_STATUS_MAX - 9))
    assert words.title == "题" * PUBLIC_TITLE_MAX
    assert words.status.startswith("第一行\n第二行\t") and len(words.status) == PUBLIC_STATUS_MAX


@pytest.mark.parametrize(
    ("title", "status", "bad"),
    [
        ("", "ok", ["public_title"]),
        (None, None, ["public_title", "public_status"]),
        ("  ", " \n ", ["public_title", "public_status"]),
        ("x" * (PUBLIC_TITLE_MAX + 1), "ok", ["public_title"]),
        ("ok", "x" * (PUBLIC_STATUS_MAX + 1), ["public_status"]),
        ("登录\x00失败", "ok", ["public_title"]),
        ("两行\n标题", "ok", ["public_title"]),  # a title is one line
        ("ok", "响铃\x07", ["public_status"]),
        ("ok", "删除\x7f", ["public_status"]),
    ],
)
def test_bad_public_words_name_every_field_in_both_languages(title, status, bad):
    with pytest.raises(RuleViolation) as exc:
        public_words(title, status)
    assert fields(exc) == bad
    assert all(p.reason_zh and p.reason_en and p.reason_zh != p.reason_en for p in exc.value.problems)


def test_a_reporter_follows_an_open_public_fault_or_a_p2_waiting_for_its_version():
    for status in FaultStatus:
        waiting = status in (FaultStatus.RESOLVED, FaultStatus.ARCHIVED)
        assert followable(status, public=True, waiting_release=None) is (status in OPEN_STATES)
        assert followable(status, public=True, waiting_release="5.3.0") is (status in OPEN_STATES or waiting)
        assert followable(status, public=False, waiting_release="5.3.0") is False  # internal: never


def test_the_version_a_p2_ships_in_comes_from_its_resolution_only():
    assert (
        ships_in([StateChanged(FaultStatus.AWAITING_CONFIRMATION, FaultStatus.RESOLVED), Resolved("5.3.0")]) == "5.3.0"
    )
    assert ships_in([Resolved(version="5.3.0"), Released("5.3.0", "公告")]) is None  # a P0/P1 full release
    assert ships_in([]) is None

"""Every code a page can show has its Chinese and English word (UI.md): no raw code on a screen."""

from __future__ import annotations

import pytest

from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.roles import Role
from faultdesk.domain.sla import ClockKind
from faultdesk.entrypoints.common.labels import label


@pytest.mark.parametrize("enum", [FaultStatus, Role, Severity, ClockKind])
def test_every_code_has_a_word_in_both_languages(enum):
    for code in enum:
        zh, en = label(code, "zh"), label(code, "en")
        assert zh and en and zh != en, code
        assert not zh.isascii() or zh.startswith("P"), (code, zh)  # P0 紧急 keeps its code


def test_staff_read_awaiting_confirmation_as_the_reporters_turn_not_theirs():
    assert label(FaultStatus.AWAITING_CONFIRMATION) == "待用户确认"
    assert label(None) == "未分级"

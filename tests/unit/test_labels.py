"""Every code a page can show has its Chinese and English word (UI.md): no raw code on a screen."""

from __future__ import annotations

import pytest

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import FaultStatus, Severity
from faultdesk.domain.reports import Channel, ContactKind
from faultdesk.domain.roles import Role
from faultdesk.domain.severity import Impact
from faultdesk.domain.sla import ClockKind, ClockState
from faultdesk.entrypoints.common.commands import BODY_OF, fields_of
from faultdesk.entrypoints.common.labels import FIELD, label, value_label

ENUMS = (FaultStatus, Role, Severity, ClockKind, lc.Action, lc.Stage, lc.PlanKind, lc.CauseCategory, lc.Recurrence)


@pytest.mark.parametrize("enum", [*ENUMS, lc.ActionStatus, Impact, ClockState, Channel, ContactKind])
def test_every_code_has_a_word_in_both_languages(enum):
    for code in enum:
        zh, en = label(code, "zh"), label(code, "en")
        assert zh and en and zh != en, code
        assert not zh.isascii() or zh.startswith("P"), (code, zh)  # P0 紧急 keeps its code


def test_staff_read_awaiting_confirmation_as_the_reporters_turn_not_theirs():
    assert label(FaultStatus.AWAITING_CONFIRMATION) == "待用户确认"
    assert label(None) == "未分级"


def _names(schema: dict) -> set[str]:
    """Every property name in a JSON Schema, nested objects and array items too."""
    found: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        found.add(name)
        for part in [sub, sub.get("items", {}), *sub.get("anyOf", [])]:
            found |= _names(part) | _names(part.get("items", {}))
    return found


def test_every_field_of_every_action_body_has_a_word():
    for action in BODY_OF:
        f = fields_of(action)
        names = _names({"properties": f.properties})
        assert names <= set(FIELD), (action, names - set(FIELD))


def test_every_enum_value_of_an_action_field_has_a_word():
    for action in BODY_OF:
        for name, sub in fields_of(action).properties.items():
            values = sub.get("enum") or sub.get("propertyNames", {}).get("enum") or []
            for value in values:
                assert value_label(name, value, "zh") != value, (action, name, value)

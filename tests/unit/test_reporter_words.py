"""The reporter's status words: every fault state has one of the six, never a staff stage name."""

from __future__ import annotations

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.reporter_status import BY_FAULT_STATUS, EXPLAINED, WORDS, ReporterStatus, status_words
from faultdesk.entrypoints.common.labels import STATUS

SIX = {"已受理", "处理中", "修复中", "待您确认", "已解决", "已关闭"}


def test_every_fault_state_has_a_reporter_word():
    assert set(BY_FAULT_STATUS) == set(FaultStatus)
    assert {zh for zh, _ in WORDS.values()} == SIX
    assert set(WORDS) == set(EXPLAINED) == set(ReporterStatus)


def test_the_words_are_the_reporters_not_the_staffs():
    expected = {
        FaultStatus.REGISTERED: "已受理",
        FaultStatus.TRIAGING: "处理中",
        FaultStatus.LOCATING: "处理中",
        FaultStatus.PLANNING: "处理中",
        FaultStatus.PLAN_REVIEW: "处理中",
        FaultStatus.FIXING: "修复中",
        FaultStatus.VERIFYING: "修复中",
        FaultStatus.AWAITING_CONFIRMATION: "待您确认",
        FaultStatus.RELEASING: "修复中",
        FaultStatus.RESOLVED: "已解决",
        FaultStatus.ARCHIVED: "已解决",
        FaultStatus.DUPLICATE: "处理中",
        FaultStatus.NOT_A_FAULT: "已关闭",
        FaultStatus.CANNOT_REPRODUCE: "已关闭",
    }
    assert {s: status_words(s, "zh")[0] for s in FaultStatus} == expected
    staff_only = {zh for zh, _ in STATUS.values()} - SIX
    for state in FaultStatus:
        word, line = status_words(state, "zh")
        assert word not in staff_only and state.value not in line
    assert status_words(FaultStatus.AWAITING_CONFIRMATION, "zh")[0] != STATUS[FaultStatus.AWAITING_CONFIRMATION][0]


def test_a_report_not_registered_yet_is_received_and_english_is_complete():
    assert status_words(None, "zh")[0] == "已受理"
    assert status_words(None, "en")[0] == "Received"
    for state in FaultStatus:
        word, line = status_words(state, "en")
        assert word.isascii() and line.isascii() and word and line

"""The reporter's status words: every fault state has one of the seven, never a staff stage name,
and along the lifecycle they only move forward."""

from __future__ import annotations

from faultdesk.domain import lifecycle as lc
from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.reporter_status import (
    BY_FAULT_STATUS,
    EXPLAINED,
    PROGRESS,
    WORDS,
    ReporterStatus,
    reporter_status,
    status_words,
)
from faultdesk.entrypoints.common.labels import STATUS

SIX = {"已受理", "处理中", "修复中", "待您确认", "已修复", "已解决", "已关闭"}  # seven since 已修复


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
        FaultStatus.RELEASING: "已修复",  # the reporter said 已恢复: never 修复中 again
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


def test_no_step_but_a_reopen_moves_the_reporters_word_back():
    """After 已恢复 (the reporter's, or the agent's for them) the rollout reads 已修复, not 修复中."""
    reopens = {(lc.Action.RECORD_VERIFICATION, FaultStatus.LOCATING), (lc.Action.CONFIRM, FaultStatus.LOCATING)}
    for action, starts in lc.FROM.items():
        for start in starts:
            for target in lc.TARGETS[action] or ():
                before, after = reporter_status(start), reporter_status(target)
                if (action, target) in reopens or action is lc.Action.MERGE or after not in PROGRESS:
                    continue  # "still broken" goes back on purpose; merged follows its survivor; closed sits beside
                assert PROGRESS.index(after) >= PROGRESS.index(before), (action, start, target)
    assert status_words(FaultStatus.RELEASING, "zh") == ("已修复", "问题已修复，修复版本正在陆续发布给所有用户。")
    assert status_words(FaultStatus.RELEASING, "en")[0] == "Fixed"

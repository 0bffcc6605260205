"""Driving faults through the API for the lifecycle tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import a_report

# A valid body for each action (user ids: the staff fixture creates agent=1 … admin=6 in Role order).
BODIES: dict[str, dict[str, Any]] = {
    "start_analysis": {"recurrence": "new", "impact": "partial"},
    "grade": {"severity": "P1", "reason": "数据加载缓慢，影响部分用户", "owners": {"handling": 3}},
    "regrade": {"severity": "P2", "reason": "影响范围小于预期"},
    "assign": {"owners": {"verification": 5}},
    "record_cause": {"cause": "接口参数校验逻辑错误", "category": "code_logic"},
    "propose_plan": {
        "kind": "emergency_patch",
        "description": "修改校验规则，增加参数容错",
        "deadline": "2026-11-25T18:00:00",
    },
    "review_plan": {"approved": True, "comments": "方案可行", "reviewers": ["pm1", "tester1"]},
    "attach_cases": {"cases": [{"key": "TC1", "title": "模拟10笔不同金额支付", "expected": "均成功"}]},
    "mark_fix_ready": {"fix_version": "5.2.2"},
    "record_verification": {"results": [{"key": "TC1", "passed": True}]},
    "confirm": {"outcome": "recovered"},
    "record_gray_step": {"percentage": 10},
    "release_full": {"version": "5.2.2", "announcement": "支付问题已修复，请升级至 5.2.2"},
    "archive": {
        "cause": "接口参数校验逻辑错误",
        "solution": "修改校验规则",
        "reporter_feedback": "已恢复",
        "satisfaction": 5,
    },
    "retrospect": {
        "analysis": "需求评审遗漏边界场景",
        "actions": [{"title": "补充异常场景测试用例", "owner_id": 5, "due": "2026-12-10"}],
        "article": {
            "title": "支付失败：参数校验过严",
            "symptoms": "付款时提示系统繁忙",
            "cause": "接口参数校验逻辑错误",
            "fix": "修改校验规则",
            "tags": ["支付", "校验"],
        },
    },
    "close_not_a_fault": {"reason": "用户操作不当"},
    "close_cannot_reproduce": {"reason": "多机型多网络均无法复现"},
}

# The path from registration to each state, as actions taken by an admin.
PATH = [
    ("start_analysis", "triaging"),
    ("grade", "locating"),
    ("record_cause", "planning"),
    ("propose_plan", "plan_review"),
    ("review_plan", "fixing"),
    ("attach_cases", "fixing"),
    ("mark_fix_ready", "verifying"),
    ("record_verification", "awaiting_confirmation"),
    ("confirm", "releasing"),
    ("record_gray_step", "releasing"),
    ("release_full", "resolved"),
    ("archive", "archived"),
]


def new_fault(client, headers, **report) -> str:
    rid = client.post("/api/v1/reports", json=a_report(**report)).json()["report"]["id"]
    res = client.post("/api/v1/faults", json={"type_code": "01", "report_ids": [rid]}, headers=headers)
    assert res.status_code == 201, res.text
    return str(res.json()["fault"]["number"])


def take(client, headers, number: str, action: str, **overrides):
    body = {"action": action, **BODIES.get(action, {}), **overrides}
    return client.post(f"/api/v1/faults/{number}/transitions", json=body, headers=headers)


def drive(client, headers, number: str, state: str, *, steps: int | None = None) -> None:
    """Take the admin path until the fault is in ``state`` (after ``steps`` actions, if given)."""
    current = client.get(f"/api/v1/faults/{number}", headers=headers).json()["status"]
    for done, (action, reaches) in enumerate(PATH):
        if current == state and (steps is None or done >= steps):
            return
        res = take(client, headers, number, action)
        assert res.status_code == 200, (action, res.text)
        current = reaches
    assert current == state, f"cannot reach {state}"

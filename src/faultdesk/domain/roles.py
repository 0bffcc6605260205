"""Staff roles and what each may do. The one table of who-may-what (DESIGN §2)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"  # 客服专员
    PM = "pm"  # 产品经理
    TECH_LEAD = "tech_lead"  # 技术负责人
    DEVELOPER = "developer"  # 研发工程师
    TESTER = "tester"  # 测试工程师
    ADMIN = "admin"  # 管理员


class Permission(StrEnum):
    VIEW = "view"  # read faults, reports, timelines
    REGISTER_FAULT = "register_fault"  # stage 1: turn reports into a numbered fault
    REVEAL_CONTACT = "reveal_contact"  # see a reporter's contact in full (audited)
    MANAGE_USERS = "manage_users"
    MANAGE_CATALOGUE = "manage_catalogue"  # products, functions, fault types
    MESSAGE_REPORTERS = "message_reporters"  # stage 4: post progress updates to reporters
    PAUSE_CLOCKS = "pause_clocks"  # stop a fault's clocks while waiting for the reporter
    MANAGE_PRODUCTS = "manage_products"  # products, their functions' criticality, fault types
    IMPORT_HISTORY = "import_history"  # load an older record table's faults, numbers kept
    PUBLISH_KNOWN_ISSUE = "publish_known_issue"  # mark a fault public, with words for end users


# The template's words for its people and what they may do (zh, en): the pages and the errors
# both name a role by them, never by its code.
ROLE_WORDS: dict[Role, tuple[str, str]] = {
    Role.AGENT: ("客服专员", "customer-service agent"),
    Role.PM: ("产品经理", "product manager"),
    Role.TECH_LEAD: ("技术负责人", "tech lead"),
    Role.DEVELOPER: ("研发工程师", "developer"),
    Role.TESTER: ("测试工程师", "tester"),
    Role.ADMIN: ("管理员", "administrator"),
}

PERMISSION_WORDS: dict[Permission, tuple[str, str]] = {
    Permission.VIEW: ("查看故障与反馈", "view faults and reports"),
    Permission.REGISTER_FAULT: ("登记故障", "register faults"),
    Permission.REVEAL_CONTACT: ("查看用户联系方式", "see reporters' contacts"),
    Permission.MANAGE_USERS: ("管理用户", "manage users"),
    Permission.MANAGE_CATALOGUE: ("管理产品目录", "manage the catalogue"),
    Permission.MANAGE_PRODUCTS: ("管理产品、功能与故障类型", "manage products, functions and fault types"),
    Permission.MESSAGE_REPORTERS: ("向用户发送进度", "message reporters"),
    Permission.PAUSE_CLOCKS: ("暂停时效计时", "pause the clocks"),
    Permission.IMPORT_HISTORY: ("导入历史记录", "import history"),
    Permission.PUBLISH_KNOWN_ISSUE: ("公开为已知问题", "publish as a known issue"),
}

ALL_STAFF = frozenset(Role)

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.VIEW: ALL_STAFF,
    # The template names the agent for stage 1; PM and admin stand in when the desk is short.
    Permission.REGISTER_FAULT: frozenset({Role.AGENT, Role.PM, Role.ADMIN}),
    # Only those who talk to reporters (stage 4: agent / PM) need the contact.
    Permission.REVEAL_CONTACT: frozenset({Role.AGENT, Role.PM, Role.ADMIN}),
    Permission.MANAGE_USERS: frozenset({Role.ADMIN}),
    # Stage 4's owners (agent / PM), and the tech lead who answers for a P0.
    Permission.MESSAGE_REPORTERS: frozenset({Role.AGENT, Role.PM, Role.TECH_LEAD, Role.ADMIN}),
    Permission.PAUSE_CLOCKS: frozenset({Role.AGENT, Role.PM, Role.TECH_LEAD, Role.ADMIN}),
    Permission.MANAGE_CATALOGUE: frozenset({Role.ADMIN, Role.PM}),
    # A function's criticality moves every later severity suggestion: the administrator's call (issue 11.5).
    Permission.MANAGE_PRODUCTS: frozenset({Role.ADMIN}),
    # Imported faults keep their numbers and move the serials on: the administrator's call.
    Permission.IMPORT_HISTORY: frozenset({Role.ADMIN}),
    # Those who speak to end users (stage 4: agent / PM) write what the public reads of a fault.
    Permission.PUBLISH_KNOWN_ISSUE: frozenset({Role.AGENT, Role.PM, Role.ADMIN}),
}


def may(role: Role, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]

"""Staff accounts and API tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from faultdesk.domain.calendars import is_known_zone
from faultdesk.domain.errors import Conflict, NotFound, RuleViolation
from faultdesk.domain.reports import Contact, ContactKind
from faultdesk.domain.roles import Permission, Role
from faultdesk.services.access import TOKEN_PREFIX, require
from faultdesk.services.desk import KEPT_USERS, Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, UserRecord

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{2,64}$")
RESERVED = frozenset({"system", "public"})  # the audit trail's labels for the server and the intake form
MIN_PASSWORD = 8


def create_user(
    desk: Desk,
    username: str,
    role: Role,
    password: str,
    *,
    actor: Actor,
    display_name: str | None = None,
    email: str | None = None,
    timezone: str | None = None,
) -> UserRecord:
    _require_user_manager(actor)
    if not USERNAME.match(username):
        raise RuleViolation.one(
            "username", "2-64 letters, digits, '_', '.' or '-'", "用户名须为 2-64 位字母、数字、_ . -"
        )
    if username.lower() in RESERVED:
        raise RuleViolation.one("username", f"{username!r} is reserved", f"用户名 {username} 为系统保留")
    _check_password(password)
    if email is not None:
        email = _email(email) or ""
        if not email:
            raise RuleViolation.one("email", "is not an e-mail address", "不是有效的电子邮箱")
    _check_zone(timezone)
    password_hash = desk.passwords.hash(password)  # slow on purpose: outside the transaction
    now = desk.clock.now()
    with desk.uow() as uow:
        if uow.users.by_username(username):
            raise Conflict(f"user {username} exists", f"用户 {username} 已存在")
        user_id = uow.users.add(
            username, display_name or username, role, password_hash, now, email=email, timezone=timezone
        )
        _audit(uow, now, actor, user_id, "created", after={"username": username, "role": role.value})
        user = uow.users.by_id(user_id)
        uow.commit()
    assert user is not None
    return user


def set_user_timezone(desk: Desk, username: str, zone: str | None, *, actor: Actor) -> UserRecord:
    """Where this person works: their notices for P1/P2 wait for 09:00-18:00 there (None: the
    organisation's zone). Everyone sets their own; an admin anyone's."""
    if not actor.is_system and actor.label != username:
        require(actor, Permission.MANAGE_USERS)
    _check_zone(zone)
    now = desk.clock.now()
    with desk.uow() as uow:
        user = _named(uow, username)
        uow.users.set_timezone(user.id, zone)
        _audit(uow, now, actor, user.id, "timezone_set", before={"timezone": user.timezone}, after={"timezone": zone})
        uow.commit()
    desk.settings_cache.clear()  # the worker in this process reads the zones through it
    return replace(user, timezone=zone)


def set_user_role(desk: Desk, username: str, role: Role, *, actor: Actor) -> UserRecord:
    """An admin moves someone to another role; what they may do changes with their next request
    (sessions and tokens read the role from the account each time)."""
    _require_user_manager(actor)
    if actor.label == username and role is not Role.ADMIN:
        raise RuleViolation.one(
            "role", "you cannot take the administrator role from yourself", "不能取消自己的管理员角色"
        )
    now = desk.clock.now()
    with desk.uow() as uow:
        user = _named(uow, username)
        if user.role is not role:
            uow.users.set_role(user.id, role)
            _audit(uow, now, actor, user.id, "role_set", before={"role": user.role.value}, after={"role": role.value})
        uow.commit()
    return replace(user, role=role)


def set_user_email(desk: Desk, username: str, email: str | None, *, actor: Actor) -> UserRecord:
    """Where this person's staff notices go (None: no e-mail notices)."""
    _require_user_manager(actor)
    email = _email(email)
    now = desk.clock.now()
    with desk.uow() as uow:
        user = _named(uow, username)
        if user.email != email:
            uow.users.set_email(user.id, email)
            _audit(uow, now, actor, user.id, "email_set", before={"email": user.email}, after={"email": email})
        uow.commit()
    return replace(user, email=email)


def _email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    try:
        contact = Contact.parse(email.strip())
    except RuleViolation:
        contact = None
    if contact is None or contact.kind is not ContactKind.EMAIL:
        raise RuleViolation.one("email", "is not an e-mail address", "不是有效的电子邮箱") from None
    return contact.value


LANGUAGES = ("zh", "en")


def set_user_language(desk: Desk, username: str, language: str | None, *, actor: Actor) -> UserRecord:
    """The console's language for this person, kept across sessions (None: the browser's)."""
    if not actor.is_system and actor.label != username:
        require(actor, Permission.MANAGE_USERS)
    if language is not None and language not in LANGUAGES:
        raise RuleViolation.one("language", "must be zh or en", "须为 zh 或 en")
    with desk.uow() as uow:
        user = _named(uow, username)
        uow.users.set_language(user.id, language)
        uow.commit()
    return replace(user, language=language)


@dataclass(frozen=True)
class AccountChange:
    user: UserRecord  # as it is now
    sessions_ended: int


def reset_password(desk: Desk, username: str, password: str, *, actor: Actor) -> AccountChange:
    """An admin sets a new password; every web session of the user ends with the old one, in the
    same transaction (issue 10.5: whoever held a session opened by the old password is out)."""
    _require_user_manager(actor)
    _check_password(password)
    password_hash = desk.passwords.hash(password)  # slow on purpose: outside the transaction
    now = desk.clock.now()
    with desk.uow() as uow:
        user = _named(uow, username)
        uow.users.set_password(user.id, password_hash)
        ended = uow.sessions.end_all_of(user.id, now)
        _audit(uow, now, actor, user.id, "password_reset", after={"sessions_ended": ended})
        uow.commit()
    return AccountChange(replace(user, password_hash=password_hash), ended)


def deactivate_user(desk: Desk, username: str, *, actor: Actor) -> AccountChange:
    """An admin closes an account: no login, no session and no API token of it opens anything
    from this commit on. The account and its history stay (audit events name it)."""
    _require_user_manager(actor)
    if actor.label == username:
        raise RuleViolation.one("username", "you cannot deactivate your own account", "不能停用自己的账号")
    now = desk.clock.now()
    with desk.uow() as uow:
        user = _named(uow, username)
        uow.users.deactivate(user.id)
        ended = uow.sessions.end_all_of(user.id, now)
        _audit(
            uow,
            now,
            actor,
            user.id,
            "deactivated",
            before={"active": user.active},
            after={"active": False, "sessions_ended": ended},
        )
        uow.commit()
    return AccountChange(replace(user, active=False), ended)


def _audit(
    uow: UnitOfWork,
    at: datetime,
    actor: Actor,
    user_id: int,
    action: str,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
) -> None:
    uow.audit.record(AuditEvent(at, actor, "user", str(user_id), action, before=before, after=after))


def _require_user_manager(actor: Actor) -> None:
    if not actor.is_system:  # the CLI on the server acts as the system
        require(actor, Permission.MANAGE_USERS)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RuleViolation.one(
            "password", f"must be at least {MIN_PASSWORD} characters", f"密码至少 {MIN_PASSWORD} 位"
        )


def _named(uow: UnitOfWork, username: str) -> UserRecord:
    user = uow.users.by_username(username)
    if user is None:
        raise NotFound(f"no user {username}", f"用户 {username} 不存在")
    return user


def _check_zone(zone: str | None) -> None:
    if zone is not None and not is_known_zone(zone):
        raise RuleViolation.one(
            "timezone", f"unknown time zone {zone!r}: use e.g. Asia/Shanghai", f"未知时区 {zone}，例如 Asia/Shanghai"
        )


def create_token(desk: Desk, username: str, *, actor: Actor, name: str = "cli") -> str:
    """A bearer token for the API; only its digest is stored, so it is shown this once."""
    if not actor.is_system and actor.label != username:
        require(actor, Permission.MANAGE_USERS)
    now = desk.clock.now()
    token = desk.secrets.new_token(TOKEN_PREFIX)
    with desk.uow() as uow:
        user = _named(uow, username)
        token_id = uow.users.add_token(user.id, name, desk.secrets.digest(token), now)
        uow.audit.record(AuditEvent(now, actor, "api_token", str(token_id), "created", after={"user": username}))
        uow.commit()
    return token


def list_users(desk: Desk, *, actor: Actor) -> list[UserRecord]:
    """Every user as stored now (the admin pages: what they change must show as it is)."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.users.all()


def directory(desk: Desk, *, actor: Actor) -> list[UserRecord]:
    """Every user, for the pages' pickers and names: kept with the queue tabs' counts (a commit
    that writes users clears it; another process's change shows within their time to live)."""
    require(actor, Permission.VIEW)

    def read() -> list[UserRecord]:
        with desk.uow() as uow:
            return uow.users.all()

    return desk.queue_counts.get(KEPT_USERS, read)

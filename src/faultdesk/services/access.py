"""Authentication and role checks, shared by every entry point."""

from __future__ import annotations

from faultdesk.domain.errors import NotAuthenticated, NotFound, NotPermitted, StaleVersion, Throttled
from faultdesk.domain.roles import PERMISSION_WORDS, ROLE_WORDS, Permission, may
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, FaultView, UserRecord

TOKEN_PREFIX = "fdt_"


def require(actor: Actor, permission: Permission) -> None:
    if actor.role is None or not may(actor.role, permission):
        zh, en = ROLE_WORDS[actor.role] if actor.role else ("公众用户", "the public")
        what_zh, what_en = PERMISSION_WORDS[permission]
        raise NotPermitted(f"a {en} may not {what_en}", f"{zh}无权{what_zh}", permission=permission.value)


def fault_by_number(uow: UnitOfWork, number: str, *, if_match: int | None = None) -> FaultView:
    """The fault by its number (``NotFound``), at the version the caller saw when it names one
    (``If-Match``: ``StaleVersion`` when someone changed it since)."""
    view = uow.faults.by_number(number)
    if view is None:
        raise NotFound(f"no fault {number}", f"故障单 {number} 不存在")
    check_version(view, if_match)
    return view


def check_version(view: FaultView, if_match: int | None) -> None:
    if if_match is not None and if_match != view.version:
        raise StaleVersion(
            f"fault {view.number} is at version {view.version}, not {if_match}: reload and retry",
            f"故障单 {view.number} 已被修改（当前版本 {view.version}），请刷新后重试",
            version=view.version,
        )


def actor_of(user: UserRecord) -> Actor:
    return Actor(user.id, user.username, user.role, user.language)


def authenticate_password(desk: Desk, username: str, password: str) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_username(username)
    if user is None:
        desk.passwords.hash(password)  # spend the same time, so timing does not reveal who exists
        raise NotAuthenticated("wrong username or password", "用户名或密码错误")
    if not desk.passwords.verify(user.password_hash, password) or not user.active:
        raise NotAuthenticated("wrong username or password", "用户名或密码错误")
    return actor_of(user)


def authenticate_token(desk: Desk, token: str) -> Actor:
    if not token.startswith(TOKEN_PREFIX):
        raise NotAuthenticated("malformed bearer token", "令牌格式错误")
    with desk.uow() as uow:
        user = uow.users.by_token_hash(desk.secrets.digest(token))
    if user is None or not user.active:
        raise NotAuthenticated("unknown or revoked token", "令牌无效或已吊销")
    return actor_of(user)


def log_in(desk: Desk, username: str, password: str, *, client: str) -> tuple[Actor, str]:
    """The password checked, a new web session: the caller and the token its cookie carries.

    Failed logins are limited per account and per client address (issue 10.6), unknown names
    alike; past a limit every login waits, the right password too, or guessing would go on.
    The account's attempt is counted before the (slow) check, so guesses sent side by side cannot
    all slip under its limit; a success forgets the account's failures, never the address's —
    those may be someone else's on the same network."""
    limits, counters = desk.login_limits, desk.rate_counters
    account, address = f"login-account/{username[:64]}", f"login-address/{client}"
    wait = counters.wait(limits.per_address, address) or counters.hit(limits.per_account, account)
    if wait:
        raise _too_many_logins(wait)
    try:
        actor = authenticate_password(desk, username, password)
    except NotAuthenticated:
        counters.hit(limits.per_address, address)
        raise
    counters.clear(limits.per_account, account)
    return actor, open_session(desk, actor)


def _too_many_logins(wait_s: float) -> Throttled:
    seconds = int(wait_s) + 1
    minutes = -(-seconds // 60)
    en, zh = (f"{minutes} min", f"{minutes} 分钟") if seconds > 90 else (f"{seconds} s", f"{seconds} 秒")
    return Throttled(f"too many failed logins: try again in {en}", f"登录失败次数过多，请 {zh}后再试", wait_s=wait_s)


def open_session(desk: Desk, actor: Actor) -> str:
    assert actor.id is not None, "only staff users have sessions"
    token = desk.secrets.new_token()
    session = desk.sessions.start(desk.secrets.digest(token), actor.id, desk.clock.now())
    with desk.uow() as uow:
        uow.sessions.add(session)
        uow.commit()
    return token


def session_actor(desk: Desk, token: str) -> Actor:
    """The user whose live session this token opens: one read by primary key, and a write at most
    once a minute to move the idle timeout on."""
    now = desk.clock.now()
    with desk.uow() as uow:
        found = uow.sessions.with_user(desk.secrets.digest(token))
        if found is None:
            raise NotAuthenticated("session expired", "会话已失效")
        session, user = found
        if not user.active or not desk.sessions.is_live(session, now):
            raise NotAuthenticated("session expired", "会话已失效")
        if desk.sessions.needs_touch(session, now):
            uow.sessions.touch(session.id, now)
            uow.commit()
    return actor_of(user)


def end_session(desk: Desk, token: str) -> None:
    """Logout: this cookie opens nothing from now on, whoever holds a copy of it."""
    with desk.uow() as uow:
        uow.sessions.end(desk.secrets.digest(token), desk.clock.now())
        uow.commit()


def forget_expired_sessions(desk: Desk) -> int:
    """Rows past their absolute cap open nothing and say little: drop them (worker job)."""
    with desk.uow() as uow:
        removed = uow.sessions.forget_expired_before(desk.clock.now())
        uow.commit()
    return removed

"""Authentication and role checks, shared by every entry point."""

from __future__ import annotations

from faultdesk.domain.errors import NotAuthenticated, NotPermitted
from faultdesk.domain.roles import Permission, may
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor, UserRecord

TOKEN_PREFIX = "fdt_"


def require(actor: Actor, permission: Permission) -> None:
    if actor.role is None or not may(actor.role, permission):
        raise NotPermitted(
            f"role {actor.role or actor.label!s} may not {permission.value}",
            f"角色 {actor.role or actor.label!s} 无权执行 {permission.value}",
        )


def actor_of(user: UserRecord) -> Actor:
    return Actor(user.id, user.username, user.role)


def authenticate_password(desk: Desk, username: str, password: str) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_username(username)
    # Verify against a real hash even for unknown users so timing does not reveal who exists.
    ok = desk.passwords.verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
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


def session_actor(desk: Desk, user_id: int) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_id(user_id)
    if user is None or not user.active:
        raise NotAuthenticated("session expired", "会话已失效")
    return actor_of(user)


# argon2id hash of a random string nobody knows; only used to spend equal time.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$0S8mCW1H8b8oPbq2qCNvvVb4kJ3J8gq0wq6u2xVG7vE"

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


def session_actor(desk: Desk, user_id: int) -> Actor:
    with desk.uow() as uow:
        user = uow.users.by_id(user_id)
    if user is None or not user.active:
        raise NotAuthenticated("session expired", "会话已失效")
    return actor_of(user)

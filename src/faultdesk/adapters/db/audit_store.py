"""The append-only audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.roles import Role
from faultdesk.services.records import (
    Actor,
    AuditEvent,
)

_INSERT_AUDIT = insert(t.audit_events)


def audit_values(event: AuditEvent) -> dict[str, Any]:
    """An audit event as the row's columns (the report store writes a report's first one too)."""
    return {
        "at": event.at,
        "actor_id": event.actor.id,
        "actor_label": event.actor.label,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "action": event.action,
        "fault_id": event.fault_id,
        "before": event.before,
        "after": event.after,
    }


class SqlAudit:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, event: AuditEvent) -> None:
        self.conn.execute(_INSERT_AUDIT, audit_values(event))

    def timeline(self, fault_id: int) -> list[AuditEvent]:
        return self._events(t.audit_events.c.fault_id == fault_id)

    def about(self, entity: str, entity_id: str) -> list[AuditEvent]:
        a = t.audit_events.c
        return self._events((a.entity == entity) & (a.entity_id == entity_id))  # ix_audit_events_entity

    def _events(self, where: ColumnElement[bool]) -> list[AuditEvent]:
        a, u = t.audit_events, t.users
        rows = self.conn.execute(
            select(a, u.c.role.label("actor_role")).outerjoin(u, u.c.id == a.c.actor_id).where(where).order_by(a.c.id)
        )
        return [
            AuditEvent(
                at=r.at,
                actor=Actor(r.actor_id, r.actor_label, Role(r.actor_role) if r.actor_role else None),
                entity=r.entity,
                entity_id=r.entity_id,
                action=r.action,
                before=r.before,
                after=r.after,
                fault_id=r.fault_id,
                id=r.id,
            )
            for r in rows
        ]

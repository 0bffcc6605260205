"""the queues: who works on each fault as rows (fault_owners), faults by state and severity and
by registrar, the clocks by state and due time with their fault (read from the index alone)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _people(owners: Any, team: Any) -> set[int]:
    """The user ids a faults row names as owners or P0 team (JSON text on SQLite, values on PostgreSQL)."""
    owners = json.loads(owners) if isinstance(owners, str) else owners
    team = json.loads(team) if isinstance(team, str) else team
    ids = {int(v) for v in (owners or {}).values() if v is not None}
    if team:
        if team.get("lead") is not None:
            ids.add(int(team["lead"]))
        ids.update(int(m) for m in team.get("members") or [])
    return ids


def upgrade() -> None:
    op.create_table(
        "fault_owners",
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_fault_owners_user_id_users"), nullable=False
        ),
        sa.Column(
            "fault_id", sa.Integer(), sa.ForeignKey("faults.id", name="fk_fault_owners_fault_id_faults"), nullable=False
        ),
        sa.PrimaryKeyConstraint("user_id", "fault_id", name="pk_fault_owners"),
    )
    op.create_index("ix_fault_owners_fault_id", "fault_owners", ["fault_id"])
    op.create_index("ix_faults_status_severity", "faults", ["status", "severity"])
    op.create_index("ix_faults_registered_by", "faults", ["registered_by"])
    op.create_index("ix_clocks_state_due_at_fault_id", "clocks", ["state", "due_at", "fault_id", "kind"])
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, owners, team FROM faults WHERE owners IS NOT NULL OR team IS NOT NULL"))
    pairs = [{"user_id": u, "fault_id": fault_id} for fault_id, owners, team in rows for u in _people(owners, team)]
    if pairs:
        conn.execute(sa.text("INSERT INTO fault_owners (user_id, fault_id) VALUES (:user_id, :fault_id)"), pairs)


def downgrade() -> None:
    op.drop_index("ix_clocks_state_due_at_fault_id", table_name="clocks")
    op.drop_index("ix_faults_registered_by", table_name="faults")
    op.drop_index("ix_faults_status_severity", table_name="faults")
    op.drop_index("ix_fault_owners_fault_id", table_name="fault_owners")
    op.drop_table("fault_owners")

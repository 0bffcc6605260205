"""public known issues, deflection counts and the P2 fix-version promise (issue 12 items 2 and 5)

A fault can carry a public title and status written for end users (NULL: internal only); a P2
resolved as "ships in version X" waits for X's release (``waiting_release``); the report form's
suggestions shown and followed are counted with their time (``deflection_events``).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from faultdesk.adapters.db.types import UtcDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("faults") as batch:
        batch.add_column(sa.Column("public_title", sa.String(200), nullable=True))
        batch.add_column(sa.Column("public_status", sa.String(1000), nullable=True))
        batch.add_column(sa.Column("waiting_release", sa.String(60), nullable=True))
    op.create_index("ix_faults_waiting_release", "faults", ["waiting_release"])
    op.create_table(
        "deflection_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("fault_id", sa.Integer(), sa.ForeignKey("faults.id"), nullable=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("kb_articles.id"), nullable=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_deflection_events_kind_at", "deflection_events", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_deflection_events_kind_at", table_name="deflection_events")
    op.drop_table("deflection_events")
    op.drop_index("ix_faults_waiting_release", table_name="faults")
    with op.batch_alter_table("faults") as batch:
        batch.drop_column("waiting_release")
        batch.drop_column("public_status")
        batch.drop_column("public_title")

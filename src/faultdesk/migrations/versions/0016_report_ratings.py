"""the reporter's satisfaction (满意度 1–5) and comment (用户反馈), once per report

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from faultdesk.adapters.db.types import UtcDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_ratings",
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("satisfaction", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("satisfaction BETWEEN 1 AND 5", name="ck_report_ratings_satisfaction"),
    )


def downgrade() -> None:
    op.drop_table("report_ratings")

"""the reporters' attachments (screenshots, screen recordings): files under FAULTDESK_HOME, rows here

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from faultdesk.adapters.db.types import UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("storage_key", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("added_at", UtcDateTime(), nullable=False),
        sa.Column("later", sa.Boolean(), nullable=False),
        sa.Column("thumb_key", sa.String(64), nullable=True),
        sa.UniqueConstraint("storage_key", name="uq_report_attachments_storage_key"),
    )
    op.create_index("ix_report_attachments_report_id", "report_attachments", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_report_attachments_report_id", table_name="report_attachments")
    op.drop_table("report_attachments")

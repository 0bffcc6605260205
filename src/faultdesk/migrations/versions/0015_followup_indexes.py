"""indexes for the console's follow-up lists: overdue improvement actions, releases newest first

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 02:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_improvement_actions_status_due", "improvement_actions", ["status", "due"])
    op.create_index("ix_releases_released_on_id", "releases", ["released_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_releases_released_on_id", table_name="releases")
    op.drop_index("ix_improvement_actions_status_due", table_name="improvement_actions")

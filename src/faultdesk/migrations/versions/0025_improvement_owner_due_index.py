"""one owner's improvement actions are read in due order from an index

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 18:00:00

The console's improvements page opens on "mine": one owner's actions by due day, 50 a page. With
only an index on owner_id, PostgreSQL scanned the whole table and sorted (16 ms at 150,000
actions, bench/pages.py); (owner_id, due, id) gives the page in order and replaces the old index.
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_improvement_actions_owner_id_due", "improvement_actions", ["owner_id", "due", "id"])
    op.drop_index("ix_improvement_actions_owner_id", table_name="improvement_actions")


def downgrade() -> None:
    op.create_index("ix_improvement_actions_owner_id", "improvement_actions", ["owner_id"])
    op.drop_index("ix_improvement_actions_owner_id_due", table_name="improvement_actions")

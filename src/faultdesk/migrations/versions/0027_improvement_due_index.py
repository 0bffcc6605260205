"""every improvement action is read in due order from an index

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 16:40:00

The improvements page's "all" tab lists every action by due day, 50 a page. The only indexes led
with status or owner, so both stores read the whole table and sorted it: 250 ms on SQLite at
150,000 actions (bench corpus), past the console's 150 ms. (due, id) gives the page in order.
"""

from __future__ import annotations

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_improvement_actions_due", "improvement_actions", ["due", "id"])


def downgrade() -> None:
    op.drop_index("ix_improvement_actions_due", table_name="improvement_actions")

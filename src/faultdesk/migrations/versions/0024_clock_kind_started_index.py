"""the metrics read the clocks of a kind started in a period from an index

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 13:40:00

The metrics (issue 13) take their durations, compliance and breaches from the clocks started in
the period, by kind: without this index each of them scanned the whole clocks table (2,000,000
rows at 1,000,000 faults) even for one month. ``met_at`` is in it so that the durations (a
clock's start to when it was met) are read from the index alone, in the order of its kinds.
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_clocks_kind_started_at", "clocks", ["kind", "started_at", "met_at"])


def downgrade() -> None:
    op.drop_index("ix_clocks_kind_started_at", table_name="clocks")

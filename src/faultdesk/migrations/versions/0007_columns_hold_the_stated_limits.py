"""columns hold what the API accepts: a masked 254-character e-mail, a 100-character reporter
id as its key, a 5000-character grading reason, a release's product/version as an audit id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (table, column, old type, new type)
WIDENED = [
    ("reports", "contact_masked", sa.String(length=120), sa.String(length=260)),
    ("reports", "reporter_key", sa.String(length=80), sa.String(length=120)),
    ("severity_changes", "reason", sa.String(length=500), sa.Text()),
    ("audit_events", "entity_id", sa.String(length=40), sa.String(length=120)),
]


def _alter(to_new: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, old, new in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=old if to_new else new, type_=new if to_new else old)
    if sqlite:  # SQLite's batch mode rebuilt audit_events, and its triggers went with the old table
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{verb.lower()}")
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
            )


def upgrade() -> None:
    _alter(to_new=True)


def downgrade() -> None:
    _alter(to_new=False)

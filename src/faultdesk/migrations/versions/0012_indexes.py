"""indexes for the console's lists at 100,000 faults and 300,000 reports

Every sort a listing offers (ties by id) reads its page from an index instead of sorting the whole
table, and the known-issue index's catch-up before each search finds the faults changed since the
last one by ``updated_at`` instead of reading them all. The single-column indexes on
``registered_at``, ``severity`` and ``received_at`` are replaced by the same column with the id.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

REPLACED = (
    ("faults", "ix_faults_registered_at", ["registered_at"], "ix_faults_registered_at_id"),
    ("faults", "ix_faults_severity", ["severity"], "ix_faults_severity_id"),
    ("reports", "ix_reports_received_at", ["received_at"], "ix_reports_received_at_id"),
)
ADDED = (
    ("faults", "ix_faults_updated_at_id", ["updated_at", "id"]),
    ("faults", "ix_faults_affected_users_id", ["affected_users", "id"]),
    ("reports", "ix_reports_occurred_at_id", ["occurred_at", "id"]),
)


def upgrade() -> None:
    for table, old, columns, new in REPLACED:
        op.create_index(new, table, [*columns, "id"])
        op.drop_index(old, table_name=table)
    for table, name, columns in ADDED:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for table, name, _ in reversed(ADDED):
        op.drop_index(name, table_name=table)
    for table, old, columns, new in reversed(REPLACED):
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)

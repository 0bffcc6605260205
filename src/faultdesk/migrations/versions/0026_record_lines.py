"""the record table kept as the faults go: a line a fault, and a log of the writes that change it

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 14:20:00

Rendering a fault's row of the record table costs about 60 µs (its first report, counts, clocks,
stage records and words); a million-row export spent more time on that than on writing the file.
The row is now kept as a CSV line (``record_lines``) and rendered again only after something it
reads from changed. Triggers on every table the row reads from log the fault in
``record_changes`` in the writing transaction itself, whichever code path writes: no use case can
forget to, and a change made while a line was being rendered stays logged (the renderer deletes
only the changes its snapshot saw), so a stale line is never taken for a current one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# Each table a row reads from: the events that change it, and the faults a written row (NEW or
# OLD, as ``{row}``) changes the line of. A staff name shows in the owners and improvement
# columns; a fault type's name in the type column.
WATCHED: dict[str, tuple[tuple[str, ...], str]] = {
    "faults": (("INSERT", "UPDATE"), "SELECT {row}.id"),
    "reports": (("INSERT", "UPDATE", "DELETE"), "SELECT {row}.fault_id WHERE {row}.fault_id IS NOT NULL"),
    "clocks": (("INSERT", "UPDATE", "DELETE"), "SELECT {row}.fault_id WHERE {row}.fault_id IS NOT NULL"),
    "stage_records": (("INSERT", "UPDATE", "DELETE"), "SELECT {row}.fault_id WHERE {row}.fault_id IS NOT NULL"),
    "improvement_actions": (
        ("INSERT", "UPDATE", "DELETE"),
        "SELECT {row}.fault_id WHERE {row}.fault_id IS NOT NULL",
    ),
    "report_ratings": (
        ("INSERT", "UPDATE", "DELETE"),
        "SELECT fault_id FROM reports WHERE id = {row}.report_id AND fault_id IS NOT NULL",
    ),
    "audit_events": (  # only an import's event carries the older table's words
        ("INSERT",),
        "SELECT {row}.fault_id WHERE {row}.fault_id IS NOT NULL AND {row}.entity = 'fault'"
        " AND {row}.action = 'imported'",
    ),
    "users": (
        ("UPDATE",),
        "SELECT fault_id FROM fault_owners WHERE user_id = {row}.id AND {row}.username <> OLD.username"
        " UNION SELECT fault_id FROM improvement_actions WHERE owner_id = {row}.id AND fault_id IS NOT NULL"
        " AND {row}.username <> OLD.username",
    ),
    "fault_types": (
        ("UPDATE",),
        "SELECT id FROM faults WHERE type_code = {row}.code"
        " AND ({row}.label_zh <> OLD.label_zh OR {row}.label_en <> OLD.label_en)",
    ),
}
ONLY_NEW = {"users", "fault_types"}  # a renaming: the faults that show the new name


def _rows_of(table: str, event: str) -> list[str]:
    if table in ONLY_NEW or event == "INSERT":
        return ["NEW"]
    return ["OLD"] if event == "DELETE" else ["NEW", "OLD"]


def _sqlite_triggers() -> list[str]:
    out = []
    for table, (events, faults) in WATCHED.items():
        for event in events:
            select = " UNION ".join(faults.format(row=row) for row in _rows_of(table, event))
            out.append(
                f"CREATE TRIGGER record_change_{table}_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN INSERT INTO record_changes (fault_id) {select}; END"
            )
    return out


def _postgresql_triggers() -> list[str]:
    out = []
    for table, (events, faults) in WATCHED.items():
        # NEW is NULL in a DELETE trigger and OLD in an INSERT one: branch on TG_OP before touching them.
        branches = [
            f"IF TG_OP <> 'DELETE' THEN INSERT INTO record_changes (fault_id) {faults.format(row='NEW')}; END IF;"
        ]
        if table not in ONLY_NEW:
            branches.append(
                f"IF TG_OP <> 'INSERT' THEN INSERT INTO record_changes (fault_id) {faults.format(row='OLD')}; END IF;"
            )
        body = f"BEGIN {' '.join(branches)} RETURN NULL; END"
        out.append(f"CREATE FUNCTION record_change_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ {body} $$")
        out.append(
            f"CREATE TRIGGER record_change_{table} AFTER {' OR '.join(events)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION record_change_{table}()"
        )
    return out


def upgrade() -> None:
    op.create_table(
        "record_lines",
        sa.Column("fault_id", sa.Integer, sa.ForeignKey("faults.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
    )
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fault_id", sa.Integer, nullable=False),
    )
    op.create_index("ix_record_changes_fault_id", "record_changes", ["fault_id"])
    op.create_table(
        "record_line_words",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("words_key", sa.String(64), nullable=False),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _sqlite_triggers() if sqlite else _postgresql_triggers():
        op.execute(statement)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, (events, _faults) in WATCHED.items():
        if sqlite:
            for event in events:
                op.execute(f"DROP TRIGGER IF EXISTS record_change_{table}_{event.lower()}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS record_change_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS record_change_{table}()")
    op.drop_table("record_line_words")
    op.drop_index("ix_record_changes_fault_id", table_name="record_changes")
    op.drop_table("record_changes")
    op.drop_table("record_lines")

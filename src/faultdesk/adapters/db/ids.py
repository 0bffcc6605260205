"""``WHERE id IN (…)`` for a batch of ids, written the cheap way for each store."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement


def among(conn: Connection, column: ColumnElement[int], ids: Sequence[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``.

    PostgreSQL gets one array parameter (``= ANY(%s)``): an expanded ``IN`` of 500 placeholders is
    rendered by SQLAlchemy and parsed again by psycopg on every call (its statement cache skips
    long texts), which cost a worker tick several milliseconds. SQLite has no arrays; its
    expanded ``IN`` stays in-process and cheap.
    """
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)

"""Pieces of SQL that several stores share: the sort order (its spelling is read in
services/records.py, as the in-memory twins read it)."""

from __future__ import annotations

from typing import Any

from faultdesk.services.records import sort_order

# The execution option naming the tables a SELECT's data-modifying WITH writes (uow.py watches
# writes to the tables the queue tabs count; an INSERT says its table itself).
WRITES = "faultdesk_writes"


def order_by_sort(sort: str, columns: dict[str, Any], tiebreak: Any) -> list[Any]:
    name, desc = sort_order(sort)
    col = columns[name]
    return [col.desc() if desc else col.asc(), tiebreak.desc() if desc else tiebreak.asc()]

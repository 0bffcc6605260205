"""Pieces of SQL that several stores share: paging and sort order."""

from __future__ import annotations

from typing import Any


def page_bounds(page: int, page_size: int) -> tuple[int, int]:
    return (page - 1) * page_size, page_size


def order_by_sort(sort: str, columns: dict[str, Any], tiebreak: Any) -> list[Any]:
    desc = sort.startswith("-")
    col = columns[sort.lstrip("-")]
    return [col.desc() if desc else col.asc(), tiebreak.desc() if desc else tiebreak.asc()]

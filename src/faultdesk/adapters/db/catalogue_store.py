"""The catalogue: fault types, products and their functions."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from faultdesk.adapters.db import tables as t
from faultdesk.domain.faults import Criticality, FaultType
from faultdesk.services.records import (
    ProductFunctionRecord,
    ProductListing,
)


class SqlCatalogue:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def fault_type(self, code: str) -> FaultType | None:
        row = self.conn.execute(select(t.fault_types).where(t.fault_types.c.code == code)).first()
        return FaultType(row.code, row.label_zh, row.label_en, row.active) if row else None

    def fault_types(self) -> list[FaultType]:
        rows = self.conn.execute(select(t.fault_types).order_by(t.fault_types.c.code))
        return [FaultType(r.code, r.label_zh, r.label_en, r.active) for r in rows]

    def add_fault_type(self, fault_type: FaultType) -> None:
        self.conn.execute(
            insert(t.fault_types).values(
                code=fault_type.code,
                label_zh=fault_type.label_zh,
                label_en=fault_type.label_en,
                active=fault_type.active,
            )
        )

    def product_id(self, code: str) -> int | None:
        value = self.conn.execute(select(t.products.c.id).where(t.products.c.code == code)).scalar()
        return int(value) if value is not None else None

    def add_product(self, code: str, name: str) -> int:
        result = self.conn.execute(insert(t.products).values(code=code, name=name))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def function(self, product_code: str, function_code: str) -> ProductFunctionRecord | None:
        f, p = t.product_functions, t.products
        row = self.conn.execute(
            select(f, p.c.code.label("product_code"))
            .join(p, p.c.id == f.c.product_id)
            .where(p.c.code == product_code, f.c.code == function_code)
        ).first()
        if row is None:
            return None
        return ProductFunctionRecord(
            row.id, row.product_id, row.product_code, row.code, row.name, Criticality(row.criticality)
        )

    def add_function(self, product_id: int, code: str, name: str, criticality: str) -> int:
        stmt = insert(t.product_functions).values(product_id=product_id, code=code, name=name, criticality=criticality)
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def products(self) -> list[ProductListing]:
        """Every product with its functions, by code (a catalogue is tens of rows: one query)."""
        f, p = t.product_functions, t.products
        rows = self.conn.execute(
            select(p.c.id.label("pid"), p.c.code.label("pcode"), p.c.name.label("pname"), f)
            .outerjoin(f, f.c.product_id == p.c.id)
            .order_by(p.c.code, f.c.code)
        )
        listed: dict[str, tuple[str, list[ProductFunctionRecord]]] = {}
        for row in rows:
            _, functions = listed.setdefault(row.pcode, (row.pname, []))
            if row.id is not None:
                functions.append(
                    ProductFunctionRecord(row.id, row.pid, row.pcode, row.code, row.name, Criticality(row.criticality))
                )
        return [ProductListing(code, name, tuple(fns)) for code, (name, fns) in listed.items()]

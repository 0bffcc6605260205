"""The catalogue: fault types, products and their functions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select, update

from faultdesk.adapters.db import tables as t
from faultdesk.domain.faults import Criticality, FaultType
from faultdesk.services.records import ProductFunctionRecord, ProductRecord


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

    def add_function(self, product_id: int, code: str, name: str, criticality: Criticality) -> int:
        stmt = insert(t.product_functions).values(
            product_id=product_id, code=code, name=name, criticality=criticality.value
        )
        return int(self.conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def update_fault_type(self, fault_type: FaultType) -> None:
        self.conn.execute(
            update(t.fault_types)
            .where(t.fault_types.c.code == fault_type.code)
            .values(label_zh=fault_type.label_zh, label_en=fault_type.label_en, active=fault_type.active)
        )

    def products(self, limit: int) -> list[ProductRecord]:
        """The catalogue is small (a company's products), read in two queries whatever its size."""
        p = t.products
        rows = list(self.conn.execute(select(p).order_by(p.c.code).limit(limit)))
        return self._with_functions(rows)

    def product(self, product_id: int) -> ProductRecord | None:
        p = t.products
        rows = list(self.conn.execute(select(p).where(p.c.id == product_id)))
        found = self._with_functions(rows)
        return found[0] if found else None

    def _with_functions(self, rows: list[Any]) -> list[ProductRecord]:
        if not rows:
            return []
        f = t.product_functions
        by_product: dict[int, list[ProductFunctionRecord]] = {r.id: [] for r in rows}
        codes = {r.id: r.code for r in rows}
        stmt = select(f).where(f.c.product_id.in_(list(by_product))).order_by(f.c.code)
        for fn in self.conn.execute(stmt):
            by_product[fn.product_id].append(
                ProductFunctionRecord(
                    fn.id, fn.product_id, codes[fn.product_id], fn.code, fn.name, Criticality(fn.criticality)
                )
            )
        return [ProductRecord(r.id, r.code, r.name, tuple(by_product[r.id])) for r in rows]

    def set_product_name(self, product_id: int, name: str) -> None:
        self.conn.execute(update(t.products).where(t.products.c.id == product_id).values(name=name))

    def function_by_id(self, function_id: int) -> ProductFunctionRecord | None:
        f, p = t.product_functions, t.products
        row = self.conn.execute(
            select(f, p.c.code.label("product_code")).join(p, p.c.id == f.c.product_id).where(f.c.id == function_id)
        ).first()
        if row is None:
            return None
        return ProductFunctionRecord(
            row.id, row.product_id, row.product_code, row.code, row.name, Criticality(row.criticality)
        )

    def update_function(self, function_id: int, name: str, criticality: Criticality) -> None:
        self.conn.execute(
            update(t.product_functions)
            .where(t.product_functions.c.id == function_id)
            .values(name=name, criticality=criticality.value)
        )

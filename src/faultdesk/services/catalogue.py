"""Fault types, products and their functions (with criticality, for severity rules)."""

from __future__ import annotations

from faultdesk.domain.errors import Conflict, RuleViolation
from faultdesk.domain.faults import DEFAULT_FAULT_TYPES, Criticality, FaultType
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import Desk
from faultdesk.services.records import Actor, AuditEvent, ProductListing


def ensure_default_fault_types(desk: Desk) -> int:
    """Seed DESIGN §1's types into an empty catalogue; leaves an admin's edits alone."""
    with desk.uow() as uow:
        known = {t.code for t in uow.catalogue.fault_types()}
        added = [t for t in DEFAULT_FAULT_TYPES if t.code not in known]
        for fault_type in added:
            uow.catalogue.add_fault_type(fault_type)
        uow.commit()
    return len(added)


def list_fault_types(desk: Desk) -> list[FaultType]:
    with desk.uow() as uow:
        return uow.catalogue.fault_types()


def list_products(desk: Desk, *, actor: Actor) -> list[ProductListing]:
    """The products and their functions, for a form's pickers."""
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return uow.catalogue.products()


def add_product(
    desk: Desk, code: str, name: str, functions: list[tuple[str, str, Criticality]], *, actor: Actor
) -> int:
    if not actor.is_system:
        require(actor, Permission.MANAGE_CATALOGUE)
    if not code.strip():
        raise RuleViolation.one("code", "is empty", "不能为空")
    now = desk.clock.now()
    with desk.uow() as uow:
        if uow.catalogue.product_id(code) is not None:
            raise Conflict(f"product {code} exists", f"产品 {code} 已存在")
        product_id = uow.catalogue.add_product(code, name)
        for fn_code, fn_name, criticality in functions:
            uow.catalogue.add_function(product_id, fn_code, fn_name, criticality.value)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "product",
                code,
                "created",
                after={"name": name, "functions": [[c, n, k.value] for c, n, k in functions]},
            )
        )
        uow.commit()
    return product_id

"""Fault types, products and their functions (with criticality, for severity rules).

A function's criticality feeds every later severity suggestion (a login outage on a core function
is P0), so products and functions are the administrator's to keep: the API, the CLI and the admin
pages all come through here, with the same checks and one audit event per change."""

from __future__ import annotations

import re
from dataclasses import replace

from faultdesk.domain.errors import Conflict, NotFound, RuleViolation
from faultdesk.domain.faults import DEFAULT_FAULT_TYPES, Criticality, FaultType
from faultdesk.domain.roles import Permission
from faultdesk.services.access import require
from faultdesk.services.desk import KEPT_PRODUCTS, Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, ProductFunctionRecord, ProductRecord

# Codes are what reports name (``"product": "app"``): short, no spaces, the same in any language.
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
TYPE_CODE = re.compile(r"^[0-9]{2}$")
NAME_MAX = 100
MAX_PRODUCTS = 500  # a company's catalogue; the pages and the API list them all up to this
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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


def _manager(actor: Actor) -> None:
    if not actor.is_system:  # the CLI on the server acts as the system
        require(actor, Permission.MANAGE_PRODUCTS)


def _code(field: str, code: str) -> str:
    code = code.strip()
    if not CODE.match(code):
        raise RuleViolation.one(
            field,
            "1-40 letters, digits, '_', '.' or '-', starting with a letter or digit",
            "须为 1-40 位字母、数字、_ . -，以字母或数字开头",
        )
    return code


def _name(field: str, name: str, limit: int = NAME_MAX) -> str:
    name = name.strip()
    if not name:
        raise RuleViolation.one(field, "is empty", "不能为空")
    if len(name) > limit:
        raise RuleViolation.one(field, f"at most {limit} characters", f"长度不能超过 {limit} 个字符")
    if _CONTROL.search(name):
        raise RuleViolation.one(field, "contains control characters", "含有控制字符")
    return name


def _criticality(value: Criticality | str) -> Criticality:
    try:
        return Criticality(value)
    except ValueError:
        raise RuleViolation.one("criticality", "is core, main or minor", "须为核心、主要或次要") from None


def list_products(desk: Desk, *, actor: Actor) -> list[ProductRecord]:
    """Every product with its functions (staff pick them when registering a report; pages name
    them). Kept with the queue tabs' counts, and cleared with them by a commit that writes products."""
    if not actor.is_system:
        require(actor, Permission.VIEW)

    def read() -> list[ProductRecord]:
        with desk.uow() as uow:
            return uow.catalogue.products(MAX_PRODUCTS)

    return desk.queue_counts.get(KEPT_PRODUCTS, read)


def names_of(products: list[ProductRecord]) -> dict[str, str]:
    """``shop`` -> 优选商城 App and ``shop/cart`` -> 购物车: reports and faults name catalogue codes,
    pages show the names (``_words.html`` ``product``)."""
    names = {p.code: p.name for p in products}
    names.update({f"{p.code}/{f.code}": f.name for p in products for f in p.functions})
    return names


def get_product(desk: Desk, product_id: int, *, actor: Actor) -> ProductRecord:
    require(actor, Permission.VIEW)
    with desk.uow() as uow:
        return _product(uow, product_id)


def _product(uow: UnitOfWork, product_id: int) -> ProductRecord:
    found = uow.catalogue.product(product_id)
    if found is None:
        raise NotFound(f"no product {product_id}", f"产品 {product_id} 不存在")
    return found


def add_product(
    desk: Desk, code: str, name: str, functions: list[tuple[str, str, Criticality]], *, actor: Actor
) -> int:
    _manager(actor)
    code, name = _code("code", code), _name("name", name)
    checked = [
        (_code(f"functions.{i}.code", c), _name(f"functions.{i}.name", n), _criticality(k))
        for i, (c, n, k) in enumerate(functions)
    ]
    if len({c for c, _, _ in checked}) < len(checked):
        raise RuleViolation.one("functions", "two functions have the same code", "功能编码重复")
    now = desk.clock.now()
    with desk.uow() as uow:
        if uow.catalogue.product_id(code) is not None:
            raise Conflict(f"product {code} exists", f"产品 {code} 已存在")
        product_id = uow.catalogue.add_product(code, name)
        for fn_code, fn_name, criticality in checked:
            uow.catalogue.add_function(product_id, fn_code, fn_name, criticality)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "product",
                code,
                "created",
                after={"name": name, "functions": [[c, n, k.value] for c, n, k in checked]},
            )
        )
        uow.commit()
    return product_id


def rename_product(desk: Desk, product_id: int, name: str | None, *, actor: Actor) -> ProductRecord:
    """A product's code is what reports name, so it stays; its name may change (None: unchanged)."""
    _manager(actor)
    checked = _name("name", name) if name is not None else None
    now = desk.clock.now()
    with desk.uow() as uow:
        product = _product(uow, product_id)
        name = checked or product.name
        if product.name != name:
            uow.catalogue.set_product_name(product_id, name)
            uow.audit.record(
                AuditEvent(
                    now, actor, "product", product.code, "renamed", before={"name": product.name}, after={"name": name}
                )
            )
        uow.commit()
    return replace(product, name=name)


def add_function(
    desk: Desk, product_id: int, code: str, name: str, criticality: Criticality | str, *, actor: Actor
) -> ProductFunctionRecord:
    _manager(actor)
    code, name, level = _code("code", code), _name("name", name), _criticality(criticality)
    now = desk.clock.now()
    with desk.uow() as uow:
        product = _product(uow, product_id)
        if any(f.code == code for f in product.functions):
            raise Conflict(f"function {code} of {product.code} exists", f"产品 {product.code} 已有功能 {code}")
        function_id = uow.catalogue.add_function(product_id, code, name, level)
        uow.audit.record(
            AuditEvent(
                now,
                actor,
                "product_function",
                f"{product.code}/{code}",
                "created",
                after={"name": name, "criticality": level.value},
            )
        )
        uow.commit()
    return ProductFunctionRecord(function_id, product_id, product.code, code, name, level)


def update_function(
    desk: Desk,
    product_id: int,
    function_id: int,
    *,
    name: str | None = None,
    criticality: Criticality | str | None = None,
    actor: Actor,
) -> ProductFunctionRecord:
    """Rename a function or change its criticality; faults already graded keep their grade (the
    next suggestion reads the new criticality)."""
    _manager(actor)
    new_name = _name("name", name) if name is not None else None
    level = _criticality(criticality) if criticality is not None else None
    now = desk.clock.now()
    with desk.uow() as uow:
        fn = uow.catalogue.function_by_id(function_id)
        if fn is None or fn.product_id != product_id:
            raise NotFound(
                f"no function {function_id} of product {product_id}", f"产品 {product_id} 没有功能 {function_id}"
            )
        updated = replace(fn, name=new_name or fn.name, criticality=level or fn.criticality)
        if updated != fn:
            uow.catalogue.update_function(function_id, updated.name, updated.criticality)
            uow.audit.record(
                AuditEvent(
                    now,
                    actor,
                    "product_function",
                    f"{fn.product_code}/{fn.code}",
                    "updated",
                    before={"name": fn.name, "criticality": fn.criticality.value},
                    after={"name": updated.name, "criticality": updated.criticality.value},
                )
            )
        uow.commit()
    return updated


def add_fault_type(desk: Desk, code: str, label_zh: str, label_en: str, *, actor: Actor) -> FaultType:
    """A new fault type: its two digits are the TT of every number registered with it."""
    _manager(actor)
    code = code.strip()
    if not TYPE_CODE.match(code):
        raise RuleViolation.one("code", "two digits, e.g. 07", "须为两位数字，例如 07")
    fault_type = FaultType(code, _name("label_zh", label_zh, 40), _name("label_en", label_en, 60))
    now = desk.clock.now()
    with desk.uow() as uow:
        if uow.catalogue.fault_type(code) is not None:
            raise Conflict(f"fault type {code} exists", f"故障类型 {code} 已存在")
        uow.catalogue.add_fault_type(fault_type)
        uow.audit.record(
            AuditEvent(
                now, actor, "fault_type", code, "created", after={"zh": fault_type.label_zh, "en": fault_type.label_en}
            )
        )
        uow.commit()
    return fault_type


def update_fault_type(desk: Desk, code: str, label_zh: str, label_en: str, active: bool, *, actor: Actor) -> FaultType:
    """Relabel a type, or retire it (faults keep it; new registrations cannot choose it)."""
    _manager(actor)
    updated = FaultType(code, _name("label_zh", label_zh, 40), _name("label_en", label_en, 60), active)
    now = desk.clock.now()
    with desk.uow() as uow:
        before = uow.catalogue.fault_type(code)
        if before is None:
            raise NotFound(f"no fault type {code}", f"故障类型 {code} 不存在")
        if before != updated:
            uow.catalogue.update_fault_type(updated)
            uow.audit.record(
                AuditEvent(
                    now,
                    actor,
                    "fault_type",
                    code,
                    "updated",
                    before={"zh": before.label_zh, "en": before.label_en, "active": before.active},
                    after={"zh": updated.label_zh, "en": updated.label_en, "active": updated.active},
                )
            )
        uow.commit()
    return updated

"""Products and their functions with criticality (administrators): the catalogue the severity
suggestion reads, so a login outage on a core function is suggested as P0."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel

from faultdesk.domain.faults import Criticality
from faultdesk.entrypoints.common.catalogue_bodies import FunctionIn, FunctionPatch, ProductIn, ProductPatch
from faultdesk.entrypoints.common.context import ActorDep, DeskDep
from faultdesk.entrypoints.common.fields import IdPath
from faultdesk.services import catalogue
from faultdesk.services.records import ProductFunctionRecord, ProductRecord

router = APIRouter(prefix="/api/v1/products", tags=["products"])


class FunctionOut(BaseModel):
    id: int
    code: str
    name: str
    criticality: Criticality

    @classmethod
    def of(cls, fn: ProductFunctionRecord) -> FunctionOut:
        return cls(id=fn.id, code=fn.code, name=fn.name, criticality=fn.criticality)


class ProductOut(BaseModel):
    id: int
    code: str
    name: str
    functions: list[FunctionOut]

    @classmethod
    def of(cls, p: ProductRecord) -> ProductOut:
        return cls(id=p.id, code=p.code, name=p.name, functions=[FunctionOut.of(f) for f in p.functions])


@router.get("", response_model=list[ProductOut])
def list_products(desk: DeskDep, actor: ActorDep) -> list[ProductOut]:
    """Every product with its functions and their criticality (any staff member may read them)."""
    return [ProductOut.of(p) for p in catalogue.list_products(desk, actor=actor)]


@router.post("", response_model=ProductOut, status_code=status.HTTP_201_CREATED)
def add_product(body: ProductIn, desk: DeskDep, actor: ActorDep) -> ProductOut:
    """Admin: a new product, with its functions if given; 409 when the code exists."""
    functions = [(f.code, f.name, f.criticality) for f in body.functions]
    product_id = catalogue.add_product(desk, body.code, body.name, functions, actor=actor)
    return ProductOut.of(catalogue.get_product(desk, product_id, actor=actor))


@router.patch("/{product_id}", response_model=ProductOut)
def update_product(product_id: IdPath, body: ProductPatch, desk: DeskDep, actor: ActorDep) -> ProductOut:
    """Admin: rename a product (its code stays: reports name it)."""
    return ProductOut.of(catalogue.rename_product(desk, product_id, body.name, actor=actor))


@router.post("/{product_id}/functions", response_model=FunctionOut, status_code=status.HTTP_201_CREATED)
def add_function(product_id: IdPath, body: FunctionIn, desk: DeskDep, actor: ActorDep) -> FunctionOut:
    """Admin: a new function of the product; 409 when the product has one of that code."""
    fn = catalogue.add_function(desk, product_id, body.code, body.name, body.criticality, actor=actor)
    return FunctionOut.of(fn)


@router.patch("/{product_id}/functions/{function_id}", response_model=FunctionOut)
def update_function(
    product_id: IdPath, function_id: IdPath, body: FunctionPatch, desk: DeskDep, actor: ActorDep
) -> FunctionOut:
    """Admin: rename a function or change its criticality (later suggestions read the new one)."""
    fn = catalogue.update_function(
        desk, product_id, function_id, name=body.name, criticality=body.criticality, actor=actor
    )
    return FunctionOut.of(fn)

"""The bodies of the catalogue's changes as every entry point takes them: the products API
(``/api/v1/products…``) and the admin pages validate against the same models."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from faultdesk.domain.faults import Criticality
from faultdesk.entrypoints.common.fields import Text100

# What reports name as ``product`` / ``function``: short, no spaces (services/catalogue.CODE).
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FunctionIn(Body):
    """A product function and how much it matters (核心 / 主要 / 次要)."""

    code: Code = Field(description="what reports name as `function`, e.g. login")
    name: Text100 = Field(description="e.g. 登录")
    criticality: Criticality = Field(description="core: payment, login; main; minor")


class ProductIn(Body):
    code: Code = Field(description="what reports name as `product`, e.g. shop")
    name: Text100 = Field(description="e.g. 优选商城 App")
    functions: list[FunctionIn] = Field(default_factory=list, max_length=200)


class ProductPatch(Body):
    """The code stays (reports name it); the name may change."""

    name: Text100 | None = None


class FunctionPatch(Body):
    name: Text100 | None = None
    criticality: Criticality | None = None

"""The records the matcher compares, as it sees them: kinds, weighted fields and exact facts.

A report, a fault, a knowledge-base article or a release note becomes one
:class:`MatchDocument`; :func:`report_document` and :func:`fault_document` build it from a
domain record or a stored read view (anything shaped like :class:`ReportFacts` /
:class:`FaultFacts`). :class:`MatchFacts` is the structured part that ranking compares exactly.
Analysis, scoring and the index all speak in these types, so they sit below all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from faultdesk.domain.faults import FaultStatus
from faultdesk.domain.lifecycle import OPEN_STATES
from faultdesk.domain.matching.text import normalise_code
from faultdesk.domain.reports import Channel


class DocumentKind(StrEnum):
    REPORT = "report"  # 反馈
    FAULT = "fault"  # 故障单, open or archived
    KB = "kb"  # 知识库文章
    RELEASE = "release"  # 版本更新日志


class MatchField(StrEnum):
    """The weighted text fields. Order matters: the index numbers fields by position."""

    TITLE = "title"  # title / symptom: what the reporter saw
    SCENARIO = "scenario"  # what they were doing
    BODY = "body"  # description, article text, release note
    LOG = "log"  # logs, stack traces and code pasted into the body (split off by the analyzer)
    DEVICE = "device"  # device model
    VERSION = "version"  # OS and app version
    PRODUCT = "product"  # product and function names


FIELDS: tuple[MatchField, ...] = tuple(MatchField)

DocumentKey = tuple[DocumentKind, str]


@dataclass(frozen=True)
class MatchDocument:
    """One record as the matcher sees it. ``id`` is unique within its ``kind``."""

    id: str
    kind: DocumentKind
    title: str
    scenario: str = ""
    body: str = ""
    device: str = ""
    os_version: str = ""
    app_version: str = ""
    product: str = ""
    function: str = ""
    type_code: str = ""
    channel: str = ""  # app / web / mini_program / hotline / offline
    created_at: datetime | None = None
    is_open: bool = False

    def __post_init__(self) -> None:
        # Time proximity subtracts instants; a naive datetime would silently be local time.
        if self.created_at is not None and self.created_at.tzinfo is None:
            raise ValueError("MatchDocument.created_at must be timezone-aware")

    @property
    def key(self) -> DocumentKey:
        return (self.kind, self.id)

    def field_texts(self) -> dict[MatchField, str]:
        return {
            MatchField.TITLE: self.title,
            MatchField.SCENARIO: self.scenario,
            MatchField.BODY: self.body,
            MatchField.DEVICE: self.device,
            MatchField.VERSION: f"{self.os_version} {self.app_version}".strip(),
            MatchField.PRODUCT: f"{self.product} {self.function}".strip(),
        }

    def facts(self) -> MatchFacts:
        return MatchFacts(
            created_at=self.created_at,
            is_open=self.is_open,
            product=normalise_code(self.product),
            function=normalise_code(self.function),
            type_code=normalise_code(self.type_code),
            app_version=normalise_code(self.app_version),
            channel=normalise_code(self.channel),
        )


class ReportFacts(Protocol):
    """What a report document is made of: a domain Report, or a stored report's read view."""

    @property
    def id(self) -> int | None: ...
    @property
    def symptom(self) -> str: ...
    @property
    def scenario(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def device_model(self) -> str | None: ...
    @property
    def os_version(self) -> str | None: ...
    @property
    def app_version(self) -> str | None: ...
    @property
    def product_code(self) -> str | None: ...
    @property
    def function_code(self) -> str | None: ...
    @property
    def channel(self) -> Channel: ...
    @property
    def received_at(self) -> datetime: ...


class FaultFacts(Protocol):
    """What a fault document is made of: a domain Fault, or a stored fault's read view."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def status(self) -> FaultStatus: ...
    @property
    def type_code(self) -> str: ...
    @property
    def product_code(self) -> str | None: ...
    @property
    def function_code(self) -> str | None: ...
    @property
    def registered_at(self) -> datetime: ...


def report_document(report: ReportFacts, *, is_open: bool = False) -> MatchDocument:
    """A report as the matcher sees it; ``is_open`` says whether its fault is still being worked on.

    A report not stored yet (no id) gets the id ``"new"``, which no stored report has.
    """
    return MatchDocument(
        id=str(report.id) if report.id is not None else "new",
        kind=DocumentKind.REPORT,
        title=report.symptom,
        scenario=report.scenario or "",
        body=report.description or "",
        device=report.device_model or "",
        os_version=report.os_version or "",
        app_version=report.app_version or "",
        product=report.product_code or "",
        function=report.function_code or "",
        channel=report.channel.value,
        created_at=report.received_at,
        is_open=is_open,
    )


def fault_document(fault: FaultFacts, *, body: str = "") -> MatchDocument:
    """A fault as the matcher sees it; ``body`` may carry its diagnosis or its reports' descriptions."""
    return MatchDocument(
        id=str(fault.id) if fault.id is not None else fault.number,
        kind=DocumentKind.FAULT,
        title=fault.title,
        body=body,
        product=fault.product_code or "",
        function=fault.function_code or "",
        type_code=fault.type_code,
        created_at=fault.registered_at,
        is_open=fault.status in OPEN_STATES,  # a closed fault cannot earn the open bonus
    )


@dataclass(frozen=True)
class MatchFacts:
    """The structured part of a record that ranking compares exactly (codes normalised)."""

    created_at: datetime | None = None
    is_open: bool = False
    product: str = ""
    function: str = ""
    type_code: str = ""
    app_version: str = ""
    channel: str = ""

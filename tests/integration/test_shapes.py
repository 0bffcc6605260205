"""One field list per shape: the reporter's fields are declared once in the domain and every
other shape follows it, so a new report field touches only the schema, the domain and the table."""

from __future__ import annotations

from dataclasses import fields

from faultdesk.adapters.db import tables as t
from faultdesk.domain.reports import DETAIL_FIELDS, ReportDraft
from faultdesk.entrypoints.api.schemas import FaultOut, ReportFields, ReportIn, ReportOut
from faultdesk.services.records import FaultView, ReportView


def test_every_report_shape_carries_the_domain_details():
    assert set(ReportFields.model_fields) == set(DETAIL_FIELDS)
    for shape in (ReportIn, ReportOut):
        assert set(DETAIL_FIELDS) <= set(shape.model_fields), shape
    for record in (ReportDraft, ReportView):
        assert set(DETAIL_FIELDS) <= {f.name for f in fields(record)}, record
    assert set(DETAIL_FIELDS) <= set(t.reports.c.keys())


def test_the_api_input_is_the_domain_draft_field_for_field():
    assert set(ReportIn.model_fields) == {f.name for f in fields(ReportDraft)}


def test_out_models_read_every_field_from_the_views():
    """Each Out field names a view attribute (directly or by its validation alias)."""
    for out, view in ((ReportOut, ReportView), (FaultOut, FaultView)):
        attributes = {f.name for f in fields(view)}
        for name, info in out.model_fields.items():
            source = info.validation_alias if isinstance(info.validation_alias, str) else name
            assert source in attributes, (out.__name__, name)


def test_every_viewed_report_column_exists():
    columns = set(t.reports.c.keys())
    stored = {f.name for f in fields(ReportView)} - {"product_code", "function_code", "fault_number"}
    assert stored <= columns

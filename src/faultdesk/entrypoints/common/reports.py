"""A reporter's submission as every entry point reads it: the API's JSON body and the public report
form validate through the same model and build the same ``ReportDraft``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from faultdesk.domain.reports import Channel, Network, ReportDraft
from faultdesk.entrypoints.common.fields import Moment, Text40, Text60, Text100, Text254, Text500, Text5000, in_zone


class ReportFields(BaseModel):
    """The reporter's own fields (the domain's ``ReportDetails``): written once for what comes in
    and what goes out."""

    symptom: Text500 = Field(description="故障现象, e.g. 页面卡顿 / 功能无法使用")
    scenario: Text500 | None = Field(None, description="具体场景")
    occurred_at: Moment | None = Field(None, description="故障发生时间")
    device_model: Text100 | None = None
    os_version: Text60 | None = None
    app_version: Text40 | None = None
    network: Network | None = None
    reporter_id: Text100 | None = None
    description: Text5000 | None = None


class ReportIn(ReportFields):
    """One end user's fault report (故障反馈). Times without a zone are read in the org's zone."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    received_at: Moment | None = Field(None, description="反馈时间; default: now")
    contact: Text254 | None = Field(None, description="mobile, landline or e-mail; stored encrypted")
    product: Text40 | None = None
    function: Text40 | None = None

    def draft(self, zone: str) -> ReportDraft:
        """The domain's intake input; times without a zone are read in ``zone``."""
        values = self.model_dump() | {
            "received_at": in_zone(self.received_at, zone),
            "occurred_at": in_zone(self.occurred_at, zone),
        }
        return ReportDraft(**values)


class RatingIn(BaseModel):
    """The reporter's 满意度 (1–5) and 用户反馈 after the fault is resolved (the tracking page)."""

    model_config = ConfigDict(extra="ignore")

    satisfaction: int = Field(ge=1, le=5)
    comment: Text5000 | None = None

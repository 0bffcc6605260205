"""Stage 1 intake: a reporter's submission becomes a stored report with a tracking token."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from faultdesk.domain.errors import Conflict, FieldProblem, RuleViolation
from faultdesk.domain.reports import Contact, Report, ReportDraft, check_report_times, details_of
from faultdesk.services import attachments, clocks, impact, public_issues
from faultdesk.services.attachments import IncomingFile
from faultdesk.services.desk import Desk
from faultdesk.services.ports import UnitOfWork
from faultdesk.services.records import Actor, AuditEvent, ReportView

IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass(frozen=True)
class SubmittedReport:
    report: ReportView
    tracking_token: str
    replayed: bool = False  # True when an Idempotency-Key retry got the first answer back
    followed: str | None = None  # the public known issue it was filed as following, if any


class DuplicateSubmission(Conflict):
    """Another request with the same Idempotency-Key committed first."""


def submit_report(
    desk: Desk,
    draft: ReportDraft,
    *,
    actor: Actor,
    client: str,
    idempotency_key: str | None = None,
    files: Sequence[IncomingFile] = (),
    follow: str | None = None,
) -> SubmittedReport:
    """One report (and its attachments, checked and written before the transaction and removed
    again if it fails) stored with its token, clocks and receipt. ``follow`` names a public known
    issue the reporter said is theirs ("这就是我遇到的问题"): the report joins it in the same
    transaction (public_issues.join)."""
    fingerprint = draft.fingerprint() if idempotency_key else ""
    if idempotency_key:
        replay = _replay(desk, client, idempotency_key, fingerprint)
        if replay:
            return replay
    try:
        with attachments.held(desk, files) as written, desk.uow() as uow:
            token = desk.secrets.new_token()
            view = store_report(desk, uow, draft, actor=actor, token=token)
            attachments.record(uow, view.id, written, desk.clock.now(), later=False)
            joined = public_issues.join(desk, uow, view, follow, desk.clock.now()) if follow else None
            if idempotency_key:
                uow.reports.remember_submission(
                    client, idempotency_key, fingerprint, view.id, desk.secrets.encrypt(token), desk.clock.now()
                )
            uow.commit()
    except DuplicateSubmission:
        assert idempotency_key
        replay = _replay(desk, client, idempotency_key, fingerprint)
        assert replay, "a duplicate key that cannot be read back"
        return replay
    return SubmittedReport(view, token, followed=joined.number if joined else None)


def store_report(desk: Desk, uow: UnitOfWork, draft: ReportDraft, *, actor: Actor, token: str) -> ReportView:
    """Validate and insert one report inside the caller's unit of work, with its audit event and
    its register clock; queues the reporter's receipt."""
    now = desk.clock.now()
    report, product_id, function_id = _admit(desk, uow, draft, now=now, actor=actor)
    contact = report.contact
    key = impact.reporter_key(desk, report)
    submitted = AuditEvent(
        at=now,
        actor=actor,
        entity="report",
        entity_id="",  # the new report's id: the store fills it in
        action="submitted",
        after={
            "channel": report.channel.value,
            "symptom": report.symptom,
            "received_at": report.received_at.isoformat(),
            "contact": contact.masked() if contact else None,  # never the clear contact
        },
    )
    # The store answers with the view of what it wrote (built as every read builds it): no read-back.
    view = uow.reports.add(
        report,
        token_hash=desk.secrets.digest(token),
        contact_cipher=desk.secrets.encrypt(contact.value) if contact else None,
        contact_masked=contact.masked() if contact else None,
        product_id=product_id,
        function_id=function_id,
        at=now,
        reporter_key=key,
        audit=submitted,
        clock=clocks.register_clock(desk, uow, report.received_at, now),
    )
    clocks.on_report(desk, uow, view, now, token=token)
    return view


def _admit(
    desk: Desk, uow: UnitOfWork, draft: ReportDraft, *, now: datetime, actor: Actor
) -> tuple[Report, int | None, int | None]:
    problems: list[FieldProblem] = []
    received_at = draft.received_at or now
    try:
        check_report_times(received_at, draft.occurred_at, now, desk.report_window)
    except RuleViolation as exc:
        problems.extend(exc.problems)
    contact: Contact | None = None
    if draft.contact:
        try:
            contact = Contact.parse(draft.contact)
        except RuleViolation as exc:
            problems.extend(exc.problems)
    product_id, function_id = catalogue_ids(uow, draft.product, draft.function, problems)
    if problems:
        raise RuleViolation(problems)
    details = details_of(draft)
    details["occurred_at"] = draft.occurred_at.astimezone(UTC) if draft.occurred_at else None
    report = Report(
        **details,
        channel=draft.channel,
        received_at=received_at.astimezone(UTC),  # stored and shown in UTC, whatever zone was sent
        contact=contact,
        product_code=draft.product,
        function_code=draft.function,
        created_by=actor.id,
    )
    return report, product_id, function_id


def catalogue_ids(
    uow: UnitOfWork, product: str | None, function: str | None, problems: list[FieldProblem]
) -> tuple[int | None, int | None]:
    """The ids of a product code and one of its function codes; what is wrong goes to ``problems``."""
    if function and not product:
        problems.append(FieldProblem("function", "needs a product", "需同时指定产品"))
        return None, None
    if not product:
        return None, None
    product_id = uow.catalogue.product_id(product)
    if product_id is None:
        problems.append(FieldProblem("product", "unknown product", "未知产品"))
        return None, None
    if not function:
        return product_id, None
    fn = uow.catalogue.function(product, function)
    if fn is None:
        problems.append(FieldProblem("function", "unknown function of this product", "该产品下无此功能"))
        return product_id, None
    return product_id, fn.id


def _replay(desk: Desk, client: str, key: str, fingerprint: str) -> SubmittedReport | None:
    with desk.uow() as uow:
        stored = uow.reports.submission(client, key)
        if stored is None:
            return None
        if stored.request_hash != fingerprint:
            raise Conflict(
                "Idempotency-Key was already used for a different report",
                "Idempotency-Key 已用于另一份不同的反馈",
            )
        view = uow.reports.get(stored.report_id)
    assert view is not None
    return SubmittedReport(view, desk.secrets.decrypt(stored.token_cipher), replayed=True)


def forget_old_submissions(desk: Desk) -> int:
    """Idempotency keys protect retries, not history: drop them after a day (worker job)."""
    with desk.uow() as uow:
        removed = uow.reports.forget_submissions_before(desk.clock.now() - IDEMPOTENCY_TTL)
        uow.commit()
    return removed

"""The schema, as SQLAlchemy Core tables.

Core rather than ORM-mapped classes: the domain keeps plain dataclasses, repositories map rows
by hand, and the hot intake path issues plain INSERTs without an identity map in the way.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from faultdesk.adapters.db.types import EnumText, SeverityColumn, TestCasesJson, UtcDateTime
from faultdesk.domain.attachments import FILENAME_LIMIT, FileType
from faultdesk.domain.faults import Criticality, FaultStatus
from faultdesk.domain.lifecycle import Recurrence
from faultdesk.domain.reports import Channel, ContactKind, Network
from faultdesk.domain.severity import Impact

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("email", String(254)),  # where staff notices go
    Column("timezone", String(64)),  # IANA zone of this person's working hours; None: the organisation's
    Column("language", String(5)),  # the console's language this person chose; None: the browser's
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 hex; the token is shown once
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

# Web sessions: the cookie holds a random token, this row its digest (so a stolen copy of the
# table opens no session). Every request with the cookie reads its row by primary key.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 hex of the cookie's token
    Column("user_id", ForeignKey("users.id"), nullable=False, index=True),  # ending all of a user's
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),  # the idle timeout runs from here
    Column("expires_at", UtcDateTime, nullable=False, index=True),  # the absolute cap; old rows are purged by it
    Column("ended_at", UtcDateTime),  # logout, password reset or deactivation
)

products = Table(
    "products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
)

product_functions = Table(
    "product_functions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("code", String(40), nullable=False),
    Column("name", String(100), nullable=False),
    Column("criticality", EnumText(Criticality, 10), nullable=False),  # core / main / minor
    UniqueConstraint("product_id", "code", name="uq_product_functions_product_code"),
)

fault_types = Table(
    "fault_types",
    metadata,
    Column("code", String(2), primary_key=True),
    Column("label_zh", String(40), nullable=False),
    Column("label_en", String(60), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

# One row per numbering scope (local day, and type when the number shows it). Incremented
# inside the registering transaction, so a rolled-back registration gives its serial back.
fault_serials = Table(
    "fault_serials",
    metadata,
    Column("scope", String(40), primary_key=True),
    Column("last_serial", Integer, nullable=False),
)

faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("type_code", ForeignKey("fault_types.code"), nullable=False, index=True),
    Column("title", String(200), nullable=False),
    Column("status", EnumText(FaultStatus, 30), nullable=False, index=True),
    Column("severity", SeverityColumn),  # 0=P0 … 2=P2; null until graded
    Column("product_id", ForeignKey("products.id")),
    Column("function_id", ForeignKey("product_functions.id")),
    Column("affected_users", Integer, nullable=False, default=0),
    Column("estimated_users", Integer),
    Column("estimate_source", String(200)),
    Column("registered_at", UtcDateTime, nullable=False),
    Column("registered_by", ForeignKey("users.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),  # optimistic concurrency, sent as the ETag
    # Lifecycle (DESIGN §3); the stage records hold the detail of each step.
    Column("reopen_count", Integer, nullable=False, default=0, server_default="0"),
    Column("fix_version", String(60)),
    Column("cases", TestCasesJson),  # verification cases attached by the tester
    Column("gray_steps", Integer, nullable=False, default=0, server_default="0"),
    Column("impact", EnumText(Impact, 20)),  # outage / partial / cosmetic, from the analysis
    Column("revenue_impact", Boolean, nullable=False, default=False, server_default="0"),
    Column("recurrence", EnumText(Recurrence, 20)),  # new / recurrence / known_issue
    Column("related_fault_id", ForeignKey("faults.id")),  # the earlier fault this one repeats
    Column("known_issue", String(200)),
    Column("owners", JSON),  # stage -> user id
    Column("team", JSON),  # P0 special team: {"lead": id, "members": [ids]}
    Column("merged_into_id", ForeignKey("faults.id")),
    # A public known issue (issue 12.2): the title and status end users read; NULL: internal only.
    Column("public_title", String(200)),
    Column("public_status", String(1000)),
    # A P2 resolved as "ships in version X" waits for X's release to tell its reporters (12.5).
    Column("waiting_release", String(60)),
)

# Who works on a fault, one row a person: the owners of its stages and its P0 special team, as
# the faults row holds them in JSON. Written by the fault store with every change of owners or
# team, so "my work" is an index lookup, not a JSON scan of every fault.
fault_owners = Table(
    "fault_owners",
    metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("fault_id", ForeignKey("faults.id"), primary_key=True, index=True),
)
# The queue tabs count faults per state and severity, and "my work" reads states at severities.
Index("ix_faults_status_severity", faults.c.status, faults.c.severity)
Index("ix_faults_registered_by", faults.c.registered_by)  # my work: the faults I registered

reports = Table(
    "reports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tracking_token_hash", String(64), nullable=False, unique=True),
    Column("channel", EnumText(Channel, 20), nullable=False, index=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("occurred_at", UtcDateTime),
    Column("scenario", String(500)),
    Column("symptom", String(500), nullable=False),
    Column("device_model", String(100)),
    Column("os_version", String(60)),
    Column("app_version", String(40)),
    Column("network", EnumText(Network, 20)),
    Column("reporter_id", String(100), index=True),
    # Who, for counting affected users: the reporter id, else a keyed hash of the contact.
    Column("reporter_key", String(120)),  # "id:" + a reporter id of up to 100
    Column("contact_kind", EnumText(ContactKind, 10)),
    Column("contact_masked", String(260)),  # precomputed so lists never decrypt; an e-mail keeps its domain
    Column("contact_cipher", LargeBinary),  # Fernet token (AES-128-CBC + HMAC-SHA256)
    Column("description", Text),
    Column("product_id", ForeignKey("products.id")),
    Column("function_id", ForeignKey("product_functions.id")),
    Column("fault_id", ForeignKey("faults.id"), index=True),
    Column("created_by", ForeignKey("users.id")),
    Column("created_at", UtcDateTime, nullable=False),
    Column("matched_at", UtcDateTime),  # when the matcher last considered it for automatic linking
)

# A retried public submission returns the first answer. The token is kept encrypted so the
# retry can show it again without the database ever holding it in clear.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client", String(100), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("report_id", ForeignKey("reports.id"), nullable=False),
    Column("token_cipher", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("client", "key", name="uq_idempotency_keys_client_key"),
)

# The reporter's satisfaction with how their report was handled: once per report (the key).
report_ratings = Table(
    "report_ratings",
    metadata,
    Column("report_id", ForeignKey("reports.id"), primary_key=True),
    Column("satisfaction", SmallInteger, nullable=False),
    Column("comment", Text),
    Column("rated_at", UtcDateTime, nullable=False),
    CheckConstraint("satisfaction BETWEEN 1 AND 5", name="ck_report_ratings_satisfaction"),
)

# A reporter's screenshots and recordings: the files live under FAULTDESK_HOME/attachments/ by a
# random key; the row says what the content is (sniffed, never the browser's claim).
report_attachments = Table(
    "report_attachments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("report_id", ForeignKey("reports.id"), nullable=False, index=True),
    Column("storage_key", String(64), nullable=False, unique=True),
    Column("content_type", EnumText(FileType, 40), nullable=False),
    Column("filename", String(FILENAME_LIMIT), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("added_at", UtcDateTime, nullable=False),
    Column("later", Boolean, nullable=False),  # added on the tracking page, after the report
    Column("thumb_key", String(64)),  # a small WebP of an image (none for recordings)
)

severity_changes = Table(
    "severity_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", ForeignKey("faults.id"), nullable=False, index=True),
    Column("from_severity", SmallInteger),
    Column("to_severity", SmallInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("changed_by", ForeignKey("users.id")),
    Column("changed_at", UtcDateTime, nullable=False),
)

# One row per lifecycle step, holding what that step recorded (diagnosis, plan, review, runs…).
stage_records = Table(
    "stage_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", ForeignKey("faults.id"), nullable=False),
    Column("action", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Column("actor_id", ForeignKey("users.id")),
    Column("actor_label", String(64), nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)
Index("ix_stage_records_fault_id_id", stage_records.c.fault_id, stage_records.c.id)

improvement_actions = Table(
    "improvement_actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", ForeignKey("faults.id"), nullable=False, index=True),
    Column("title", String(300), nullable=False),
    Column("owner_id", ForeignKey("users.id"), nullable=False),
    Column("due", Date, nullable=False),
    Column("status", String(10), nullable=False),  # open / done / dropped
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
# The console's overdue tab: open actions by due day; "mine" (the page's first tab): one owner's
# actions in the page's order, read from the index in order rather than sorted after a scan.
Index("ix_improvement_actions_status_due", improvement_actions.c.status, improvement_actions.c.due)
Index("ix_improvement_actions_due", improvement_actions.c.due, improvement_actions.c.id)  # the "all" tab
Index(
    "ix_improvement_actions_owner_id_due",
    improvement_actions.c.owner_id,
    improvement_actions.c.due,
    improvement_actions.c.id,
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", ForeignKey("faults.id"), index=True),
    Column("title", String(200), nullable=False),
    Column("symptoms", Text, nullable=False),
    Column("cause", Text, nullable=False),
    Column("fix", Text, nullable=False),
    Column("workaround", Text),
    Column("tags", JSON, nullable=False),
    Column("created_by", ForeignKey("users.id")),
    Column("created_at", UtcDateTime, nullable=False),
)

# Append-only: the migration adds triggers that refuse UPDATE and DELETE on both stores.
audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor_id", ForeignKey("users.id")),
    Column("actor_label", String(64), nullable=False),  # username, or "public" / "system"
    Column("entity", String(30), nullable=False),
    Column("entity_id", String(120), nullable=False),  # a fault number, a report id, "product/version" …
    Column("action", String(40), nullable=False),
    Column("fault_id", ForeignKey("faults.id")),  # set when the event belongs to a fault's timeline
    Column("before", JSON),
    Column("after", JSON),
)
Index("ix_reports_fault_id_reporter_key", reports.c.fault_id, reports.c.reporter_key)
# Every sort a listing offers (services/records.py FAULT_SORTS, REPORT_SORTS; ties by id) reads its
# page from an index instead of sorting the whole table: at 100,000 faults and 300,000 reports a
# sort costs hundreds of milliseconds a request. updated_at also serves the known-issue index's
# catch-up before each search (faults changed since the last one). Range filters use them too.
Index("ix_faults_registered_at_id", faults.c.registered_at, faults.c.id)
Index("ix_faults_updated_at_id", faults.c.updated_at, faults.c.id)
Index("ix_faults_severity_id", faults.c.severity, faults.c.id)
Index("ix_faults_affected_users_id", faults.c.affected_users, faults.c.id)
Index("ix_reports_received_at_id", reports.c.received_at, reports.c.id)
Index("ix_reports_occurred_at_id", reports.c.occurred_at, reports.c.id)
Index("ix_audit_events_fault_id_id", audit_events.c.fault_id, audit_events.c.id)
Index("ix_audit_events_entity", audit_events.c.entity, audit_events.c.entity_id)


# Response clocks. The worker claims rows whose next_fire_at has come (SKIP LOCKED on PostgreSQL).
clocks = Table(
    "clocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", ForeignKey("faults.id")),
    Column("report_id", ForeignKey("reports.id")),  # the register clock belongs to a report
    Column("improvement_id", ForeignKey("improvement_actions.id")),
    Column("kind", String(20), nullable=False),
    Column("severity", SmallInteger),
    Column("mode", String(10), nullable=False),
    Column("state", String(10), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("warn_at", UtcDateTime),
    Column("next_fire_at", UtcDateTime),
    Column("warned_at", UtcDateTime),
    Column("breached_at", UtcDateTime),
    Column("met_at", UtcDateTime),
    Column("paused_at", UtcDateTime),
    Column("remaining_s", Integer),
    Column("escalation_level", Integer, nullable=False, default=0),
)
Index("ix_clocks_next_fire_at", clocks.c.next_fire_at)
Index("ix_clocks_fault_id_kind", clocks.c.fault_id, clocks.c.kind)
Index("ix_clocks_report_id", clocks.c.report_id)
Index("ix_clocks_state_due_at", clocks.c.state, clocks.c.due_at)
# The metrics: a kind's clocks started in a period (compliance, breaches, resolutions), and their
# durations from the index alone.
Index("ix_clocks_kind_started_at", clocks.c.kind, clocks.c.started_at, clocks.c.met_at)
# The clocks' queues (breaching soon, breached, paused) read the faults of the clocks in a state
# and due range (and stage 4's, by kind) from this index alone: their counts touch no clock row.
# Partial: a fault's own clocks (fault_store._clock_faults repeats the predicate word for word, so
# both stores' planners take it); improvement actions' clocks would be most of it.
FAULT_QUEUE_CLOCKS = text("kind <> 'improvement' AND fault_id IS NOT NULL")
Index(
    "ix_clocks_fault_queues",
    clocks.c.state,
    clocks.c.due_at,
    clocks.c.fault_id,
    clocks.c.kind,
    postgresql_where=FAULT_QUEUE_CLOCKS,
    sqlite_where=FAULT_QUEUE_CLOCKS,
)

# The transactional outbox: written in the same commit as the change that causes a message.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("message_id", String(64), nullable=False, unique=True),  # stable across attempts
    Column("channel", String(20), nullable=False),  # email / webhook / dingtalk / feishu / wecom
    Column("recipient", String(300), nullable=False),
    Column("kind", String(30), nullable=False),  # receipt, progress, closing, p0_opened, breach, …
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("fault_id", ForeignKey("faults.id")),
    Column("report_id", ForeignKey("reports.id")),
    Column("state", String(10), nullable=False),  # pending / sending / sent / dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("lease_until", UtcDateTime),
    Column("last_error", String(500)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
)
Index("ix_outbox_state_next_attempt_at", outbox.c.state, outbox.c.next_attempt_at)
Index("ix_outbox_report_id", outbox.c.report_id)
Index("ix_outbox_fault_id", outbox.c.fault_id)

# An organisation's changes to the official calendar, entered the day they are announced.
calendar_days = Table(
    "calendar_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(10), nullable=False),  # holiday / workday
    Column("note", String(200)),
    Column("created_at", UtcDateTime, nullable=False),
)
calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("announced_at", UtcDateTime, nullable=False),
)

message_templates = Table(
    "message_templates",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("lang", String(5), primary_key=True),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


# Release notes: the template's known-issue library includes "版本更新日志".
releases = Table(
    "releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", ForeignKey("products.id"), nullable=False),
    Column("version", String(60), nullable=False),
    Column("released_on", Date, nullable=False),
    Column("notes", Text, nullable=False),
    Column("known_issues", Text),
    Column("created_by", ForeignKey("users.id")),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("product_id", "version", name="uq_releases_product_version"),
)
Index("ix_releases_released_on_id", releases.c.released_on, releases.c.id)  # the console lists newest first

# The admin-editable synonym list of fault vocabulary (闪退/崩溃/自动退出 …), one row.
synonym_lists = Table(
    "synonym_lists",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("groups", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)


# A record-table export too large to answer at once (issue 13): the worker claims the oldest
# queued job, writes the file under FAULTDESK_HOME/exports/ and counts its rows as it goes.
export_jobs = Table(
    "export_jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("requested_by", ForeignKey("users.id"), nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("format", String(10), nullable=False),  # csv / xlsx
    Column("language", String(5), nullable=False),  # the headers' and words' language
    Column("filters", JSON, nullable=False),  # the list filters, as the API takes them
    Column("state", String(10), nullable=False),  # queued / running / done / failed
    Column("rows_total", Integer, nullable=False, default=0, server_default="0"),
    Column("rows_done", Integer, nullable=False, default=0, server_default="0"),
    Column("file_name", String(200)),  # under FAULTDESK_HOME/exports/
    Column("error", String(500)),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
)
Index("ix_export_jobs_state_id", export_jobs.c.state, export_jobs.c.id)
Index("ix_export_jobs_requested_by", export_jobs.c.requested_by)
# The record table kept as the faults go (issue 13): each fault's row of the table as a CSV line,
# in the words ``record_line_words`` names (zone, language, labels, names). Triggers (migration
# 0026) log every write to a table the row reads from in ``record_changes``; a line is current
# while its fault has no change logged, and the worker renders the changed ones again.
record_lines = Table(
    "record_lines",
    metadata,
    Column("fault_id", ForeignKey("faults.id", ondelete="CASCADE"), primary_key=True),
    Column("line", Text, nullable=False),
)
record_changes = Table(
    "record_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", Integer, nullable=False, index=True),  # no key: a log, written by triggers
)
record_line_words = Table(
    "record_line_words",
    metadata,
    Column("id", Integer, primary_key=True),  # one row
    Column("words_key", String(64), nullable=False),
)
# Deflection on the report form (issue 12.2): each suggestion shown to a reporter and each one
# followed ("这就是我遇到的问题"), with its time, so the reports can chart them per period.
deflection_events = Table(
    "deflection_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(10), nullable=False),  # shown / followed
    Column("fault_id", ForeignKey("faults.id")),  # a public known issue
    Column("article_id", ForeignKey("kb_articles.id")),  # or a knowledge-base article
    Column("report_id", ForeignKey("reports.id")),  # followed: the report filed as following
    Column("at", UtcDateTime, nullable=False),
)
Index("ix_deflection_events_kind_at", deflection_events.c.kind, deflection_events.c.at)
# The releases recorded for a version tell the faults waiting on it (a partial index would do; both stores take this).
Index("ix_faults_waiting_release", faults.c.waiting_release)

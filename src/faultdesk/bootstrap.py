"""The one place where settings become engines, clocks and adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import partial

from sqlalchemy import Engine

from faultdesk.adapters.attachment_files import DirectoryFiles
from faultdesk.adapters.crypto import Vault
from faultdesk.adapters.db.engine import make_engine, reader_engine
from faultdesk.adapters.db.record_table_store import SqlRecordLines, SqlRecordTable
from faultdesk.adapters.db.uow import SqlUnitOfWork, watch_counted_writes
from faultdesk.adapters.holidays_cn import official_calendar
from faultdesk.adapters.notify import DingTalkNotifier, FeishuNotifier, SmtpNotifier, WebhookNotifier, WeComNotifier
from faultdesk.adapters.passwords import Argon2Passwords
from faultdesk.adapters.rate_limits import MemoryRateCounters, RedisRateCounters, rate_of
from faultdesk.adapters.search import KnownIssueIndex, build_analyzer
from faultdesk.adapters.search.snapshots import FileIndexSnapshots
from faultdesk.adapters.templating import JinjaRenderer
from faultdesk.config import Settings
from faultdesk.domain.clock import Clock, SystemClock
from faultdesk.domain.matching.synonyms import DEFAULT_SYNONYMS, Synonyms
from faultdesk.domain.severity import SeverityRules
from faultdesk.services.desk import Desk, LoginLimits, SharedReads, ShortCache
from faultdesk.services.known_issue_index import KnownIssueLibrary
from faultdesk.services.ports import Notifier, PasswordHasher, RateCounters
from faultdesk.services.queues import COUNTS_TTL_S as QUEUE_COUNTS_TTL_S


@dataclass(frozen=True)
class Wiring:
    settings: Settings
    engine: Engine
    desk: Desk
    notifiers: dict[str, Notifier] = field(default_factory=dict)


def engine_for(settings: Settings) -> Engine:
    """The store's engine with the settings' pool size and waits."""
    return make_engine(
        settings.effective_database_url,
        pool_size=settings.db_pool_size,
        pool_timeout_s=settings.db_pool_timeout_s,
        busy_timeout_s=settings.sqlite_busy_timeout_s,
    )


def notifiers_from(settings: Settings) -> dict[str, Notifier]:
    """A channel is on when its address is configured."""
    out: dict[str, Notifier] = {}
    if settings.smtp_host:
        out["email"] = SmtpNotifier(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
        )
    if settings.webhook_url:
        out["webhook"] = WebhookNotifier(settings.webhook_url, settings.webhook_secret)
    if settings.sms_webhook_url:
        out["sms"] = WebhookNotifier(settings.sms_webhook_url, settings.sms_webhook_secret)
    if settings.dingtalk_url:
        out["dingtalk"] = DingTalkNotifier(settings.dingtalk_url, settings.dingtalk_secret or None)
    if settings.feishu_url:
        out["feishu"] = FeishuNotifier(settings.feishu_url, settings.feishu_secret or None)
    if settings.wecom_url:
        out["wecom"] = WeComNotifier(settings.wecom_url)
    return out


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    passwords: PasswordHasher | None = None,
) -> Wiring:
    engine = engine or engine_for(settings)
    clock = clock or SystemClock()
    notifiers = notifiers_from(settings)
    counts = ShortCache(QUEUE_COUNTS_TTL_S, now=lambda: clock.now().timestamp())
    watch_counted_writes(engine)  # its commits clear the counts
    desk = Desk(
        uow=SharedReads(partial(SqlUnitOfWork, engine, on_counted_change=counts.clear)),
        clock=clock,
        secrets=Vault(settings.resolved_secret_key()),
        passwords=passwords or Argon2Passwords(),
        numbers=settings.numbers,
        timezone=settings.timezone,
        renderer=JinjaRenderer(),
        severity_rules=SeverityRules(settings.severity_p1_users, settings.severity_p0_users),
        calendar=official_calendar(
            settings.timezone, _hhmm(settings.work_start), _hhmm(settings.work_end), clock.now().year
        ),
        policy=settings.clock_policy,
        language=settings.language,
        channels=frozenset(notifiers),
        known_issues=KnownIssueLibrary(
            index_factory, FileIndexSnapshots(settings.home / "index" / "known-issues.pickle")
        ),
        rate_counters=rate_counters_from(settings, clock),
        auto_link_confidence=settings.auto_link_confidence,
        report_window=timedelta(days=settings.report_window_days),
        sessions=settings.session_policy,
        login_limits=LoginLimits(rate_of(settings.login_account_limit), rate_of(settings.login_address_limit)),
        public_url=settings.public_url,
        record_table=partial(SqlRecordTable, reader_engine(engine)),
        record_lines=SqlRecordLines(engine),
        exports_dir=settings.home / "exports",
        imports_dir=settings.home / "imports",
        import_max_bytes=settings.import_max_bytes,
        files=DirectoryFiles(settings.attachments_dir),
        attachment_max_bytes=settings.attachment_max_bytes,
        queue_counts=counts,
    )
    return Wiring(settings, engine, desk, notifiers)


def rate_counters_from(settings: Settings, clock: Clock) -> RateCounters:
    """Redis when configured (every process counts together), else this process alone."""
    own = MemoryRateCounters(clock)
    if settings.redis_url:
        return RedisRateCounters(settings.redis_url, settings.redis_prefix, fallback=own)
    return own


def index_factory(product_terms: list[str], groups: list[list[str]]) -> KnownIssueIndex:
    """A fresh known-issue index: jieba with the catalogue's terms, the stored synonyms (or ours)."""
    synonyms = Synonyms.from_groups(groups) if groups else DEFAULT_SYNONYMS
    return KnownIssueIndex(build_analyzer(product_terms, synonyms))


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))

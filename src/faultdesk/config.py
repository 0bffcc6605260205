"""Settings: the only reader of environment variables (``FAULTDESK_*``) and the TOML file.

Precedence: explicit arguments > environment > TOML file (``FAULTDESK_CONFIG``, else
``$FAULTDESK_HOME/faultdesk.toml`` when present) > defaults.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Any

from limits import parse as parse_rate
from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from faultdesk.domain.attachments import DEFAULT_MAX_BYTES
from faultdesk.domain.calendars import is_known_zone
from faultdesk.domain.numbering import InvalidNumberFormat, NumberFormat
from faultdesk.domain.sessions import SessionPolicy
from faultdesk.domain.sla import ClockPolicy, policy_from
from faultdesk.services.desk import DEFAULT_IMPORT_MAX_BYTES

SECRET_FILE = "secret.key"


def _toml_path() -> Path:
    explicit = os.environ.get("FAULTDESK_CONFIG")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("FAULTDESK_HOME", "var")) / "faultdesk.toml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAULTDESK_", extra="ignore")

    home: Path = Field(default=Path("var"), description="where the SQLite file and the secret key live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under home")
    timezone: str = "Asia/Shanghai"
    secret_key: str = Field(default="", description="empty: read home/secret.key (made by `faultdesk init`)")
    number_format: str = Field(default="default", description="'default', 'compact' or a template")
    # Public intake: a per-client limit in the `limits` notation; the benchmark raises it. Staff
    # entering reports count per user, not per address.
    intake_rate_limit: str = "120/minute"
    # The reporter's tracking pages (GET /track/{token}, …/messages, POST …/confirm), per address.
    track_rate_limit: str = "60/minute"
    # Failed logins allowed per account and per client address; past them, logins wait.
    login_account_limit: str = "5/15 minutes"
    login_address_limit: str = "20/15 minutes"
    # Reverse proxies (IPs or CIDRs) whose X-Forwarded-For names the client; others' is ignored.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Set: the rate limits count in Redis, so they hold across every API process sharing it.
    redis_url: str = ""
    redis_prefix: str = "faultdesk"  # of every key written there
    # Severity rules (DESIGN §1): more than p0 users → P0, p1..p0 users → P1.
    severity_p1_users: int = Field(default=100, ge=1)
    severity_p0_users: int = Field(default=1000, ge=2)
    # Known-issue matching: a waiting report is linked to an open fault automatically when the
    # best match's confidence (0–1) reaches this; the same bar marks a new fault as a recurrence.
    auto_link_confidence: float = Field(default=0.8, gt=0, le=1)
    report_window_days: int = Field(default=30, ge=1, le=3650)  # a report's received_at may be this old
    max_body_bytes: int = 256 * 1024  # a retrospective at its stated limits, in Chinese, is ~80 KB
    # Each attachment of a report (screenshots, screen recordings); the report form and the
    # tracking page's addition take up to 5 of them on top of max_body_bytes.
    attachment_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024, le=512 * 1024 * 1024)
    # A record table uploaded on the console's import page (/admin/import), .xlsx or CSV.
    import_max_bytes: int = Field(default=DEFAULT_IMPORT_MAX_BYTES, ge=1024, le=512 * 1024 * 1024)
    db_pool_size: int = 20  # at least the concurrent requests, so connections are not churned
    # How long a request waits for a pooled connection before it fails (SQLite: the one writer
    # connection); unset: 60 s on SQLite, 30 s on PostgreSQL. Raise it for bursts of many
    # concurrent writers on SQLite, which queue for that one connection.
    db_pool_timeout_s: float | None = Field(default=None, gt=0)
    # How long a SQLite transaction waits for another process's write lock (several processes
    # on one file: `faultdesk worker` beside `faultdesk serve`, say).
    sqlite_busy_timeout_s: float = Field(default=30.0, gt=0)
    run_worker: bool = True  # `faultdesk serve` runs the worker in-process
    # Web sessions end after this long unused, and in any case this long after login.
    session_idle_timeout_s: int = Field(default=12 * 3600, ge=60)
    session_lifetime_s: int = Field(default=7 * 24 * 3600, ge=60)
    # Business calendar and messages.
    work_start: str = Field(default="09:00", pattern=r"^\d{2}:\d{2}$")
    work_end: str = Field(default="18:00", pattern=r"^\d{2}:\d{2}$")
    language: str = Field(default="zh", pattern=r"^(zh|en)$")
    warn_share: float = Field(default=0.8, gt=0, lt=1)
    # Clock budgets, e.g. in the TOML file: [clock_budgets] "response.P1" = "4h business"
    clock_budgets: dict[str, str] = Field(default_factory=dict)
    escalation_chain: list[str] = Field(default_factory=lambda: ["owner", "tech_lead", "admin"])
    escalate_every_minutes: int = Field(default=30, ge=1)
    escalate_every_minutes_p0: int = Field(default=10, ge=1)
    worker_interval_s: float = Field(default=5.0, gt=0)  # clocks fire within a tick of their due time
    # Delivery channels: a channel is on when its address is set.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "faultdesk@localhost"
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password: str = ""
    webhook_url: str = ""  # generic JSON webhook for internal notices, HMAC-signed
    webhook_secret: str = ""
    sms_webhook_url: str = ""  # an SMS gateway taking the same signed JSON, for phone contacts
    sms_webhook_secret: str = ""
    dingtalk_url: str = ""
    dingtalk_secret: str = ""
    feishu_url: str = ""
    feishu_secret: str = ""
    wecom_url: str = ""
    cookie_secure: bool = False  # set true behind HTTPS
    # Where staff reach FaultDesk: the links in their notices (e.g. https://faultdesk.example.com).
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^\s]+$")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path())
        return (init_settings, env_settings, toml)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_known_zone(value):
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @field_validator("intake_rate_limit", "track_rate_limit", "login_account_limit", "login_address_limit")
    @classmethod
    def _readable_rate(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError with the reason
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the environment: "10.0.0.1, 10.1.0.0/16" or a JSON list
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [p.strip() for p in text.split(",") if p.strip()]
        for entry in value:
            ip_network(entry, strict=False)  # raises ValueError naming the bad entry
        return value

    @field_validator("number_format")
    @classmethod
    def _valid_number_format(cls, value: str) -> str:
        try:
            NumberFormat.parse(value)
        except InvalidNumberFormat as exc:
            raise ValueError(str(exc)) from exc
        return value

    @field_validator("clock_budgets")
    @classmethod
    def _readable_budgets(cls, value: dict[str, str]) -> dict[str, str]:
        policy_from(value)  # raises ValueError with the reason
        return value

    @field_validator("escalation_chain")
    @classmethod
    def _known_chain(cls, value: list[str]) -> list[str]:
        policy_from({}, chain=tuple(value))
        return value

    @property
    def clock_policy(self) -> ClockPolicy:
        return policy_from(
            self.clock_budgets,
            warn_share=self.warn_share,
            chain=tuple(self.escalation_chain),
            escalate_every=timedelta(minutes=self.escalate_every_minutes),
            escalate_every_p0=timedelta(minutes=self.escalate_every_minutes_p0),
        )

    @property
    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(seconds=self.session_idle_timeout_s), lifetime=timedelta(seconds=self.session_lifetime_s)
        )

    @property
    def attachments_dir(self) -> Path:
        """Where the attachments' files live: share it between API processes (a shared volume)."""
        return self.home / "attachments"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'faultdesk.db').resolve()}"

    @property
    def numbers(self) -> NumberFormat:
        return NumberFormat.parse(self.number_format)

    def resolved_secret_key(self) -> str:
        """The key contact encryption and keyed hashes derive from; init writes it once."""
        if self.secret_key:
            return self.secret_key
        path = self.home / SECRET_FILE
        if path.exists():
            return path.read_text().strip()
        raise RuntimeError(f"no secret key: set FAULTDESK_SECRET_KEY or run `faultdesk init` (looked in {path})")

    def with_overrides(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)

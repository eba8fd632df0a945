"""Settings: the only place configuration is read from (environment and `.env`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "secret", "secret-key", "please-change", "xxx", "..."}
)
MIN_SECRET_LENGTH = 32
REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Rastro's configuration. Every field maps to one environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    env: Environment = Field("development", validation_alias="RASTRO_ENV")
    data_dir: Path = Field(Path("var"), validation_alias="RASTRO_DATA_DIR")
    crm_database_url: str | None = Field(None, validation_alias="CRM_DATABASE_URL")
    bi_database_url: str | None = Field(None, validation_alias="BI_DATABASE_URL")
    secret_key: SecretStr | None = Field(None, validation_alias="SECRET_KEY")
    encryption_key: SecretStr | None = Field(None, validation_alias="ENCRYPTION_KEY")
    # The key of the blind indexes of personal data (rastro.core.personal); derived from
    # SECRET_KEY when unset. Changing it (or SECRET_KEY while it is unset) needs
    # `rastro keys rotate`, which recomputes every index.
    blind_index_key: SecretStr | None = Field(None, validation_alias="BLIND_INDEX_KEY")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60, validation_alias="ACCESS_TOKEN_MINUTES")
    refresh_token_days: int = Field(30, ge=1, le=365, validation_alias="REFRESH_TOKEN_DAYS")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="LOG_LEVEL"
    )
    log_format: Literal["console", "json"] | None = Field(None, validation_alias="LOG_FORMAT")
    host: str = Field("127.0.0.1", validation_alias="RASTRO_HOST")
    port: int = Field(8000, ge=1, le=65535, validation_alias="RASTRO_PORT")
    web_dir: Path = Field(REPO_ROOT / "web" / "dist", validation_alias="RASTRO_WEB_DIR")
    login_max_failures_per_account: int = Field(5, ge=1, validation_alias="LOGIN_MAX_FAILURES")
    login_max_failures_per_ip: int = Field(30, ge=1, validation_alias="LOGIN_MAX_FAILURES_PER_IP")
    login_window_minutes: int = Field(15, ge=1, validation_alias="LOGIN_WINDOW_MINUTES")
    db_pool_size: int = Field(10, ge=1, le=200, validation_alias="DB_POOL_SIZE")
    db_plain_pool_size: int = Field(4, ge=1, le=200, validation_alias="DB_PLAIN_POOL_SIZE")
    collector_writers: int = Field(
        3,
        ge=1,
        le=16,
        validation_alias="COLLECTOR_WRITERS",
        description="Connections per server process that commit the collector's batches in groups",
    )
    event_retention_months: int = Field(
        25,
        ge=1,
        le=240,
        validation_alias="EVENT_RETENTION_MONTHS",
        description="Monthly event partitions older than this are detached",
    )
    event_partitions_drop: bool = Field(
        True,
        validation_alias="EVENT_PARTITIONS_DROP",
        description=(
            "Drop the monthly page_views and events partitions older than the longest "
            "retention of any organization once the rollups cover them"
        ),
    )
    fx_rates_url: str = Field(
        "https://olinda.bcb.gov.br",
        validation_alias="FX_RATES_URL",
        description="The Banco Central do Brasil's PTAX service (daily exchange rates)",
    )
    outbox_gather_seconds: float = Field(
        0.5,
        ge=0,
        le=60,
        validation_alias="OUTBOX_GATHER_SECONDS",
        description="How long an outbox delivery job lets messages gather before it runs",
    )
    crm_push_timeout_seconds: float = Field(
        10.0,
        gt=0,
        le=120,
        validation_alias="CRM_PUSH_TIMEOUT_SECONDS",
        description="Timeout of each call to a CRM or webhook destination",
    )
    crm_push_retry_base_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        validation_alias="CRM_PUSH_RETRY_BASE_SECONDS",
        description="Base of the exponential backoff (full jitter) between push attempts",
    )

    conversion_sync_timeout_seconds: float = Field(
        20.0,
        gt=0,
        le=120,
        validation_alias="CONVERSION_SYNC_TIMEOUT_SECONDS",
        description="Timeout of each batch sent to an ad platform",
    )
    conversion_retry_base_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        validation_alias="CONVERSION_RETRY_BASE_SECONDS",
        description="Base of the exponential backoff (full jitter) between conversion attempts",
    )
    conversion_max_attempts: int = Field(
        8,
        ge=1,
        le=50,
        validation_alias="CONVERSION_MAX_ATTEMPTS",
        description="Attempts per conversion and platform before it is marked failed",
    )
    conversion_breaker_failures: int = Field(
        5,
        ge=1,
        le=100,
        validation_alias="CONVERSION_BREAKER_FAILURES",
        description="Consecutive transient failures that open a platform account's breaker",
    )
    conversion_breaker_cooldown_seconds: float = Field(
        300.0,
        ge=0,
        le=86400,
        validation_alias="CONVERSION_BREAKER_COOLDOWN_SECONDS",
        description="How long an open breaker waits before letting one trial batch through",
    )

    public_url: str = Field(
        "http://127.0.0.1:8000",
        validation_alias="RASTRO_PUBLIC_URL",
        description="The address the public reaches Rastro at (links in e-mails, webhooks)",
    )
    email_soft_bounce_limit: int = Field(
        3,
        ge=1,
        le=100,
        validation_alias="EMAIL_SOFT_BOUNCE_LIMIT",
        description="Soft bounces after which an address is suppressed (an organization "
        "may set its own in /api/email/settings)",
    )
    email_send_parts: int = Field(
        1,
        ge=1,
        le=32,
        validation_alias="EMAIL_SEND_PARTS",
        description="Sending jobs per campaign at once, each with its share of the sender's "
        "rate (more than one helps with several `rastro worker` processes)",
    )
    email_click_drain_seconds: float = Field(
        0.05,
        ge=0,
        le=3600,
        validation_alias="EMAIL_CLICK_DRAIN_SECONDS",
        description="How long the click redirect lets acknowledged clicks gather before "
        "writing their events to BI (each click is committed in the CRM before it is "
        "answered; the `drain_clicks` job writes what a stopped process left)",
    )
    sns_cert_url_pattern: str = Field(
        r"^https://sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[^?#]+\.pem$",
        validation_alias="EMAIL_SNS_CERT_URL_PATTERN",
        description="Where Amazon SNS signing certificates (and subscribe URLs' hosts) may be",
    )

    # Rastro's own e-mails (member invitations, password resets): which sender carries
    # them. `none`: nothing is sent (a log line names the mail's id); `simulated`: nothing
    # leaves the process (demos, tests); `smtp`: the SMTP server below.
    mail_sender: Literal["none", "simulated", "smtp"] = Field(
        "none",
        validation_alias="MAIL_SENDER",
        description="Sender of Rastro's own e-mails (invitations, password resets)",
    )
    mail_from_address: str = Field(
        "rastro@localhost",
        validation_alias="MAIL_FROM_ADDRESS",
        description="The From address of Rastro's own e-mails",
    )
    mail_from_name: str = Field("Rastro", validation_alias="MAIL_FROM_NAME")
    mail_smtp_host: str = Field("127.0.0.1", validation_alias="MAIL_SMTP_HOST")
    mail_smtp_port: int = Field(587, ge=1, le=65535, validation_alias="MAIL_SMTP_PORT")
    mail_smtp_username: str | None = Field(None, validation_alias="MAIL_SMTP_USERNAME")
    mail_smtp_password: SecretStr | None = Field(None, validation_alias="MAIL_SMTP_PASSWORD")
    mail_smtp_security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", validation_alias="MAIL_SMTP_SECURITY"
    )
    funnel_page_cache: bool = Field(
        True,
        validation_alias="FUNNEL_PAGE_CACHE",
        description="Keep each public funnel step page per process: its data (checked "
        "against its rows' fingerprint) and its rendered bytes, served without a database "
        "read for a second after each check, each visit with its own form token; an edit "
        "made in the same process drops the pages at once (false: every request reads "
        "and renders the page)",
    )
    checkout_starts_per_ip_hour: int = Field(
        120,
        ge=1,
        le=100_000,
        validation_alias="CHECKOUT_STARTS_PER_IP_HOUR",
        description="Contact updates a checkout page may send per IP address an hour, per "
        "organization (`/f/_started/…`; past it, 429)",
    )
    checkout_charges_per_ip_hour: int = Field(
        20,
        ge=1,
        le=100_000,
        validation_alias="CHECKOUT_CHARGES_PER_IP_HOUR",
        description="Checkout and offer form submissions that ask for a charge per IP address "
        "an hour, per organization (past it, 429)",
    )
    password_reset_max_per_hour: int = Field(
        3,
        ge=1,
        le=100,
        validation_alias="PASSWORD_RESET_MAX_PER_HOUR",
        description="Password reset requests per e-mail address an hour (and 10x per IP)",
    )

    @field_validator("crm_database_url", "bi_database_url")
    @classmethod
    def _postgres_only(cls, url: str | None) -> str | None:
        if url is None or url == "":
            return None
        if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
            raise ValueError("must be a PostgreSQL URL (postgresql://user:pass@host/db)")
        return url

    @model_validator(mode="after")
    def _production_requires_secrets(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if self.secret_key is None or _is_weak(self.secret_key.get_secret_value()):
            problems.append(
                f"SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH} "
                "characters in production (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        if self.encryption_key is None:
            problems.append(
                "ENCRYPTION_KEY must be set in production (`rastro keys generate` prints one)"
            )
        if (self.crm_database_url is None) != (self.bi_database_url is None):
            problems.append("set both CRM_DATABASE_URL and BI_DATABASE_URL, or neither")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def embedded_database(self) -> bool:
        """True when Rastro runs its own PostgreSQL in the data directory."""
        return self.crm_database_url is None and self.bi_database_url is None

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.env == "production" else "console"

    @cached_property
    def secret_key_value(self) -> str:
        if self.secret_key is None:
            raise RuntimeError("SECRET_KEY is not set; load settings with load_settings()")
        return self.secret_key.get_secret_value()

    @cached_property
    def blind_index_key_value(self) -> str:
        if self.blind_index_key is not None:
            return self.blind_index_key.get_secret_value()
        return hmac.new(
            self.secret_key_value.encode(), b"rastro:blind-index:v1", hashlib.sha256
        ).hexdigest()

    @cached_property
    def encryption_key_value(self) -> str:
        if self.encryption_key is None:
            raise RuntimeError("ENCRYPTION_KEY is not set; load settings with load_settings()")
        return self.encryption_key.get_secret_value()


def _is_weak(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH


def generate_encryption_key() -> str:
    """A new 256-bit AES key in the `ENCRYPTION_KEY` format (`kid:base64url`)."""
    raw = secrets.token_bytes(32)
    return f"k{secrets.token_hex(4)}:{base64.urlsafe_b64encode(raw).decode().rstrip('=')}"


def _read_or_create(path: Path, make: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def encryption_key_file(settings: Settings) -> Path:
    return settings.data_dir / "encryption.key"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; outside production, create missing keys in the data dir.

    Raises `SystemExit` with a readable message when the configuration is invalid.
    """
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = ["Invalid configuration:"]
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            lines.append(f"  - {where}: {error['msg']}")
        raise SystemExit("\n".join(lines)) from None
    settings.data_dir = settings.data_dir.resolve()
    if settings.env != "production":
        if settings.secret_key is None:
            value = _read_or_create(
                settings.data_dir / "secret.key", lambda: secrets.token_urlsafe(48)
            )
            settings.secret_key = SecretStr(value)
        if settings.encryption_key is None:
            value = _read_or_create(encryption_key_file(settings), generate_encryption_key)
            settings.encryption_key = SecretStr(value)
    return settings

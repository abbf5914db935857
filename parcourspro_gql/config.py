"""Settings from the environment (PARCOURSPRO_*), read once into one frozen object."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

# An exact origin: scheme, host, optional port; no path, no wildcard.
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class ConfigError(RuntimeError):
    """A setting is missing or malformed."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the service reads from its environment. Business numbers are RULES.md's defaults."""

    env: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/parcourspro.db"
    var_dir: Path = Path("var")
    secret_key: str = field(default="", repr=False)
    public_url: str = "http://127.0.0.1:8000"
    mail_url: str = "file://var/mail"
    mail_from: str = "ParcoursPro <no-reply@parcourspro.cap-metiers.fr>"
    mail_max_attempts: int = 8
    log_level: str = "INFO"
    # Deliver the outbox and run the scheduler from the API process (`serve`); off when separate `worker`
    # processes do both.
    mail_dispatch: bool = True
    # PEM of the ES256 key signing access tokens; if empty: generated into var/ in development, derived
    # from the secret key in production (so every worker on every host shares it without another secret).
    jwt_private_key: str = field(default="", repr=False)
    # Optional external OpenID Connect provider whose bearer tokens are accepted too (mapped by email).
    oidc_issuer: str = ""
    oidc_audience: str = ""
    # argon2 parameters: "default" (argon2-cffi's RFC 9106 profile) or "test" (cheap; refused in production).
    password_hash_profile: str = "default"
    # Memory a process sets aside for argon2 (64 MiB a hash with the default profile): it runs at most
    # this / 64 hashes at once (and no more than its cores), further logins queue.
    password_hash_memory_mb: int = 256
    # Accounts and authentication (A3-A5)
    verify_token_ttl_hours: int = 48
    reset_token_ttl_minutes: int = 60
    access_token_ttl_minutes: int = 15
    refresh_token_ttl_days: int = 30
    # A refresh token presented again this long after its rotation answers the same new pair (two tabs
    # refreshing at once) instead of revoking its family; 0 turns the grace off.
    refresh_reuse_grace_seconds: int = 30
    # How old the caller's account and roles may be for a query (never for a mutation); 0 reads them each time.
    auth_cache_seconds: int = 5
    # A5/X4: failures of one account from one client address, of one account from all addresses together,
    # and from one address over all accounts, within the window.
    login_max_failures_per_account_address: int = 5
    login_max_failures_per_account: int = 20
    login_max_failures_per_address: int = 50
    login_window_minutes: int = 15
    # Live updates (N2): seconds between the server's keep-alive pings on an idle websocket (and between its
    # checks of the connection's token expiry).
    ws_ping_seconds: float = 15.0
    # Document links (Document.url): signed for one viewer and one document, valid this long.
    document_link_minutes: int = 10
    # HTTP edge: browser origins allowed by CORS (exact, comma-separated; empty: same origin only), and how
    # long shared caches may keep an anonymous GET of the public catalogue.
    cors_origins: str = ""
    public_cache_seconds: int = 60
    # Trusted documents: the manifest file (JSON sha256 -> document, GraphQL Codegen's client preset), whether
    # only its documents run, and the bytes of documents that Apollo's APQ may register per process.
    trusted_documents: str = ""
    trusted_documents_only: bool = False
    apq_cache_bytes: int = 4 * 1024 * 1024
    # X4: e-mails that anyone may trigger (password reset, verification link) per recipient, and sign-ups
    # per client address, within their windows.
    mail_max_per_recipient: int = 5
    mail_rate_window_minutes: int = 60
    signup_max_per_address: int = 30
    signup_window_minutes: int = 60
    # X4: the peers whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips
    # syntax: addresses and networks separated by commas, or "*"); empty believes nobody.
    trusted_proxies: str = ""
    # X1: the largest request body read (413 above it).
    max_body_bytes: int = 1_048_576
    # Structures (S3)
    review_deadline_hours: int = 48
    # Registrations (G3-G5)
    annual_quota: int = 5
    formation_quota: int = 3
    structure_cap: int = 2
    staggered_opening: bool = False
    # Sessions and quality (T5, Q1)
    evaluation_days: int = 60
    # T5: days before a session's start at which accepted participants are reminded ("7,1": a week and a day).
    reminder_days: str = "7,1"
    # G7': how long a seat offered to a waitlisted person is held for him (hours; decimals allowed).
    seat_offer_hours: float = 48.0
    # The scheduler (G7' deadlines, G9 closing, reminders): how often it looks for due tasks, and how long a
    # claimed task stays reserved to the process that claimed it (a process that dies loses it after this).
    scheduler_interval_seconds: float = 15.0
    scheduler_lease_seconds: float = 300.0
    # Retention (GDPR): what `parcourspro-gql purge` deletes once it has outlived its period.
    retention_mail_days: int = 90
    retention_security_days: int = 30
    retention_unverified_days: int = 30
    retention_audit_days: int = 6 * 365
    retention_evidence_days: int = 6 * 365
    # Mail delivery (issue 20): a claim is a lease of this length, renewed before each send; a send that
    # outlives its own limit is abandoned, so one send never outlives the lease that covers it.
    mail_lease_seconds: float = 300.0
    mail_send_timeout_seconds: float = 60.0
    # The engine's shortcuts (plans, leaf fast path, the view's short path, rows from the instance dict); off,
    # the API is plain strawberry and graphql-core: the same answers, slower (CI runs the suite both ways).
    fast_paths: bool = True
    # Database time limits (issue 20): nothing waits on the database for longer than these.
    db_connect_timeout_seconds: float = 5.0
    db_command_timeout_seconds: float = 20.0
    db_pool_timeout_seconds: float = 10.0
    db_statement_timeout_seconds: float = 15.0
    db_lock_timeout_seconds: float = 5.0
    sqlite_busy_timeout_seconds: float = 10.0
    # Readiness (/health/ready): its whole budget, the free disk it requires next to a SQLite file, and the
    # age past which a due email counts as backlog.
    health_timeout_seconds: float = 1.5
    health_min_free_disk_mb: int = 100
    health_outbox_max_age_minutes: int = 10
    # The Retry-After of a 503 when the database is unavailable.
    retry_after_seconds: int = 5
    # Full tracebacks logged per minute and process; beyond, errors are logged in one line.
    log_tracebacks_per_minute: int = 10

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def reminder_day_list(self) -> tuple[int, ...]:
        """PARCOURSPRO_REMINDER_DAYS as numbers of days, largest first (checked at load)."""
        return tuple(
            sorted({int(part) for part in self.reminder_days.split(",") if part.strip()}, reverse=True)
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_INT_FIELDS = {
    "mail_max_attempts",
    "password_hash_memory_mb",
    "verify_token_ttl_hours",
    "reset_token_ttl_minutes",
    "access_token_ttl_minutes",
    "refresh_token_ttl_days",
    "refresh_reuse_grace_seconds",
    "auth_cache_seconds",
    "login_max_failures_per_account_address",
    "login_max_failures_per_account",
    "mail_max_per_recipient",
    "mail_rate_window_minutes",
    "signup_max_per_address",
    "signup_window_minutes",
    "max_body_bytes",
    "login_max_failures_per_address",
    "login_window_minutes",
    "review_deadline_hours",
    "public_cache_seconds",
    "document_link_minutes",
    "apq_cache_bytes",
    "annual_quota",
    "formation_quota",
    "structure_cap",
    "evaluation_days",
    "retention_mail_days",
    "retention_security_days",
    "retention_unverified_days",
    "retention_audit_days",
    "retention_evidence_days",
    "health_min_free_disk_mb",
    "health_outbox_max_age_minutes",
    "retry_after_seconds",
    "log_tracebacks_per_minute",
}
_FLOAT_FIELDS = {
    "mail_lease_seconds",
    "mail_send_timeout_seconds",
    "ws_ping_seconds",
    "seat_offer_hours",
    "scheduler_interval_seconds",
    "scheduler_lease_seconds",
    "db_connect_timeout_seconds",
    "db_command_timeout_seconds",
    "db_pool_timeout_seconds",
    "db_statement_timeout_seconds",
    "db_lock_timeout_seconds",
    "sqlite_busy_timeout_seconds",
    "health_timeout_seconds",
}
# Of those, the ones that must be strictly positive (an offer, a loop interval, a lease of 0 make no sense).
_POSITIVE_FIELDS = {"seat_offer_hours", "scheduler_interval_seconds", "scheduler_lease_seconds"}
_BOOL_FIELDS = {"staggered_opening", "mail_dispatch", "fast_paths", "trusted_documents_only"}
_STR_FIELDS = {
    "reminder_days",
    "env",
    "database_url",
    "secret_key",
    "public_url",
    "mail_url",
    "mail_from",
    "log_level",
    "password_hash_profile",
    "jwt_private_key",
    "oidc_issuer",
    "oidc_audience",
    "cors_origins",
    "trusted_documents",
    "trusted_proxies",
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read PARCOURSPRO_* variables; in development, generate a secret key into var/ if none is set."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name in _INT_FIELDS | _FLOAT_FIELDS | _BOOL_FIELDS | _STR_FIELDS | {"var_dir"}:
        raw = environ.get(f"PARCOURSPRO_{name.upper()}")
        if raw is None:
            continue
        if name in _INT_FIELDS:
            try:
                values[name] = int(raw)
            except ValueError as error:
                raise ConfigError(f"PARCOURSPRO_{name.upper()} must be an integer") from error
        elif name in _FLOAT_FIELDS:
            values[name] = _seconds(name, raw)
            if name in _POSITIVE_FIELDS and not values[name]:
                raise ConfigError(f"PARCOURSPRO_{name.upper()} must be a positive number")
        elif name in _BOOL_FIELDS:
            values[name] = _bool(raw)
        elif name == "var_dir":
            values[name] = Path(raw)
        else:
            values[name] = raw
    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.env not in {"development", "production"}:
        raise ConfigError("PARCOURSPRO_ENV must be 'development' or 'production'")
    if settings.password_hash_profile not in {"default", "test"}:
        raise ConfigError("PARCOURSPRO_PASSWORD_HASH_PROFILE must be 'default' or 'test'")
    if settings.is_production and settings.password_hash_profile != "default":
        raise ConfigError("the 'test' password hash profile is refused in production")
    if not 0 < settings.ws_ping_seconds <= 3600:
        raise ConfigError("PARCOURSPRO_WS_PING_SECONDS must be more than 0 and at most 3600")
    if settings.password_hash_memory_mb < 1:
        raise ConfigError("PARCOURSPRO_PASSWORD_HASH_MEMORY_MB must be 1 or more")
    if settings.auth_cache_seconds < 0:
        raise ConfigError("PARCOURSPRO_AUTH_CACHE_SECONDS must be 0 or more")
    _check_time_limits(settings)
    try:
        days = settings.reminder_day_list
    except ValueError as error:
        raise ConfigError(
            "PARCOURSPRO_REMINDER_DAYS must be whole numbers of days separated by commas"
        ) from error
    if any(not 1 <= day <= 60 for day in days):
        raise ConfigError("PARCOURSPRO_REMINDER_DAYS must be days from 1 to 60")
    if settings.public_cache_seconds < 0:
        raise ConfigError("PARCOURSPRO_PUBLIC_CACHE_SECONDS must be 0 or more")
    if settings.trusted_documents_only and not settings.trusted_documents:
        raise ConfigError(
            "PARCOURSPRO_TRUSTED_DOCUMENTS_ONLY needs a manifest in PARCOURSPRO_TRUSTED_DOCUMENTS"
        )
    if not 0 <= settings.refresh_reuse_grace_seconds <= 300:
        raise ConfigError("PARCOURSPRO_REFRESH_REUSE_GRACE_SECONDS must be between 0 and 300")
    if not 1 <= settings.document_link_minutes <= 24 * 60:
        raise ConfigError("PARCOURSPRO_DOCUMENT_LINK_MINUTES must be between 1 and 1440")
    if settings.apq_cache_bytes < 0:
        raise ConfigError("PARCOURSPRO_APQ_CACHE_BYTES must be 0 or more")
    for origin in settings.cors_origins.split(","):
        if origin.strip() and not _ORIGIN.match(origin.strip().rstrip("/")):
            raise ConfigError(
                f"PARCOURSPRO_CORS_ORIGINS: {origin.strip()!r} is not an exact origin (scheme://host[:port])"
            )
    if settings.max_body_bytes < 1024:
        raise ConfigError("PARCOURSPRO_MAX_BODY_BYTES must be at least 1024")
    if bool(settings.oidc_issuer) != bool(settings.oidc_audience):
        raise ConfigError("PARCOURSPRO_OIDC_ISSUER and PARCOURSPRO_OIDC_AUDIENCE go together")
    if not settings.secret_key:
        if settings.is_production:
            raise ConfigError("PARCOURSPRO_SECRET_KEY is required in production")
        settings = _with_dev_secret(settings)
    elif settings.is_production and len(settings.secret_key) < 32:
        raise ConfigError("PARCOURSPRO_SECRET_KEY must be at least 32 characters")
    return settings


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as error:
        raise ConfigError(f"PARCOURSPRO_{name.upper()} must be a number of seconds") from error
    if not 0 <= value < float("inf"):
        raise ConfigError(f"PARCOURSPRO_{name.upper()} must be 0 or more")
    return value


def _check_time_limits(settings: Settings) -> None:
    """Limits that only make sense together: a send must fit in its lease, a readiness check must answer
    before an orchestrator's probe gives up (they wait 1 s by default, some allow a few)."""
    if not 0 < settings.mail_send_timeout_seconds < settings.mail_lease_seconds:
        raise ConfigError(
            "PARCOURSPRO_MAIL_SEND_TIMEOUT_SECONDS must be above 0 and below PARCOURSPRO_MAIL_LEASE_SECONDS"
        )
    if not 0.1 <= settings.health_timeout_seconds <= 10:
        raise ConfigError("PARCOURSPRO_HEALTH_TIMEOUT_SECONDS must be between 0.1 and 10")
    for name in ("db_connect_timeout_seconds", "db_command_timeout_seconds", "db_pool_timeout_seconds"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"PARCOURSPRO_{name.upper()} must be above 0")
    if settings.retry_after_seconds < 1 or settings.log_tracebacks_per_minute < 0:
        raise ConfigError(
            "PARCOURSPRO_RETRY_AFTER_SECONDS must be 1 or more, tracebacks per minute 0 or more"
        )


def _with_dev_secret(settings: Settings) -> Settings:
    path = settings.var_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # "x" mode: when several workers start together, exactly one writes the key.
        with open(path, "x", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
            handle.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return replace(settings, secret_key=path.read_text().strip())

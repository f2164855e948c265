"""Settings of every component, composed from one environment reader.

Values come from the process environment, then from the project's `.env` (the environment
wins; `.env` never changes `os.environ`), and an explicit `--db-url` beats both. Each component
reads its own group (`MigrationSettings`, `PoolSettings`, `SupabaseSettings`, `WorkerSettings`,
`EmailSettings`), all through `Environment`, so parsing and error messages are the same everywhere.
docs/cli.md lists them.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from luneo.core.errors import ConfigError, UsageError

URL_VARIABLES = ("DATABASE_URL", "SUPABASE_DB_URL")
_DURATION = re.compile(r"^(?P<number>\d+(\.\d+)?)\s*(?P<unit>us|ms|s|min|h|d)?$")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_UNIT_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def duration_seconds(duration: str) -> float:
    """Seconds in a Postgres duration as `Environment.duration` accepts it (bare number: ms)."""
    match = _DURATION.match(duration.strip())
    if match is None:
        raise ValueError(f"not a Postgres duration: {duration!r}")
    return float(match["number"]) * _UNIT_SECONDS[match["unit"] or "ms"]


class Environment:
    """Typed reads of configuration variables, with one-line errors naming the variable."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    @classmethod
    def load(cls, project_dir: Path) -> Environment:
        env_file = project_dir / ".env"
        from_file: dict[str, str] = {}
        if env_file.is_file():
            from dotenv import dotenv_values

            from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        return cls({**from_file, **os.environ})

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None or value == "" else value

    def number(self, name: str, default: float, *, unit: str = "seconds") -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of {unit}, got {raw!r}") from None
        if value < 0:
            raise ConfigError(f"{name} must not be negative, got {raw!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {raw!r}")
        return value

    def positive(self, name: str, default: float, *, unit: str = "seconds") -> float:
        """A number above zero (an interval or a timeout a loop waits on)."""
        value = self.number(name, default, unit=unit)
        if value <= 0:
            raise ConfigError(f"{name} must be above 0 {unit}, got {self.text(name)!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no setting: 1, true, yes, on or 0, false, no, off (any case)."""
        raw = self.text(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off), got {raw!r}")

    def duration(self, name: str, default: str) -> str:
        """A Postgres duration (`5s`, `200ms`, `1min`; a bare number is milliseconds)."""
        raw = self.text(name, default) or default
        if not _DURATION.match(raw.strip()):
            raise ConfigError(f"{name} must be a Postgres duration such as 5s or 200ms, got {raw!r}")
        return raw.strip()


@dataclass(frozen=True)
class MigrationSettings:
    """`luneo db apply` and friends."""

    lock_wait_seconds: float = 60.0
    """How long `apply` waits for the migration lock (LUNEO_LOCK_WAIT)."""
    ddl_lock_timeout: str = "1s"
    """`lock_timeout` of every statement of a migration session (LUNEO_DDL_LOCK_TIMEOUT). While
    DDL waits for its lock, API queries on the table queue behind it, and Supabase gives `anon`
    a 3 s statement timeout: the wait must end well before that."""
    ddl_retries: int = 10
    """Retries, with backoff, of work that hit `lock_timeout` (LUNEO_DDL_RETRIES)."""

    @classmethod
    def from_env(cls, env: Environment) -> MigrationSettings:
        return cls(
            lock_wait_seconds=env.number("LUNEO_LOCK_WAIT", cls.lock_wait_seconds),
            ddl_lock_timeout=env.duration("LUNEO_DDL_LOCK_TIMEOUT", cls.ddl_lock_timeout),
            ddl_retries=env.integer("LUNEO_DDL_RETRIES", cls.ddl_retries),
        )


@dataclass(frozen=True)
class PoolSettings:
    """The async connection pool of a long-running process (the workers)."""

    min_size: int = 1
    max_size: int = 10
    timeout: float = 30.0
    """Seconds to wait for a connection (LUNEO_POOL_TIMEOUT)."""

    @classmethod
    def from_env(cls, env: Environment) -> PoolSettings:
        min_size = env.integer("LUNEO_POOL_MIN_SIZE", cls.min_size)
        max_size = env.integer("LUNEO_POOL_MAX_SIZE", cls.max_size, minimum=1)
        if max_size < min_size:
            raise ConfigError(f"LUNEO_POOL_MAX_SIZE ({max_size}) is below LUNEO_POOL_MIN_SIZE ({min_size})")
        return cls(min_size, max_size, env.number("LUNEO_POOL_TIMEOUT", cls.timeout))


@dataclass(frozen=True)
class WorkerSettings:
    """`luneo worker run`: the worker runtime and what its workers share (docs/workers.md)."""

    concurrency: int = 16
    """Jobs in flight at once in this process, all workers together (LUNEO_WORKER_CONCURRENCY,
    `--concurrency`)."""
    shutdown_timeout: float = 30.0
    """Seconds in-flight work gets to finish after SIGTERM/SIGINT before it is cancelled and its
    leases released (LUNEO_WORKER_SHUTDOWN_TIMEOUT)."""
    poll_interval: float = 5.0
    """Longest wait, in seconds, between two passes of a worker that nothing wakes
    (LUNEO_WORKER_POLL_INTERVAL); a worker whose own `poll_interval` is shorter polls more often."""
    heartbeat_interval: float = 10.0
    """Seconds between two heartbeats (private.worker_heartbeats) and queue gauge refreshes
    (LUNEO_WORKER_HEARTBEAT_INTERVAL)."""
    host: str = "127.0.0.1"
    """Address of the health and metrics endpoint (LUNEO_WORKER_HOST)."""
    port: int = 9464
    """Port of the health and metrics endpoint, 0 for any free port (LUNEO_WORKER_PORT, `--port`)."""
    lease_seconds: float = 60.0
    """How long a claimed job stays reserved for this process (LUNEO_WORKER_LEASE): past it,
    another process may take the job over."""
    emails: EmailSettings = field(default_factory=lambda: EmailSettings())
    """The emails worker: its provider, sender and links (LUNEO_EMAIL_*, docs/emails.md)."""
    webhooks_allow_http_loopback: bool = False
    """Development only: let the webhooks worker deliver over plain HTTP to loopback addresses
    (LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK)."""
    stripe: StripeSettings = field(default_factory=lambda: StripeSettings())
    """The stripe worker: the webhook receiver's secrets, the API key (STRIPE_*, docs/billing.md)."""
    supabase: SupabaseSettings = field(default_factory=lambda: SupabaseSettings())
    """Where the billing endpoints check callers' JWTs (SUPABASE_URL, SUPABASE_ANON_KEY)."""

    @classmethod
    def from_env(cls, env: Environment) -> WorkerSettings:
        port = env.integer("LUNEO_WORKER_PORT", cls.port)
        if port > 65535:
            raise ConfigError(f"LUNEO_WORKER_PORT must be a port number (0 to 65535), got {port}")
        return cls(
            concurrency=env.integer("LUNEO_WORKER_CONCURRENCY", cls.concurrency, minimum=1),
            shutdown_timeout=env.number("LUNEO_WORKER_SHUTDOWN_TIMEOUT", cls.shutdown_timeout),
            poll_interval=env.positive("LUNEO_WORKER_POLL_INTERVAL", cls.poll_interval),
            heartbeat_interval=env.positive("LUNEO_WORKER_HEARTBEAT_INTERVAL", cls.heartbeat_interval),
            host=env.text("LUNEO_WORKER_HOST", cls.host) or cls.host,
            port=port,
            lease_seconds=env.positive("LUNEO_WORKER_LEASE", cls.lease_seconds),
            emails=EmailSettings.from_env(env),
            webhooks_allow_http_loopback=env.flag(
                "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK", cls.webhooks_allow_http_loopback
            ),
            stripe=StripeSettings.from_env(env),
            supabase=SupabaseSettings.from_env(env),
        )


@dataclass(frozen=True)
class SupabaseSettings:
    """What a frontend needs to reach the Supabase API (`luneo status` prints it, as `supabase
    status` does). Each value is read from its server-side name, else from the Next.js one."""

    api_url: str | None = None
    """SUPABASE_URL, else NEXT_PUBLIC_SUPABASE_URL."""
    anon_key: str | None = None
    """SUPABASE_ANON_KEY, else NEXT_PUBLIC_SUPABASE_ANON_KEY: public by design (it ships in the
    browser bundle), RLS is what guards the data."""
    service_role_key: str | None = field(default=None, repr=False)
    """SUPABASE_SERVICE_ROLE_KEY: bypasses RLS, a secret; never printed."""

    @classmethod
    def from_env(cls, env: Environment) -> SupabaseSettings:
        return cls(
            api_url=env.text("SUPABASE_URL") or env.text("NEXT_PUBLIC_SUPABASE_URL"),
            anon_key=env.text("SUPABASE_ANON_KEY") or env.text("NEXT_PUBLIC_SUPABASE_ANON_KEY"),
            service_role_key=env.text("SUPABASE_SERVICE_ROLE_KEY"),
        )


@dataclass(frozen=True)
class StripeSettings:
    """Stripe billing (docs/billing.md): the webhook receiver and the Checkout and Billing Portal
    endpoints."""

    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    """STRIPE_WEBHOOK_SECRET: the endpoint's signing secret (`whsec_...`); during a rotation,
    several separated by commas, any of which may sign. Unset: the receiver answers 404."""
    secret_key: str | None = field(default=None, repr=False)
    """STRIPE_SECRET_KEY: the API key the Checkout and Billing Portal endpoints call Stripe with."""
    api_base: str = "https://api.stripe.com"
    """STRIPE_API_BASE: Stripe's API origin (tests point it at a loopback server)."""
    tolerance: int = 300
    """STRIPE_WEBHOOK_TOLERANCE: seconds a signature's timestamp may be old (replay protection)."""

    @classmethod
    def from_env(cls, env: Environment) -> StripeSettings:
        secrets = tuple(s.strip() for s in (env.text("STRIPE_WEBHOOK_SECRET") or "").split(",") if s.strip())
        return cls(
            webhook_secrets=secrets,
            secret_key=env.text("STRIPE_SECRET_KEY"),
            api_base=_api_url(env, "STRIPE_API_BASE", cls.api_base),
            tolerance=env.integer("STRIPE_WEBHOOK_TOLERANCE", cls.tolerance, minimum=1),
        )


EMAIL_PROVIDERS = ("console", "smtp", "brevo", "sendgrid")
SMTP_TLS_MODES = ("starttls", "tls", "none")
_SMTP_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


@dataclass(frozen=True)
class EmailSettings:
    """Outgoing email (docs/emails-providers.md): which provider sends, and the secrets the inbound
    deliverability webhooks are checked with. A provider chosen without what it needs is refused
    here, at startup, rather than on the first email."""

    provider: str = "console"
    """LUNEO_EMAIL_PROVIDER: `console` (development: printed, never sent), `smtp`, `brevo` or
    `sendgrid`."""
    sender: str = "no-reply@localhost"
    """LUNEO_EMAIL_FROM: the From address of every email."""
    sender_name: str = "Luneo"
    """LUNEO_EMAIL_FROM_NAME: the From display name."""
    reply_to: str | None = None
    """LUNEO_EMAIL_REPLY_TO: where replies go, when not to the From address."""
    http_timeout: float = 10.0
    """LUNEO_EMAIL_TIMEOUT: seconds for each phase (connect, write, read) of a request to an HTTP
    provider (Brevo, SendGrid)."""
    smtp_host: str | None = None
    """SMTP_HOST: required with the `smtp` provider."""
    smtp_port: int = 587
    """SMTP_PORT: defaults to the TLS mode's usual port (587 starttls, 465 tls, 25 none)."""
    smtp_username: str | None = None
    """SMTP_USERNAME: set with SMTP_PASSWORD, or neither (no AUTH)."""
    smtp_password: str | None = field(default=None, repr=False)
    """SMTP_PASSWORD: a secret; never printed."""
    smtp_tls: str = "starttls"
    """SMTP_TLS: `starttls` (required upgrade of a plain connection), `tls` (implicit TLS from the
    first byte) or `none` (plain text: a local relay or a test server only)."""
    smtp_timeout: float = 30.0
    """SMTP_TIMEOUT: seconds any one step of an SMTP conversation may take."""
    brevo_api_key: str | None = field(default=None, repr=False)
    """BREVO_API_KEY: required with the `brevo` provider; a secret."""
    brevo_api_url: str = "https://api.brevo.com"
    """BREVO_API_URL: Brevo's API origin (tests point it at a loopback server)."""
    sendgrid_api_key: str | None = field(default=None, repr=False)
    """SENDGRID_API_KEY: required with the `sendgrid` provider; a secret."""
    sendgrid_api_url: str = "https://api.sendgrid.com"
    """SENDGRID_API_URL: SendGrid's API origin (`https://api.eu.sendgrid.com` for EU subusers)."""
    brevo_webhook_token: str | None = field(default=None, repr=False)
    """BREVO_WEBHOOK_TOKEN: the token Brevo's event webhook is created with (`auth.type` bearer),
    or the password of the credentials put in its URL; Brevo signs nothing, so this shared
    secret is all that tells its calls from a stranger's. A secret."""
    sendgrid_webhook_public_key: str | None = None
    """SENDGRID_WEBHOOK_PUBLIC_KEY: the base64 verification key SendGrid shows once its Signed
    Event Webhook is enabled (a public key: not a secret)."""
    app_url: str = "http://localhost:3000"
    """LUNEO_APP_URL: the frontend's origin; links in emails point there."""
    public_url: str | None = None
    """LUNEO_PUBLIC_URL: the public origin of `luneo worker run`'s HTTP endpoint, where unsubscribe
    links point and the providers' event webhooks are set up; default
    `http://<LUNEO_WORKER_HOST>:<LUNEO_WORKER_PORT>`."""

    @classmethod
    def from_env(cls, env: Environment) -> EmailSettings:
        provider = (env.text("LUNEO_EMAIL_PROVIDER", cls.provider) or cls.provider).strip().lower()
        if provider not in EMAIL_PROVIDERS:
            raise ConfigError(
                f"LUNEO_EMAIL_PROVIDER must be one of {', '.join(EMAIL_PROVIDERS)}, got {provider!r}"
            )
        tls = (env.text("SMTP_TLS", cls.smtp_tls) or cls.smtp_tls).strip().lower()
        if tls not in SMTP_TLS_MODES:
            raise ConfigError(f"SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, got {tls!r}")
        port = env.integer("SMTP_PORT", _SMTP_DEFAULT_PORTS[tls], minimum=1)
        if port > 65535:
            raise ConfigError(f"SMTP_PORT must be a port number (1 to 65535), got {port}")
        settings = cls(
            provider=provider,
            sender=_address(env, "LUNEO_EMAIL_FROM", cls.sender) or cls.sender,
            sender_name=_header_text(env, "LUNEO_EMAIL_FROM_NAME", cls.sender_name) or cls.sender_name,
            reply_to=_address(env, "LUNEO_EMAIL_REPLY_TO", None),
            http_timeout=env.positive("LUNEO_EMAIL_TIMEOUT", cls.http_timeout),
            smtp_host=env.text("SMTP_HOST"),
            smtp_port=port,
            smtp_username=env.text("SMTP_USERNAME"),
            smtp_password=env.text("SMTP_PASSWORD"),
            smtp_tls=tls,
            smtp_timeout=env.positive("SMTP_TIMEOUT", cls.smtp_timeout),
            brevo_api_key=env.text("BREVO_API_KEY"),
            brevo_api_url=_api_url(env, "BREVO_API_URL", cls.brevo_api_url),
            sendgrid_api_key=env.text("SENDGRID_API_KEY"),
            sendgrid_api_url=_api_url(env, "SENDGRID_API_URL", cls.sendgrid_api_url),
            brevo_webhook_token=env.text("BREVO_WEBHOOK_TOKEN"),
            sendgrid_webhook_public_key=_base64(env, "SENDGRID_WEBHOOK_PUBLIC_KEY"),
            app_url=_api_url(env, "LUNEO_APP_URL", cls.app_url),
            public_url=_api_url(env, "LUNEO_PUBLIC_URL", "") if env.text("LUNEO_PUBLIC_URL") else None,
        )
        settings._check_provider()
        return settings

    def _check_provider(self) -> None:
        """The chosen provider has what it needs (the others' settings may be missing)."""
        if self.provider == "smtp":
            if self.smtp_host is None:
                raise ConfigError("LUNEO_EMAIL_PROVIDER=smtp needs SMTP_HOST")
            if (self.smtp_username is None) != (self.smtp_password is None):
                missing = "SMTP_PASSWORD" if self.smtp_password is None else "SMTP_USERNAME"
                raise ConfigError(f"SMTP_USERNAME and SMTP_PASSWORD go together: {missing} is not set")
        elif self.provider == "brevo" and self.brevo_api_key is None:
            raise ConfigError("LUNEO_EMAIL_PROVIDER=brevo needs BREVO_API_KEY")
        elif self.provider == "sendgrid" and self.sendgrid_api_key is None:
            raise ConfigError("LUNEO_EMAIL_PROVIDER=sendgrid needs SENDGRID_API_KEY")


def _header_text(env: Environment, name: str, default: str | None) -> str | None:
    """Text that ends up in an email header: a line break in it would start a header of its own."""
    value = env.text(name, default)
    if value is not None and any(c in value for c in "\r\n\0"):
        raise ConfigError(f"{name} must be a single line")
    return value


def _address(env: Environment, name: str, default: str | None) -> str | None:
    value = _header_text(env, name, default)
    if value is None:
        return None
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or any(c.isspace() or c in "<>," for c in value):
        raise ConfigError(f"{name} must be a bare email address such as no-reply@example.com, got {value!r}")
    return value


def _api_url(env: Environment, name: str, default: str) -> str:
    value = (env.text(name, default) or default).strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise ConfigError(f"{name} must be an http(s):// URL, got {value!r}")
    return value


def _base64(env: Environment, name: str) -> str | None:
    value = env.text(name)
    if value is None:
        return None
    value = "".join(value.split())
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{name} must be the base64 key the provider shows") from None
    return value


@dataclass(frozen=True)
class Settings:
    """Everything a command or a worker needs to know before it touches the database."""

    project_dir: Path
    database_url: str | None
    """None means: use the embedded Postgres under `<project_dir>/.luneo/`."""
    migrations: MigrationSettings = field(default_factory=MigrationSettings)
    pool: PoolSettings = field(default_factory=PoolSettings)
    supabase: SupabaseSettings = field(default_factory=SupabaseSettings)
    workers: WorkerSettings = field(default_factory=WorkerSettings)

    @property
    def embedded_dir(self) -> Path:
        return self.project_dir / ".luneo"


def find_project(start: Path) -> Path:
    """The nearest directory holding `supabase/`, from `start` upward (as the Supabase CLI
    finds its project); `start` itself when there is none."""
    start = start.resolve()
    return next((d for d in (start, *start.parents) if (d / "supabase").is_dir()), start)


def load_settings(project_dir: Path | str | None = None, database_url: str | None = None) -> Settings:
    """Read settings; an explicit `database_url` wins over the environment and `.env`.

    `project_dir` None: the project around the current directory (`find_project`), so that
    commands run from `supabase/migrations/` or any other subdirectory find it."""
    project = find_project(Path.cwd()) if project_dir is None else Path(project_dir).expanduser().resolve()
    if not project.is_dir():
        raise UsageError(f"project directory {project} does not exist")
    env = Environment.load(project)
    url = database_url or next((v for name in URL_VARIABLES if (v := env.text(name))), None)
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("the database URL must start with postgresql:// or postgres://")
    return Settings(
        project_dir=project,
        database_url=url,
        migrations=MigrationSettings.from_env(env),
        pool=PoolSettings.from_env(env),
        supabase=SupabaseSettings.from_env(env),
        workers=WorkerSettings.from_env(env),
    )

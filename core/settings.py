"""Settings of every component, composed from one environment reader.

Values come from the process environment, then from the project's `.env` (the environment
wins; `.env` never changes `os.environ`), and an explicit `--db-url` beats both. Each component
reads its own group (`MigrationSettings`, `PoolSettings`, `SupabaseSettings`, `WorkerSettings`),
all through `Environment`, so parsing and error messages are the same everywhere.
docs/cli.md lists them.
"""

from __future__ import annotations

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
    webhooks_allow_http_loopback: bool = False
    """Development only: let the webhooks worker deliver over plain HTTP to loopback addresses
    (LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK)."""

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
            webhooks_allow_http_loopback=env.flag(
                "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK", cls.webhooks_allow_http_loopback
            ),
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

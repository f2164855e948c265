"""Configuration from flags, the environment and the project's `.env` file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from luneo.core.errors import ConfigError, UsageError

URL_VARIABLES = ("DATABASE_URL", "SUPABASE_DB_URL")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know before it touches the database."""

    project_dir: Path
    database_url: str | None
    """None means: use the embedded Postgres under `<project_dir>/.luneo/`."""
    lock_wait_seconds: float
    ddl_lock_timeout: str
    ddl_retries: int

    @property
    def embedded_dir(self) -> Path:
        return self.project_dir / ".luneo"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def load_settings(project_dir: Path | str = ".", database_url: str | None = None) -> Settings:
    """Read settings; an explicit `database_url` wins over the environment and `.env`."""
    project = Path(project_dir).expanduser().resolve()
    if not project.is_dir():
        raise UsageError(f"project directory {project} does not exist")
    env_file = project / ".env"
    if env_file.is_file():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)
    url = database_url or next((os.environ[v] for v in URL_VARIABLES if os.environ.get(v)), None)
    if url is not None and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("the database URL must start with postgresql:// or postgres://")
    retries = int(_env_float("LUNEO_DDL_RETRIES", 3))
    return Settings(
        project_dir=project,
        database_url=url,
        lock_wait_seconds=_env_float("LUNEO_LOCK_WAIT", 60.0),
        ddl_lock_timeout=os.environ.get("LUNEO_DDL_LOCK_TIMEOUT", "5s"),
        ddl_retries=retries,
    )

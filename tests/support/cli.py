"""The real `luneo` command in a subprocess, with no database URL and no Supabase API settings
inherited from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LUNEO = [sys.executable, "-m", "luneo.cli.main"]
NOT_INHERITED = (
    "DATABASE_URL",
    "SUPABASE_DB_URL",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "NEXT_PUBLIC_SUPABASE_URL",
    "NEXT_PUBLIC_SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
)


def luneo(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """Run `luneo ARGS...`; its output as text, whatever the exit code."""
    base = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    return subprocess.run(
        [*LUNEO, *args], cwd=cwd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout
    )

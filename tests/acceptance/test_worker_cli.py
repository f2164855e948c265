"""`luneo worker run` as a real process: it prints its port, answers /health, exits 0 on SIGTERM
after deleting its heartbeat row, never prints the database password; `--only` with an unknown
worker is a usage error."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from luneo.core.db import passwords
from tests.support.cli import LUNEO, NOT_INHERITED, luneo
from tests.support.pg import REPO, superuser

PORT = re.compile(r"\bport=(\d+)\b")


def with_password(url: str) -> str:
    """The URL with a password (kept when it has one): one the output must never show. A server
    that trusts the connection never asks for it."""
    if passwords(url) or os.environ.get("PGPASSWORD"):
        return url
    parts = urlsplit(url)
    user, _, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{user.split(':')[0]}:W0rker-s3cret@{host}"))


def test_run_serves_health_and_stops_on_sigterm(db_url: str) -> None:
    url = with_password(db_url)
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env["LUNEO_WORKER_HEARTBEAT_INTERVAL"] = "0.5"
    lines: list[str] = []
    found = threading.Event()
    with subprocess.Popen(
        [*LUNEO, "worker", "run", "--db-url", url, "--port", "0", "--concurrency", "4"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:

        def read() -> None:
            assert process.stderr is not None
            for line in process.stderr:
                lines.append(line)
                if PORT.search(line):
                    found.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert found.wait(60), "".join(lines)
            port = int(next(m[1] for line in lines if (m := PORT.search(line))))
            base = f"http://127.0.0.1:{port}"
            health = httpx.get(f"{base}/health", timeout=10)
            for _ in range(100):  # 503 only until the LISTEN connection is up
                if health.status_code == 200:
                    break
                assert health.status_code == 503
                threading.Event().wait(0.1)
                health = httpx.get(f"{base}/health", timeout=10)
            assert health.status_code == 200, health.text
            body = health.json()
            assert body["status"] == "ok"
            assert list(body["workers"]) == ["maintenance", "webhooks", "emails", "stripe"]
            (row,) = superuser(db_url, "select worker_id, workers from private.worker_heartbeats")
            assert row == {
                "worker_id": body["worker_id"],
                "workers": ["maintenance", "webhooks", "emails", "stripe"],
            }
            assert "luneo_worker_up 1.0" in httpx.get(f"{base}/metrics", timeout=10).text.splitlines()

            process.send_signal(signal.SIGTERM)
            assert process.wait(60) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        reader.join(10)
        output = "".join(lines) + (process.stdout.read() if process.stdout else "")
    assert superuser(db_url, "select * from private.worker_heartbeats") == []
    assert "action=shutdown signal=SIGTERM" in output
    assert "action=stop" in output
    assert "Traceback" not in output
    for secret in passwords(url):
        assert secret not in output


def test_only_an_unknown_worker_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    result = luneo("worker", "run", "--only", "maintenance,nosuch", cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "error: unknown worker(s): nosuch; known workers: maintenance, webhooks, emails, stripe"
    )


def test_a_transaction_pooler_url_is_refused(tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    result = luneo(
        "worker", "run", "--db-url", "postgresql://u:Pool-s3cret@127.0.0.1:6543/postgres", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "transaction pooler" in result.stderr
    assert "Pool-s3cret" not in result.stderr

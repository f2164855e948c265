"""Settings precedence and URL helpers (no database)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from luneo.core import db
from luneo.core.errors import ConfigError, UsageError
from luneo.core.settings import (
    EmailSettings,
    Environment,
    MigrationSettings,
    PoolSettings,
    SupabaseSettings,
    WorkerSettings,
    duration_seconds,
    load_settings,
)

EMAIL_VARIABLES = (
    "LUNEO_EMAIL_PROVIDER",
    "LUNEO_EMAIL_FROM",
    "LUNEO_EMAIL_FROM_NAME",
    "LUNEO_EMAIL_REPLY_TO",
    "LUNEO_EMAIL_TIMEOUT",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_TLS",
    "SMTP_TIMEOUT",
    "BREVO_API_KEY",
    "BREVO_API_URL",
    "SENDGRID_API_KEY",
    "SENDGRID_API_URL",
    "BREVO_WEBHOOK_TOKEN",
    "SENDGRID_WEBHOOK_PUBLIC_KEY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DATABASE_URL",
        "SUPABASE_DB_URL",
        "LUNEO_LOCK_WAIT",
        "LUNEO_DDL_LOCK_TIMEOUT",
        "LUNEO_DDL_RETRIES",
        "LUNEO_POOL_MIN_SIZE",
        "LUNEO_POOL_MAX_SIZE",
        "LUNEO_POOL_TIMEOUT",
        "SUPABASE_URL",
        "SUPABASE_ANON_KEY",
        "NEXT_PUBLIC_SUPABASE_URL",
        "NEXT_PUBLIC_SUPABASE_ANON_KEY",
        "SUPABASE_SERVICE_ROLE_KEY",
        "LUNEO_WORKER_CONCURRENCY",
        "LUNEO_WORKER_SHUTDOWN_TIMEOUT",
        "LUNEO_WORKER_POLL_INTERVAL",
        "LUNEO_WORKER_HEARTBEAT_INTERVAL",
        "LUNEO_WORKER_HOST",
        "LUNEO_WORKER_PORT",
        "LUNEO_WORKER_LEASE",
        "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK",
        *EMAIL_VARIABLES,
    ):
        monkeypatch.delenv(name, raising=False)


def test_no_url_anywhere_means_the_embedded_default(tmp_path: Path) -> None:
    settings = load_settings(tmp_path)
    assert settings.database_url is None
    assert settings.embedded_dir == tmp_path.resolve() / ".luneo"
    assert settings.migrations == MigrationSettings(
        lock_wait_seconds=60.0, ddl_lock_timeout="1s", ddl_retries=10
    )
    assert settings.pool == PoolSettings(min_size=1, max_size=10, timeout=30.0)


def test_flag_beats_environment_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("DATABASE_URL=postgresql://dotenv@h/db\nLUNEO_LOCK_WAIT=7\n")
    assert load_settings(tmp_path).database_url == "postgresql://dotenv@h/db"
    monkeypatch.setenv("DATABASE_URL", "postgresql://env@h/db")
    assert load_settings(tmp_path).database_url == "postgresql://env@h/db"
    assert load_settings(tmp_path, "postgresql://flag@h/db").database_url == "postgresql://flag@h/db"
    assert load_settings(tmp_path).migrations.lock_wait_seconds == 7.0
    assert "LUNEO_LOCK_WAIT" not in os.environ  # .env is read, never written into the process


def test_supabase_db_url_is_read_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPABASE_DB_URL", "postgres://s@h:5432/postgres")
    assert load_settings(tmp_path).database_url == "postgres://s@h:5432/postgres"


def test_bad_settings_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_settings(tmp_path / "missing")
    with pytest.raises(ConfigError, match="must start with postgresql://"):
        load_settings(tmp_path, "mysql://x")
    monkeypatch.setenv("LUNEO_LOCK_WAIT", "soon")
    with pytest.raises(ConfigError, match="LUNEO_LOCK_WAIT must be a number of seconds"):
        load_settings(tmp_path)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LUNEO_DDL_RETRIES", "many", "LUNEO_DDL_RETRIES must be a whole number"),
        ("LUNEO_DDL_RETRIES", "-1", "LUNEO_DDL_RETRIES must be at least 0"),
        ("LUNEO_DDL_LOCK_TIMEOUT", "5s; drop table x", "LUNEO_DDL_LOCK_TIMEOUT must be a Postgres duration"),
        ("LUNEO_POOL_MAX_SIZE", "0", "LUNEO_POOL_MAX_SIZE must be at least 1"),
        ("LUNEO_POOL_MIN_SIZE", "20", r"LUNEO_POOL_MAX_SIZE \(10\) is below LUNEO_POOL_MIN_SIZE \(20\)"),
    ],
)
def test_each_component_reads_its_settings_through_one_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_component_settings_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("LUNEO_POOL_MAX_SIZE=4\nLUNEO_DDL_LOCK_TIMEOUT=200ms\n")
    monkeypatch.setenv("LUNEO_POOL_MIN_SIZE", "2")
    settings = load_settings(tmp_path)
    assert settings.pool == PoolSettings(min_size=2, max_size=4, timeout=30.0)
    assert settings.migrations.ddl_lock_timeout == "200ms"


def test_url_helpers() -> None:
    assert db.redact("postgresql://u:s3cret@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert db.uses_transaction_pooler("postgresql://u@aws-0.pooler.supabase.com:6543/postgres")
    assert not db.uses_transaction_pooler("postgresql://u@db.x.supabase.co:5432/postgres")
    assert db.is_local("postgresql://u@127.0.0.1/d")
    assert db.is_local("postgresql://u:@/d?host=/tmp/sock")
    assert not db.is_local("postgresql://u@db.x.supabase.co/d")
    assert db.with_database("postgresql://u:@/a?host=/tmp/s", "b") == "postgresql://u:@/b?host=/tmp/s"
    assert db.describe_target("postgresql://u:pw@h:6000/d") == "u@h:6000/d"
    assert db.redact("host=h user=u password='a b' dbname=d") == "host=h user=u password=*** dbname=d"
    assert db.database_name("postgresql://u@h:5432/shop") == "shop"


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("1s", 1.0), ("200ms", 0.2), ("1.5 s", 1.5), ("1min", 60.0), ("250", 0.25), ("500us", 0.0005)],
)
def test_duration_seconds_reads_what_the_duration_setting_accepts(duration: str, seconds: float) -> None:
    assert duration_seconds(duration) == pytest.approx(seconds)


def test_without_a_directory_the_project_is_found_upward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = tmp_path / "supabase" / "functions" / "billing"
    nested.mkdir(parents=True)
    (tmp_path / ".env").write_text("LUNEO_LOCK_WAIT=9\n")
    monkeypatch.chdir(nested)
    settings = load_settings()
    assert settings.project_dir == tmp_path.resolve()
    assert settings.migrations.lock_wait_seconds == 9.0
    monkeypatch.chdir(tmp_path.parent)  # no supabase/ here or above: the current directory
    assert load_settings().project_dir == tmp_path.parent.resolve()


def test_supabase_values_server_names_first_and_the_service_role_key_out_of_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(tmp_path).supabase == SupabaseSettings()
    (tmp_path / ".env").write_text(
        "NEXT_PUBLIC_SUPABASE_URL=http://next.invalid\nNEXT_PUBLIC_SUPABASE_ANON_KEY=anon-next\n"
        "SUPABASE_SERVICE_ROLE_KEY=role-secret\n"
    )
    monkeypatch.setenv("SUPABASE_URL", "http://server.invalid")
    supabase = load_settings(tmp_path).supabase
    assert (supabase.api_url, supabase.anon_key) == ("http://server.invalid", "anon-next")
    assert supabase.service_role_key == "role-secret"
    assert "role-secret" not in repr(load_settings(tmp_path))


def test_worker_settings_default_and_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings(tmp_path).workers == WorkerSettings(
        concurrency=16,
        shutdown_timeout=30.0,
        poll_interval=5.0,
        heartbeat_interval=10.0,
        host="127.0.0.1",
        port=9464,
        lease_seconds=60.0,
        webhooks_allow_http_loopback=False,
    )
    (tmp_path / ".env").write_text("LUNEO_WORKER_CONCURRENCY=4\nLUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK=yes\n")
    monkeypatch.setenv("LUNEO_WORKER_PORT", "0")
    monkeypatch.setenv("LUNEO_WORKER_HOST", "0.0.0.0")
    monkeypatch.setenv("LUNEO_WORKER_SHUTDOWN_TIMEOUT", "2.5")
    monkeypatch.setenv("LUNEO_WORKER_LEASE", "120")
    workers = load_settings(tmp_path).workers
    assert (workers.concurrency, workers.port, workers.host) == (4, 0, "0.0.0.0")
    assert (workers.shutdown_timeout, workers.lease_seconds) == (2.5, 120.0)
    assert workers.webhooks_allow_http_loopback is True
    monkeypatch.setenv("LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK", "Off")
    assert load_settings(tmp_path).workers.webhooks_allow_http_loopback is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LUNEO_WORKER_CONCURRENCY", "0", "LUNEO_WORKER_CONCURRENCY must be at least 1"),
        ("LUNEO_WORKER_PORT", "70000", "LUNEO_WORKER_PORT must be a port number"),
        ("LUNEO_WORKER_PORT", "http", "LUNEO_WORKER_PORT must be a whole number"),
        ("LUNEO_WORKER_POLL_INTERVAL", "0", "LUNEO_WORKER_POLL_INTERVAL must be above 0 seconds"),
        ("LUNEO_WORKER_HEARTBEAT_INTERVAL", "-1", "LUNEO_WORKER_HEARTBEAT_INTERVAL must not be negative"),
        (
            "LUNEO_WORKER_SHUTDOWN_TIMEOUT",
            "soon",
            "LUNEO_WORKER_SHUTDOWN_TIMEOUT must be a number of seconds",
        ),
        ("LUNEO_WORKER_LEASE", "0", "LUNEO_WORKER_LEASE must be above 0 seconds"),
        (
            "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK",
            "maybe",
            "LUNEO_WEBHOOKS_ALLOW_HTTP_LOOPBACK must be true or false",
        ),
    ],
)
def test_bad_worker_settings_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


# --- emails ------------------------------------------------------------------------------------


def test_email_settings_default_to_the_console(tmp_path: Path) -> None:
    assert load_settings(tmp_path).workers.emails == EmailSettings(
        provider="console",
        sender="no-reply@localhost",
        sender_name="Luneo",
        reply_to=None,
        http_timeout=10.0,
        smtp_host=None,
        smtp_port=587,
        smtp_username=None,
        smtp_password=None,
        smtp_tls="starttls",
        smtp_timeout=30.0,
        brevo_api_key=None,
        brevo_api_url="https://api.brevo.com",
        sendgrid_api_key=None,
        sendgrid_api_url="https://api.sendgrid.com",
        brevo_webhook_token=None,
        sendgrid_webhook_public_key=None,
    )


def test_smtp_settings_from_the_environment_and_secrets_out_of_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("SMTP_PASSWORD=smtp-s3cret\nBREVO_WEBHOOK_TOKEN=hook-s3cret\n")
    for name, value in {
        "LUNEO_EMAIL_PROVIDER": "SMTP",
        "LUNEO_EMAIL_FROM": "hello@luneo.example",
        "LUNEO_EMAIL_FROM_NAME": "Équipe Luneo",
        "LUNEO_EMAIL_REPLY_TO": "support@luneo.example",
        "SMTP_HOST": "smtp.example.net",
        "SMTP_USERNAME": "luneo",
        "SMTP_TLS": "tls",
        "SMTP_TIMEOUT": "12.5",
        "BREVO_API_KEY": "xkeysib-s3cret",
        "SENDGRID_API_KEY": "SG.s3cret",
    }.items():
        monkeypatch.setenv(name, value)
    emails = load_settings(tmp_path).workers.emails
    assert (emails.provider, emails.sender, emails.sender_name) == (
        "smtp",
        "hello@luneo.example",
        "Équipe Luneo",
    )
    assert (emails.smtp_host, emails.smtp_port, emails.smtp_tls) == ("smtp.example.net", 465, "tls")
    assert (emails.smtp_username, emails.smtp_password, emails.smtp_timeout) == ("luneo", "smtp-s3cret", 12.5)
    assert emails.reply_to == "support@luneo.example"
    shown = repr(load_settings(tmp_path))
    for secret in ("smtp-s3cret", "hook-s3cret", "xkeysib-s3cret", "SG.s3cret"):
        assert secret not in shown
    monkeypatch.setenv("SMTP_TLS", "none")
    assert load_settings(tmp_path).workers.emails.smtp_port == 25  # each TLS mode's usual port...
    monkeypatch.setenv("SMTP_PORT", "2525")
    assert load_settings(tmp_path).workers.emails.smtp_port == 2525  # ...unless one is set


def test_http_provider_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUNEO_EMAIL_PROVIDER", "sendgrid")
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.key")
    monkeypatch.setenv("SENDGRID_API_URL", "https://api.eu.sendgrid.com/")
    monkeypatch.setenv("LUNEO_EMAIL_TIMEOUT", "3")
    monkeypatch.setenv(
        "SENDGRID_WEBHOOK_PUBLIC_KEY", " MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n83T4O/n84iotIvIW4mdBgQ== "
    )
    emails = load_settings(tmp_path).workers.emails
    assert (emails.provider, emails.sendgrid_api_key, emails.http_timeout) == ("sendgrid", "SG.key", 3.0)
    assert emails.sendgrid_api_url == "https://api.eu.sendgrid.com"
    assert (
        emails.sendgrid_webhook_public_key == "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ=="
    )
    monkeypatch.setenv("LUNEO_EMAIL_PROVIDER", "brevo")
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-key")
    assert load_settings(tmp_path).workers.emails.provider == "brevo"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        (
            {"LUNEO_EMAIL_PROVIDER": "mailgun"},
            "LUNEO_EMAIL_PROVIDER must be one of console, smtp, brevo, sendgrid",
        ),
        ({"LUNEO_EMAIL_PROVIDER": "smtp"}, "LUNEO_EMAIL_PROVIDER=smtp needs SMTP_HOST"),
        ({"LUNEO_EMAIL_PROVIDER": "brevo"}, "LUNEO_EMAIL_PROVIDER=brevo needs BREVO_API_KEY"),
        ({"LUNEO_EMAIL_PROVIDER": "sendgrid", "BREVO_API_KEY": "k"}, "sendgrid needs SENDGRID_API_KEY"),
        (
            {"LUNEO_EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "SMTP_USERNAME": "u"},
            "SMTP_USERNAME and SMTP_PASSWORD go together: SMTP_PASSWORD is not set",
        ),
        (
            {"LUNEO_EMAIL_PROVIDER": "smtp", "SMTP_HOST": "h", "SMTP_PASSWORD": "p"},
            "SMTP_USERNAME and SMTP_PASSWORD go together: SMTP_USERNAME is not set",
        ),
        ({"SMTP_TLS": "ssl"}, "SMTP_TLS must be one of starttls, tls, none"),
        ({"SMTP_PORT": "70000"}, "SMTP_PORT must be a port number"),
        ({"SMTP_PORT": "0"}, "SMTP_PORT must be at least 1"),
        ({"SMTP_TIMEOUT": "0"}, "SMTP_TIMEOUT must be above 0 seconds"),
        ({"LUNEO_EMAIL_TIMEOUT": "fast"}, "LUNEO_EMAIL_TIMEOUT must be a number of seconds"),
        ({"LUNEO_EMAIL_FROM": "Luneo <no-reply@x.example>"}, "LUNEO_EMAIL_FROM must be a bare email address"),
        ({"LUNEO_EMAIL_FROM": "nobody"}, "LUNEO_EMAIL_FROM must be a bare email address"),
        ({"LUNEO_EMAIL_REPLY_TO": "a@b.example\r\nBcc: x@y"}, "LUNEO_EMAIL_REPLY_TO must be a single line"),
        ({"LUNEO_EMAIL_FROM_NAME": "Luneo\nBcc: x@y"}, "LUNEO_EMAIL_FROM_NAME must be a single line"),
        ({"BREVO_API_URL": "api.brevo.com"}, "BREVO_API_URL must be an http"),
        (
            {"SENDGRID_WEBHOOK_PUBLIC_KEY": "not base64!"},
            "SENDGRID_WEBHOOK_PUBLIC_KEY must be the base64 key",
        ),
    ],
)
def test_bad_email_settings_are_one_line_errors_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path)


def test_only_the_chosen_provider_needs_its_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUNEO_EMAIL_PROVIDER", "brevo")
    monkeypatch.setenv("BREVO_API_KEY", "xkeysib-key")
    emails = load_settings(tmp_path).workers.emails  # no SMTP_HOST, no SENDGRID_API_KEY: not needed
    assert (emails.smtp_host, emails.sendgrid_api_key) == (None, None)
    assert EmailSettings.from_env(Environment({})) == EmailSettings()

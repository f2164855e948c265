"""The worker runtime without a database: the registry (`--only`), the log line format, metrics."""

from __future__ import annotations

import logging

import pytest

from luneo.cli.output import logfmt
from luneo.core.errors import UsageError
from luneo.workers import registry
from luneo.workers.maintenance import Maintenance
from luneo.workers.metrics import Metrics


def test_only_selects_known_workers_once_in_the_order_given() -> None:
    assert [type(w) for w in registry.select(None)] == list(registry.WORKERS.values())
    assert [w.name for w in registry.select(" maintenance, maintenance ")] == ["maintenance"]


@pytest.mark.parametrize(
    ("only", "message"),
    [
        ("nosuch", "unknown worker(s): nosuch; known workers: maintenance, webhooks, emails, stripe"),
        (
            "maintenance,web,x",
            "unknown worker(s): web, x; known workers: maintenance, webhooks, emails, stripe",
        ),
        (" , ", "--only names no worker; known workers: maintenance, webhooks, emails, stripe"),
    ],
)
def test_an_unknown_worker_is_a_usage_error_naming_the_known_ones(only: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        registry.select(only)
    assert info.value.message == message
    assert info.value.exit_code == 2


def test_a_log_line_is_logfmt_with_worker_and_action_first() -> None:
    record = logging.makeLogRecord(
        {
            "name": "luneo.workers.runner",
            "levelno": logging.WARNING,
            "levelname": "WARNING",
            "msg": 'pass failed: %s "quoted"',
            "args": ("a b",),
            "created": 0.0,
            "worker": "maintenance",
            "action": "pass",
            "api_key_id": "2b0f",
            "error": "x=1",
            "skipped": None,
        }
    )
    assert logfmt(record) == (
        "ts=1970-01-01T00:00:00.000Z level=warning worker=maintenance action=pass api_key_id=2b0f "
        'error="x=1" msg="pass failed: a b \\"quoted\\""'
    )


def test_junk_usage_payloads_are_ignored_and_ids_counted(caplog: pytest.LogCaptureFixture) -> None:
    maintenance = Maintenance()
    key = "2b0f8c4e-9d7a-4f7e-8a1e-2f0b7b1f4a11"
    for payload in (key, key.upper(), "drop table x", "", key):
        maintenance.on_notification("luneo_api_key_usage", payload)
    maintenance.on_notification("another_channel", key)
    assert {str(k): n for k, n in maintenance.pending_usage.items()} == {key: 3}
    assert len([r for r in caplog.records if "not an API key id" in r.getMessage()]) == 2


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.passes.labels(worker="w").inc()
    assert b'luneo_worker_passes_total{worker="w"} 1.0' in first.render()
    assert b'luneo_worker_passes_total{worker="w"}' not in second.render()

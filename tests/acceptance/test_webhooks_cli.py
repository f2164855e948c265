"""`luneo webhooks replay` as a user runs it: dead deliveries queued again, filters, bad input."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.support.cli import luneo
from tests.support.pg import superuser


def dead_delivery(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    """(organisation, delivery): a dead delivery to an active endpoint of a new organisation."""
    org = uuid.uuid4()
    superuser(
        url,
        "insert into public.organizations (id, name, slug) values (%s, 'Brand', %s)",
        [org, f"b-{org.hex[:12]}"],
    )
    superuser(
        url,
        "insert into public.webhook_endpoints (organization_id, url) values (%s, 'https://hooks.example.com/x')",
        [org],
    )
    (event,) = superuser(url, "select private.emit_event('order.created', %s, '{}') as id", [org])
    (delivery,) = superuser(
        url,
        "update public.webhook_deliveries set status = 'dead', attempts = 8, next_attempt_at = null,"
        " completed_at = now() where event_id = %s returning id",
        [event["id"]],
    )
    return org, delivery["id"]


def test_replay_queues_the_dead_deliveries_of_one_organisation(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    org, delivery = dead_delivery(db_url)
    _, other = dead_delivery(db_url)

    result = luneo("webhooks", "replay", "--organization", str(org), "--db-url", db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 dead delivery queued again"
    states = {
        r["id"]: (r["status"], r["attempts"])
        for r in superuser(
            db_url, "select id, status::text as status, attempts from public.webhook_deliveries"
        )
    }
    assert states[delivery] == ("pending", 0)
    assert states[other] == ("dead", 8)

    again = luneo("webhooks", "replay", "--db-url", db_url, cwd=tmp_path)
    assert again.stdout.strip() == "1 dead delivery queued again"


def test_replay_refuses_malformed_filters(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    bad_org = luneo("webhooks", "replay", "--organization", "nope", "--db-url", db_url, cwd=tmp_path)
    assert bad_org.returncode == 2
    assert "--organization must be a UUID" in bad_org.stderr
    bad_since = luneo("webhooks", "replay", "--since", "yesterday", "--db-url", db_url, cwd=tmp_path)
    assert bad_since.returncode == 2
    assert "--since must be an ISO 8601" in bad_since.stderr

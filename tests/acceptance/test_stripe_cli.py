"""`luneo stripe replay|status` as an operator runs them: failed events re-applied once their
cause is fixed, the inbox's state, bad input refused."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from tests.support import stripe_events as s
from tests.support.cli import luneo
from tests.support.pg import superuser


def failed_subscription(url: str) -> tuple[uuid.UUID, dict, dict]:
    """(organisation, its customer, a subscription event that failed for good: the customer was
    not linked while it was tried)."""
    org = uuid.uuid4()
    superuser(
        url,
        "insert into public.organizations (id, name, slug) values (%s, 'Brand', %s)",
        [org, f"b-{org.hex[:12]}"],
    )
    prod = s.product("pro")
    cus = s.customer(org)
    sub = s.event("customer.subscription.created", s.subscription(cus["id"], s.price(prod["id"])))
    superuser(url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(sub)])
    for _ in range(9):
        superuser(url, "select private.apply_stripe_event(%s)", [sub["id"]])
    return org, cus, sub


def test_replay_failed_applies_the_events_that_gave_up_once_fixed(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    org, cus, sub = failed_subscription(db_url)
    status = luneo("stripe", "status", "--db-url", db_url, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "failed" in status.stdout
    assert sub["id"] in status.stdout
    assert "not linked to an organisation yet" in status.stdout

    still = luneo("stripe", "replay", "--failed", "--db-url", db_url, cwd=tmp_path)
    assert still.returncode == 1  # still failing: the operator is told
    assert "1 retry" in still.stdout

    superuser(db_url, "select private.link_stripe_customer(%s, %s)", [org, cus["id"]])  # the fix
    superuser(db_url, "update private.stripe_events set status = 'failed', next_attempt_at = null")
    fixed = luneo("stripe", "replay", "--failed", "--db-url", db_url, cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "replaying 1 Stripe event" in fixed.stdout
    assert "1 applied" in fixed.stdout
    (row,) = superuser(db_url, "select status from public.subscriptions where organization_id = %s", [org])
    assert row["status"] == "active"

    since = luneo("stripe", "replay", "--since", "2000-01-01", "--db-url", db_url, cwd=tmp_path)
    assert since.returncode == 0
    assert "1 applied" in since.stdout


def test_replay_needs_to_be_told_what(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "supabase").mkdir()
    nothing = luneo("stripe", "replay", "--db-url", db_url, cwd=tmp_path)
    assert nothing.returncode != 0
    assert "--since" in nothing.stderr
    bad = luneo("stripe", "replay", "--since", "yesterday", "--db-url", db_url, cwd=tmp_path)
    assert bad.returncode != 0
    assert "ISO 8601" in bad.stderr

"""The Stripe receiver and the stripe worker in the runtime, end to end: events signed with
Stripe's scheme are posted over real HTTP to `luneo worker run`'s endpoint, verified by the stripe
library, stored, and applied by the worker; forged, stale, oversized or malformed posts store
nothing; a worker killed between storing and applying loses nothing.

Real Postgres, real HTTP on loopback, the runner in the test's event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from luneo.core.settings import StripeSettings
from luneo.workers.stripe.worker import StripeWorker
from tests.support import stripe_events as s
from tests.support.runner import make_runner, running, sql, wait_for
from tests.support.team import Team

OLD_SECRET = "whsec_old_" + "b" * 32


def stripe_settings(**overrides: Any) -> StripeSettings:
    return StripeSettings(webhook_secrets=(s.SECRET, OLD_SECRET), **overrides)


def runner_for(url: str, **overrides: Any) -> Any:
    return make_runner(url, [StripeWorker()], stripe=stripe_settings(**overrides), poll_interval=0.2)


async def post(client: httpx.AsyncClient, body: bytes, signature: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["stripe-signature"] = signature
    return await client.post("/stripe/webhook", content=body, headers=headers)


def stored(url: str) -> list[tuple[str, str]]:
    return sql(url, "select id, status from private.stripe_events order by received_at")


def status_of(url: str, event_id: str) -> str | None:
    rows = sql(url, "select status from private.stripe_events where id = %s", [event_id])
    return rows[0][0] if rows else None


async def test_signed_events_are_stored_then_applied_and_duplicates_change_nothing(team: Team) -> None:
    runner = runner_for(team.url)
    cus = s.customer(team.org_id)
    evt = s.event("customer.created", cus)
    body = s.body(evt)
    async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
        first = await post(client, body, s.sign(body))
        assert (first.status_code, first.json()) == (200, {"received": True, "duplicate": False})
        await wait_for(lambda: status_of(team.url, evt["id"]) == "applied")
        again = await post(client, body, s.sign(body))  # Stripe retries: same id
        assert again.json() == {"received": True, "duplicate": True}
        # a rotation: the previous secret still signs
        other = s.event("customer.updated", dict(cus, name="Maison Aurore SAS"), created=evt["created"] + 1)
        other_body = s.body(other)
        assert (await post(client, other_body, s.sign(other_body, OLD_SECRET))).status_code == 200
        await wait_for(lambda: status_of(team.url, other["id"]) == "applied")
    assert len(stored(team.url)) == 2
    assert team.superuser("select name from public.customers") == [{"name": "Maison Aurore SAS"}]


@pytest.mark.parametrize(
    "case",
    [
        "no signature",
        "wrong secret",
        "tampered body",
        "stale timestamp",
        "not json",
        "not an event",
        "oversized",
    ],
)
async def test_a_post_that_is_not_a_fresh_signed_event_gets_400_and_nothing_is_stored(
    team: Team, case: str
) -> None:
    evt = s.event("customer.created", s.customer(team.org_id))
    body = s.body(evt)
    signature: str | None = s.sign(body)
    if case == "no signature":
        signature = None
    elif case == "wrong secret":
        signature = s.sign(body, "whsec_someone_else")
    elif case == "tampered body":
        signature, body = s.sign(body), body.replace(b"Maison Aurore", b"Maison Pirate")
    elif case == "stale timestamp":
        signature = s.sign(body, timestamp=int(time.time()) - 301)
    elif case == "not json":
        body = b"{not json"
        signature = s.sign(body)
    elif case == "not an event":
        body = json.dumps({"id": "evt_1", "type": "customer.created", "created": 1}).encode()
        signature = s.sign(body)
    elif case == "oversized":
        body = json.dumps(dict(evt, padding="x" * 1_100_000)).encode()
        signature = s.sign(body)
    runner = runner_for(team.url)
    async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
        response = await post(client, body, signature)
    assert response.status_code == 400, response.text
    assert "error" in response.json()
    assert stored(team.url) == []


async def test_the_receiver_is_absent_until_a_secret_is_configured(team: Team) -> None:
    runner = make_runner(team.url, [StripeWorker()], poll_interval=0.2)
    body = s.body(s.event("customer.created", s.customer(team.org_id)))
    async with running(runner), httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
        response = await post(client, body, s.sign(body))
    assert response.status_code == 404
    assert stored(team.url) == []


async def test_a_worker_killed_between_storing_and_applying_loses_nothing(team: Team) -> None:
    cus = s.customer(team.org_id)
    evt = s.event("customer.created", cus)
    sql(team.url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(evt)])
    # a worker leased it, then died without applying: its lease is all that is left
    (claimed,) = sql(team.url, "select id from private.claim_stripe_events('dead:1:x', 10, 1)")
    assert claimed == (evt["id"],)
    assert status_of(team.url, evt["id"]) == "pending"
    await asyncio.sleep(1.1)  # the lease runs out
    runner = runner_for(team.url)
    async with running(runner):
        await wait_for(lambda: status_of(team.url, evt["id"]) == "applied")
    assert team.superuser("select stripe_customer_id from public.customers") == [
        {"stripe_customer_id": cus["id"]}
    ]
    # the dead worker's late apply finds the event no longer its own
    assert sql(team.url, "select private.apply_stripe_event(%s, 'dead:1:x')", [evt["id"]]) == [("skipped",)]


async def test_a_failing_event_is_retried_by_the_worker_and_then_succeeds(team: Team) -> None:
    prod = s.product("pro")
    price = s.price(prod["id"])
    price_evt = s.event("price.created", price)
    sql(team.url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(price_evt)])
    runner = runner_for(team.url)
    async with running(runner):
        await wait_for(lambda: sql(team.url, "select attempts from private.stripe_events")[0][0] == 1)
        assert status_of(team.url, price_evt["id"]) == "pending"
        # the product arrives; the retry (made due now, as its backoff would) applies the price
        sql(
            team.url,
            "select private.receive_stripe_event(%s::jsonb)",
            [json.dumps(s.event("product.created", prod))],
        )
        await wait_for(
            lambda: (
                len(team.superuser("select 1 from public.plans where stripe_product_id = %s", [prod["id"]]))
                == 1
            )
        )
        sql(
            team.url,
            "update private.stripe_events set next_attempt_at = now() where id = %s",
            [price_evt["id"]],
        )
        sql(team.url, "select pg_notify('luneo_stripe', 'retry')")
        await wait_for(lambda: status_of(team.url, price_evt["id"]) == "applied")
    assert team.superuser("select plan_id from public.plan_prices") == [{"plan_id": "pro"}]


async def test_a_stopping_worker_releases_what_it_leased(team: Team) -> None:
    evt = s.event("customer.created", s.customer(team.org_id))
    sql(team.url, "select private.receive_stripe_event(%s::jsonb)", [json.dumps(evt)])
    sql(team.url, "select private.claim_stripe_events('w:1:y', 10, 600)")
    assert sql(team.url, "select private.release_stripe_events('w:1:y')") == [(1,)]
    assert sql(team.url, "select leased_by, next_attempt_at <= now() from private.stripe_events") == [
        (None, True)
    ]

"""The outgoing billing endpoints (luneo.workers.stripe.sessions): Stripe Checkout and the Billing
Portal opened for an organisation by a signed-in member holding billing.manage.

Real parts only: the routes served by Starlette over ASGI, a real Postgres (the permission is the
SQL's: public.billing_context as the `authenticated` role), a loopback stand-in of the Stripe API
that records what the stripe library sent (tests/support/stripe_api.py), and a loopback stand-in
of Supabase Auth with real ES256 and HS256 tokens (tests/support/auth_server.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pytest_httpserver import HTTPServer
from starlette.applications import Starlette
from starlette.routing import Route

from luneo.core.db import Pool
from luneo.core.settings import EmailSettings, StripeSettings, SupabaseSettings, WorkerSettings
from luneo.workers.stripe.sessions import BillingEndpoints, make_routes
from tests.support.auth_server import ANON_KEY, AuthServer
from tests.support.pg import superuser
from tests.support.stripe_api import SECRET_KEY, StripeAPI
from tests.support.team import Team

APP = "https://app.luneo.example"
PRICE = "price_pro_monthly"
OLD_PRICE = "price_pro_2025"
CHECKOUT = "/billing/checkout-sessions"
PORTAL = "/billing/portal-sessions"


@pytest.fixture
def auth() -> Iterator[AuthServer]:
    with AuthServer() as server:
        yield server


@pytest.fixture
def stripe_api(httpserver: HTTPServer) -> Iterator[StripeAPI]:
    yield StripeAPI(httpserver, prices={PRICE, OLD_PRICE})
    httpserver.check_assertions()  # no request the stand-in does not serve


@pytest.fixture
def prices(db_url: str) -> None:
    superuser(
        db_url,
        "insert into public.plan_prices (stripe_price_id, plan_id, currency, unit_amount, billing_interval,"
        " interval_count, active) values (%s, 'pro', 'EUR', 4900, 'month', 1, true),"
        " (%s, 'pro', 'EUR', 3900, 'month', 1, false)",
        [PRICE, OLD_PRICE],
    )


def billing_settings(auth: AuthServer, stripe_api: StripeAPI, **supabase: Any) -> WorkerSettings:
    return WorkerSettings(
        emails=replace(EmailSettings(), app_url=APP),
        stripe=StripeSettings(secret_key=SECRET_KEY, api_base=stripe_api.url),
        supabase=SupabaseSettings(**({"api_url": auth.url, "anon_key": ANON_KEY} | supabase)),
    )


@asynccontextmanager
async def serving(db_url: str, settings: WorkerSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with Pool(db_url, min_size=1, max_size=4) as pool:
        endpoints = BillingEndpoints(pool, settings)
        try:
            transport = httpx.ASGITransport(app=Starlette(routes=endpoints.routes))
            async with httpx.AsyncClient(transport=transport, base_url="http://worker.test") as client:
                yield client
        finally:
            await endpoints.aclose()


@pytest.fixture
async def billing(
    db_url: str, auth: AuthServer, stripe_api: StripeAPI, prices: None
) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(db_url, billing_settings(auth, stripe_api)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def as_member(team: Team, auth: AuthServer, role: str, **claims: Any) -> dict[str, str]:
    person = team.people[role]
    return bearer(auth.es256(person.id, person.email, **claims))


def checkout_body(team: Team, **overrides: Any) -> dict[str, Any]:
    return {
        "organization_id": str(team.org_id),
        "price_id": PRICE,
        "success_url": f"{APP}/billing/done?session={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{APP}/billing",
    } | overrides


def portal_body(team: Team, **overrides: Any) -> dict[str, Any]:
    return {"organization_id": str(team.org_id), "return_url": f"{APP}/settings/billing"} | overrides


def link_customer(team: Team, stripe_api: StripeAPI, customer_id: str = "cus_existing0001") -> str:
    stripe_api.customers.add(customer_id)
    team.superuser("select private.link_stripe_customer(%s, %s)", [team.org_id, customer_id])
    return customer_id


def b64url(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert (response.status_code, response.json()["code"]) == (status, code), response.text
    return response.json()["error"]


async def test_an_admin_opens_checkout_and_the_first_one_creates_and_links_the_customer(
    billing: httpx.AsyncClient,
    team: Team,
    auth: AuthServer,
    stripe_api: StripeAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    org = str(team.org_id)
    admin = team.people["admin"]
    token = auth.es256(admin.id, admin.email)
    caplog.set_level(logging.INFO, "luneo.workers.stripe.sessions")

    first = await billing.post(CHECKOUT, json=checkout_body(team, quantity=3), headers=bearer(token))

    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    session = first.json()
    assert set(session) == {"id", "url"}
    assert session["id"].startswith("cs_test_")
    assert session["url"] == f"https://checkout.stripe.com/c/pay/{session['id']}"
    created, opened = stripe_api.calls
    assert created.path == "/v1/customers"
    assert created.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert created.headers["idempotency-key"] == f"luneo-customer-{org}"
    assert created.form == {"email": admin.email, "name": "Maison Test", "metadata[organization_id]": org}
    (linked,) = team.superuser(
        "select stripe_customer_id from public.customers where organization_id = %s and deleted_at is null",
        [team.org_id],
    )
    customer_id = linked["stripe_customer_id"]
    assert customer_id in stripe_api.customers
    assert opened.path == "/v1/checkout/sessions"
    assert opened.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert opened.form == {
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": org,
        "line_items[0][price]": PRICE,
        "line_items[0][quantity]": "3",
        "success_url": f"{APP}/billing/done?session={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{APP}/billing",
        "metadata[organization_id]": org,
        "subscription_data[metadata][organization_id]": org,
    }

    # the second Checkout (the owner's, default quantity) reuses the customer: no create call
    second = await billing.post(CHECKOUT, json=checkout_body(team), headers=as_member(team, auth, "owner"))
    assert second.status_code == 200, second.text
    assert second.json()["id"] != session["id"]
    assert [c.path for c in stripe_api.calls] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/checkout/sessions",
    ]
    again = stripe_api.calls[-1].form
    assert (again["customer"], again["line_items[0][quantity]"]) == (customer_id, "1")
    assert team.superuser("select count(*) as n from public.customers")[0]["n"] == 1
    assert auth.jwks_fetches == 1  # the signing keys are cached across requests
    assert auth.user_calls == 0  # ES256 tokens are verified locally

    opened_logs = [r for r in caplog.records if r.name == "luneo.workers.stripe.sessions"]
    assert any(session["id"] in r.getMessage() and r.levelno == logging.INFO for r in opened_logs)
    assert all(
        token not in r.getMessage() and token not in json.dumps(r.__dict__, default=str) for r in opened_logs
    )


async def test_two_racing_first_checkouts_get_one_customer(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    headers = as_member(team, auth, "admin")
    answers = await asyncio.gather(
        *(billing.post(CHECKOUT, json=checkout_body(team), headers=headers) for _ in range(3))
    )
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(stripe_api.customers) == 1  # Stripe answered every create with the first customer
    (customer_id,) = stripe_api.customers
    assert {c.form["customer"] for c in stripe_api.calls_to("/v1/checkout/sessions")} == {customer_id}
    rows = team.superuser(
        "select stripe_customer_id from public.customers where organization_id = %s", [team.org_id]
    )
    assert rows == [{"stripe_customer_id": customer_id}]


async def test_the_portal_opens_for_an_organisation_with_a_customer(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    customer_id = link_customer(team, stripe_api)
    response = await billing.post(PORTAL, json=portal_body(team), headers=as_member(team, auth, "admin"))
    assert response.status_code == 200, response.text
    assert response.json()["id"].startswith("bps_")
    assert response.json()["url"].startswith("https://billing.stripe.com/p/session/")
    (call,) = stripe_api.calls
    assert call.path == "/v1/billing_portal/sessions"
    assert call.headers["authorization"] == f"Bearer {SECRET_KEY}"
    assert call.form == {"customer": customer_id, "return_url": f"{APP}/settings/billing"}


async def test_the_portal_before_any_checkout_is_409_no_customer(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    response = await billing.post(PORTAL, json=portal_body(team), headers=as_member(team, auth, "owner"))
    assert "Checkout first" in refused(response, 409, "no_customer")
    assert stripe_api.calls == []


async def test_members_without_billing_manage_are_forbidden_and_stripe_is_never_called(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    link_customer(team, stripe_api)
    for who in ("viewer", "designer", "manager", "outsider"):
        headers = as_member(team, auth, who)
        refused(await billing.post(CHECKOUT, json=checkout_body(team), headers=headers), 403, "forbidden")
        refused(await billing.post(PORTAL, json=portal_body(team), headers=headers), 403, "forbidden")
    # an organisation that does not exist is no different from one the caller is not in
    other = checkout_body(team, organization_id=str(uuid.uuid4()))
    refused(
        await billing.post(CHECKOUT, json=other, headers=as_member(team, auth, "admin")), 403, "forbidden"
    )
    assert stripe_api.calls == []


async def test_an_organisation_requiring_mfa_needs_an_aal2_session(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    team.superuser("update public.organizations set require_mfa = true where id = %s", [team.org_id])
    aal1 = as_member(team, auth, "admin", aal="aal1")
    refused(await billing.post(CHECKOUT, json=checkout_body(team), headers=aal1), 403, "forbidden")
    assert stripe_api.calls == []
    aal2 = as_member(team, auth, "admin", aal="aal2")
    response = await billing.post(CHECKOUT, json=checkout_body(team), headers=aal2)
    assert response.status_code == 200, response.text
    assert [c.path for c in stripe_api.calls] == ["/v1/customers", "/v1/checkout/sessions"]


async def test_expired_forged_and_foreign_tokens_are_401(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    admin = team.people["admin"]
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    valid = auth.es256(admin.id, admin.email)
    header, _, signature = valid.split(".")
    payload = auth.es256(admin.id, admin.email, role="service_role").split(".")[1]
    tokens = {
        "expired": auth.es256(admin.id, admin.email, expires_in=-60),
        "signed by another key": auth.es256(admin.id, admin.email, key=stranger_key),
        "unknown kid": auth.es256(admin.id, admin.email, key=stranger_key, kid="key-of-someone-else"),
        "claims swapped under a valid signature": f"{header}.{payload}.{signature}",
        "anon role": auth.es256(admin.id, admin.email, role="anon"),
        "no user": auth.es256(admin.id, admin.email, sub="not-a-uuid"),
        "not a JWT": "garbage",
        "alg none": f"{b64url({'alg': 'none', 'kid': auth.kid})}.{b64url(auth.claims(admin.id, admin.email))}.",
    }
    for label, token in tokens.items():
        response = await billing.post(CHECKOUT, json=checkout_body(team), headers=bearer(token))
        assert response.status_code == 401, (label, response.text)
        assert response.json()["code"] == "invalid_token", label
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        assert valid not in response.text
    for headers in ({}, {"authorization": valid}, {"authorization": "Basic dXNlcjpwYXNz"}):
        refused(await billing.post(PORTAL, json=portal_body(team), headers=headers), 401, "invalid_token")
    assert stripe_api.calls == []
    assert team.superuser("select count(*) as n from public.customers")[0]["n"] == 0


async def test_hs256_tokens_are_checked_by_the_auth_server(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    admin = team.people["admin"]
    forged = auth.hs256(admin.id, admin.email, secret="a-secret-that-is-not-the-projects-at-all-00")
    refused(
        await billing.post(CHECKOUT, json=checkout_body(team), headers=bearer(forged)), 401, "invalid_token"
    )
    assert auth.user_calls == 1
    assert stripe_api.calls == []

    genuine = auth.hs256(admin.id, admin.email)
    response = await billing.post(CHECKOUT, json=checkout_body(team), headers=bearer(genuine))
    assert response.status_code == 200, response.text
    assert auth.user_calls == 2
    assert auth.jwks_fetches == 0


async def test_an_unknown_or_inactive_price_is_400(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    headers = as_member(team, auth, "admin")
    for price in ("price_unknown", OLD_PRICE):
        response = await billing.post(CHECKOUT, json=checkout_body(team, price_id=price), headers=headers)
        assert price in refused(response, 400, "unknown_price")
    assert stripe_api.calls == []


async def test_redirects_off_the_app_origin_are_400(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    link_customer(team, stripe_api)
    headers = as_member(team, auth, "admin")
    elsewhere = [
        "https://evil.example/billing",
        "https://app.luneo.example.evil.example/",
        "http://app.luneo.example/billing",
        "https://app.luneo.example:8443/billing",
        "https://app.luneo.example@evil.example/",
        "https://evil.example\\@app.luneo.example/",
        "https://evil.example\\.app.luneo.example/",
        "https://app.luneo.example\t.evil.example/",
        "//evil.example/billing",
        "/billing",
        "javascript:alert(1)//app.luneo.example",
        "",
        42,
        None,
    ]
    for url in elsewhere:
        for name in ("success_url", "cancel_url"):
            response = await billing.post(CHECKOUT, json=checkout_body(team, **{name: url}), headers=headers)
            assert APP in refused(response, 400, "bad_redirect"), (name, url)
        response = await billing.post(PORTAL, json=portal_body(team, return_url=url), headers=headers)
        refused(response, 400, "bad_redirect")
    assert stripe_api.calls == []
    # the app's origin however written: default port, upper-case host
    same = portal_body(team, return_url="https://APP.luneo.example:443/settings")
    assert (await billing.post(PORTAL, json=same, headers=headers)).status_code == 200


async def test_malformed_bodies_are_400_and_oversized_ones_413(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    headers = as_member(team, auth, "admin")
    body = checkout_body(team)
    bad: list[Any] = [
        {k: v for k, v in body.items() if k != "price_id"},
        body | {"organization_id": "not-a-uuid"},
        body | {"organization_id": 7},
        body | {"price_id": ""},
        body | {"price_id": ["price_pro_monthly"]},
        body | {"quantity": 0},
        body | {"quantity": 10_001},
        body | {"quantity": "2"},
        body | {"quantity": True},
        body | {"quantity": 1.5},
        body | {"mode": "payment"},
        [body],
        "price_pro_monthly",
    ]
    for value in bad:
        refused(await billing.post(CHECKOUT, json=value, headers=headers), 400, "bad_request")
    for raw in (b"", b"{not json", b"\xff\xfe", b"[" * 60_000):
        refused(await billing.post(PORTAL, content=raw, headers=headers), 400, "bad_request")
    refused(
        await billing.post(PORTAL, json={"organization_id": str(team.org_id)}, headers=headers),
        400,
        "bad_request",
    )
    huge = body | {"padding": "x" * 70_000}
    assert (await billing.post(CHECKOUT, json=huge, headers=headers)).status_code == 413
    assert stripe_api.calls == []
    # the upper bound is a quantity
    ok = await billing.post(CHECKOUT, json=body | {"quantity": 10_000}, headers=headers)
    assert ok.status_code == 200, ok.text
    assert stripe_api.calls[-1].form["line_items[0][quantity]"] == "10000"


async def test_a_stripe_error_is_502_with_stripes_message(
    billing: httpx.AsyncClient, team: Team, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    stripe_api.prices.discard(PRICE)  # archived in Stripe, still active in the database
    response = await billing.post(CHECKOUT, json=checkout_body(team), headers=as_member(team, auth, "admin"))
    assert refused(response, 502, "stripe_error") == f"No such price: '{PRICE}'"
    # the customer was created and linked before: the next Checkout will reuse it
    assert len(stripe_api.calls_to("/v1/customers")) == 1
    assert team.superuser("select count(*) as n from public.customers")[0]["n"] == 1


async def test_unconfigured_billing_answers_503(
    db_url: str, team: Team, auth: AuthServer, stripe_api: StripeAPI, prices: None
) -> None:
    headers = as_member(team, auth, "admin")
    settings = billing_settings(auth, stripe_api)
    for broken, variable in (
        (replace(settings, supabase=SupabaseSettings()), "SUPABASE_URL"),
        (replace(settings, supabase=replace(settings.supabase, anon_key=None)), "SUPABASE_ANON_KEY"),
        (replace(settings, stripe=StripeSettings()), "STRIPE_SECRET_KEY"),
    ):
        async with serving(db_url, broken) as client:
            for path, body in ((CHECKOUT, checkout_body(team)), (PORTAL, portal_body(team))):
                response = await client.post(path, json=body, headers=headers)
                assert variable in refused(response, 503, "not_configured")
    assert stripe_api.calls == []
    assert auth.jwks_fetches == 0


async def test_an_unreachable_auth_server_is_503_not_401(
    db_url: str, team: Team, auth: AuthServer, stripe_api: StripeAPI, prices: None
) -> None:
    token = auth.es256(team.people["admin"].id, team.people["admin"].email)
    with AuthServer() as gone:
        url = gone.url
    settings = billing_settings(auth, stripe_api, api_url=url)
    async with serving(db_url, settings) as client:
        response = await client.post(CHECKOUT, json=checkout_body(team), headers=bearer(token))
    refused(response, 503, "auth_unavailable")
    assert stripe_api.calls == []


async def test_make_routes_serves_both_endpoints(
    db_url: str, auth: AuthServer, stripe_api: StripeAPI
) -> None:
    async with Pool(db_url, min_size=1, max_size=1) as pool:
        routes = make_routes(pool, billing_settings(auth, stripe_api))
    assert [(r.path, r.methods) for r in routes if isinstance(r, Route)] == [
        (CHECKOUT, {"POST"}),
        (PORTAL, {"POST"}),
    ]

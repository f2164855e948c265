"""The outgoing billing endpoints the stripe worker serves (docs/billing-endpoints.md).

- `POST /billing/checkout-sessions`: opens a Stripe Checkout Session (a subscription to a plan's
  price) for an organisation, creating its Stripe customer the first time.
- `POST /billing/portal-sessions`: opens a Stripe Billing Portal session for an organisation that
  has a customer (409 `no_customer` before its first Checkout: nothing to manage yet).

Both take the caller's Supabase access token (luneo.workers.stripe.auth) and let the database
decide: `public.billing_context` runs as the `authenticated` role with the token's claims, as
PostgREST would run it, so billing.manage and require_mfa are the SQL's rules and not copied here.
That transaction ends before Stripe is called: no transaction, and no pooled connection, is held
across an HTTP call. Redirect URLs must be on the app's origin (LUNEO_APP_URL): these endpoints
must not become an open redirect through Stripe's pages.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import stripe
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from luneo.core.db import Pool, QueryFailed
from luneo.core.settings import WorkerSettings
from luneo.workers.stripe.auth import AuthUnavailable, Caller, InvalidToken, TokenVerifier

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY = 65_536
"""Bytes a request body may have (a few hundred in practice)."""
MAX_QUANTITY = 10_000
MAX_URL = 2_048
STRIPE_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
STRIPE_RETRIES = 2
"""Network retries of one Stripe call; each POST carries an idempotency key, so a retry never
creates a second object."""
FORBIDDEN = "42501"
_DEFAULT_PORTS = {"http": 80, "https": 443}

BILLING_CONTEXT_AS_CALLER = (
    "set local role authenticated",
    "select set_config('request.jwt.claims', %s, true)",
    "select public.billing_context(%s::uuid)",
    "reset role",
)
PLAN_OF_PRICE = "select plan_id from public.plan_prices where stripe_price_id = %s and active"
LINK_CUSTOMER = "select private.link_stripe_customer(%s::uuid, %s)"


class StripeHTTPXClient(stripe.HTTPXClient):
    """stripe's httpx client, its form body handed to httpx as `content=`: stripe passes the
    encoded string as `data=`, which httpx deprecates (a DeprecationWarning on every call)."""

    def _get_request_args_kwargs(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any
    ) -> list[Any]:
        args, kwargs = super()._get_request_args_kwargs(method, url, headers, post_data)
        data = kwargs.pop("data", None)
        if data:
            kwargs["content"] = data
        return [args, kwargs]


class Refused(Exception):
    """An answer other than 200: HTTP status, machine-readable code, message for people."""

    def __init__(self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def response(self) -> JSONResponse:
        headers = {"cache-control": "no-store", **(self.headers or {})}
        return JSONResponse({"error": self.message, "code": self.code}, self.status, headers=headers)


@dataclass(frozen=True)
class BillingContext:
    """What `public.billing_context` tells about the organisation, for the caller."""

    organization_id: str
    organization_name: str
    plan: str
    stripe_customer_id: str | None
    email: str | None


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an absolute http(s) URL without credentials; None for anything a
    browser could read differently (backslashes, whitespace, control characters, user@host)."""
    if len(url) > MAX_URL or any(c.isspace() or c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return None
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme]


async def read_json(request: Request) -> dict[str, Any]:
    """The JSON object of the body, refused past MAX_BODY without reading further."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, "too_large", f"body larger than {MAX_BODY} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, "too_large", f"body larger than {MAX_BODY} bytes")
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
        raise Refused(400, "bad_request", "the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise Refused(400, "bad_request", "the body must be a JSON object")
    return value


def check_fields(body: Mapping[str, Any], required: Collection[str], optional: Collection[str] = ()) -> None:
    missing = sorted(set(required) - body.keys())
    if missing:
        raise Refused(400, "bad_request", f"missing: {', '.join(missing)}")
    unknown = sorted(body.keys() - set(required) - set(optional))
    if unknown:
        raise Refused(400, "bad_request", f"unknown field(s): {', '.join(unknown)}")


def organization_id(body: Mapping[str, Any]) -> str:
    value = body["organization_id"]
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        raise Refused(400, "bad_request", "organization_id must be a uuid") from None


def text(body: Mapping[str, Any], name: str, longest: int = 255) -> str:
    value = body[name]
    if not isinstance(value, str) or not 0 < len(value) <= longest:
        raise Refused(400, "bad_request", f"{name} must be a string of 1 to {longest} characters")
    return value


def quantity(body: Mapping[str, Any]) -> int:
    value = body.get("quantity", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise Refused(400, "bad_request", f"quantity must be a whole number from 1 to {MAX_QUANTITY}")
    return value


class BillingEndpoints:
    """The two routes, and the clients they share for the life of the process: one Supabase Auth
    client (its cache of signing keys) and one Stripe client. `aclose()` closes them (the stripe
    worker's `stop`)."""

    def __init__(self, pool: Pool, settings: WorkerSettings) -> None:
        self.pool = pool
        self.settings = settings
        self.app_origin = origin(settings.emails.app_url)
        supabase, secret_key = settings.supabase, settings.stripe.secret_key
        missing = [
            name
            for name, value in (
                ("SUPABASE_URL", supabase.api_url),
                ("SUPABASE_ANON_KEY", supabase.anon_key),
                ("STRIPE_SECRET_KEY", secret_key),
            )
            if not value
        ]
        self.not_configured = f"billing is not configured: {', '.join(missing)} not set" if missing else None
        self.verifier: TokenVerifier | None = None
        self.stripe: stripe.StripeClient | None = None
        self._stripe_http: StripeHTTPXClient | None = None
        if supabase.api_url and supabase.anon_key:
            self.verifier = TokenVerifier(supabase.api_url, supabase.anon_key)
        if secret_key:
            self._stripe_http = StripeHTTPXClient(timeout=STRIPE_TIMEOUT)
            self.stripe = stripe.StripeClient(
                secret_key,
                base_addresses={"api": settings.stripe.api_base},
                http_client=self._stripe_http,
                max_network_retries=STRIPE_RETRIES,
            )
        self.routes: list[BaseRoute] = [
            Route("/billing/checkout-sessions", self._endpoint(self.checkout), methods=["POST"]),
            Route("/billing/portal-sessions", self._endpoint(self.portal), methods=["POST"]),
        ]

    async def aclose(self) -> None:
        if self.verifier is not None:
            await self.verifier.aclose()
        if self._stripe_http is not None:
            await self._stripe_http.close_async()

    def _endpoint(
        self, open_session: Callable[[Caller, dict[str, Any]], Awaitable[dict[str, str]]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """The steps both endpoints share: configured, a signed-in caller, a JSON body."""

        async def endpoint(request: Request) -> Response:
            try:
                if self.not_configured is not None or self.verifier is None:
                    raise Refused(503, "not_configured", self.not_configured or "billing is not configured")
                try:
                    caller = await self.verifier.verify(request.headers.get("authorization"))
                except InvalidToken as exc:
                    bearer = {"www-authenticate": 'Bearer error="invalid_token"'}
                    raise Refused(401, "invalid_token", f"invalid access token: {exc}", bearer) from None
                except AuthUnavailable as exc:
                    log.warning("%s", exc, extra={"worker": "stripe", "action": "verify_token"})
                    raise Refused(503, "auth_unavailable", "cannot check the access token now") from None
                session = await open_session(caller, await read_json(request))
            except Refused as refused:
                return refused.response()
            return JSONResponse(session, headers={"cache-control": "no-store"})

        return endpoint

    def redirect(self, body: Mapping[str, Any], name: str) -> str:
        url = body[name]
        if not isinstance(url, str) or self.app_origin is None or origin(url) != self.app_origin:
            raise Refused(
                400, "bad_redirect", f"{name} must be an absolute URL on {self.settings.emails.app_url}"
            )
        return url

    async def checkout(self, caller: Caller, body: dict[str, Any]) -> dict[str, str]:
        check_fields(body, {"organization_id", "price_id", "success_url", "cancel_url"}, {"quantity"})
        org, price_id, count = organization_id(body), text(body, "price_id"), quantity(body)
        success_url, cancel_url = self.redirect(body, "success_url"), self.redirect(body, "cancel_url")
        context = await self.context(caller, org)
        async with self.pool.connection() as conn:
            plan = await conn.scalar(PLAN_OF_PRICE, [price_id])
        if plan is None:
            raise Refused(400, "unknown_price", f"{price_id} is not the price of an active plan")
        customer = await self.customer(context)
        session = await self.call_stripe(
            self.client().v1.checkout.sessions.create_async(
                {
                    "mode": "subscription",
                    "customer": customer,
                    "client_reference_id": org,
                    "line_items": [{"price": price_id, "quantity": count}],
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "metadata": {"organization_id": org},
                    "subscription_data": {"metadata": {"organization_id": org}},
                }
            )
        )
        log.info(
            "checkout session %s opened for organization %s (plan %s)",
            session.id,
            org,
            plan,
            extra=self._extra("checkout", caller, org, session_id=session.id, plan=plan, price_id=price_id),
        )
        return {"id": session.id, "url": session.url or ""}

    async def portal(self, caller: Caller, body: dict[str, Any]) -> dict[str, str]:
        check_fields(body, {"organization_id", "return_url"})
        org, return_url = organization_id(body), self.redirect(body, "return_url")
        context = await self.context(caller, org)
        if context.stripe_customer_id is None:
            raise Refused(
                409, "no_customer", "this organisation has no Stripe customer yet: open a Checkout first"
            )
        session = await self.call_stripe(
            self.client().v1.billing_portal.sessions.create_async(
                {"customer": context.stripe_customer_id, "return_url": return_url}
            )
        )
        log.info(
            "billing portal session %s opened for organization %s",
            session.id,
            org,
            extra=self._extra("portal", caller, org, session_id=session.id),
        )
        return {"id": session.id, "url": session.url}

    async def context(self, caller: Caller, org: str) -> BillingContext:
        """`public.billing_context` as the caller (403 without billing.manage, or aal2 where the
        organisation requires MFA); the transaction ends here, before any call to Stripe."""
        set_role, set_claims, ask, reset = BILLING_CONTEXT_AS_CALLER
        async with self.pool.connection() as conn:
            try:
                async with conn.transaction():
                    await conn.execute(set_role)
                    await conn.execute(set_claims, [json.dumps(caller.claims, default=str)])
                    value = await conn.scalar(ask, [org])
                    await conn.execute(reset)
            except QueryFailed as exc:
                if exc.sqlstate != FORBIDDEN:
                    raise
                raise Refused(403, "forbidden", "billing.manage is required in this organisation") from None
        return BillingContext(
            organization_id=value["organization_id"],
            organization_name=value["organization_name"],
            plan=value["plan"],
            stripe_customer_id=value["stripe_customer_id"],
            email=value["email"],
        )

    async def customer(self, context: BillingContext) -> str:
        """The organisation's Stripe customer, created and linked on its first Checkout. Two
        requests racing get one customer from Stripe (same idempotency key), and the first link
        wins in the database."""
        if context.stripe_customer_id is not None:
            return context.stripe_customer_id
        org = context.organization_id
        params: dict[str, Any] = {"name": context.organization_name, "metadata": {"organization_id": org}}
        if context.email:
            params["email"] = context.email
        created = await self.call_stripe(
            self.client().v1.customers.create_async(params, {"idempotency_key": f"luneo-customer-{org}"})
        )
        async with self.pool.connection() as conn:
            linked: str = await conn.scalar(LINK_CUSTOMER, [org, created.id])
        log.info(
            "stripe customer %s linked to organization %s",
            linked,
            org,
            extra={"worker": "stripe", "action": "link_customer", "organization_id": org, "customer": linked},
        )
        return linked

    def client(self) -> stripe.StripeClient:
        assert self.stripe is not None  # the endpoint answered 503 otherwise
        return self.stripe

    async def call_stripe(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except stripe.StripeError as exc:
            log.warning(
                "stripe refused: %s",
                exc,
                extra={"worker": "stripe", "action": "stripe_call", "request_id": exc.request_id},
            )
            raise Refused(502, "stripe_error", exc.user_message or "Stripe could not be reached") from None

    @staticmethod
    def _extra(action: str, caller: Caller, org: str, **more: Any) -> dict[str, Any]:
        ids = {"organization_id": org, "user_id": str(caller.user_id)}
        return {"worker": "stripe", "action": action, **ids, **more}


def make_routes(pool: Pool, settings: WorkerSettings) -> list[BaseRoute]:
    """The routes, with clients that live as long as the process. A worker that stops before the
    process ends holds a `BillingEndpoints` instead, and closes it."""
    return BillingEndpoints(pool, settings).routes

"""Stripe webhook events for tests: built with the shapes of Stripe's API reference (the event
envelope and the objects it carries, API version 2025-10-29), and signed with Stripe's scheme
(`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">`), written here from the
documentation so the receiver's verification (the stripe library) checks an independent signer.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from typing import Any

API_VERSION = "2025-10-29.clover"
SECRET = "whsec_test_" + "a" * 32
_ids = itertools.count(1)


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:14]}{next(_ids)}"


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header of `body`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event(type: str, obj: dict[str, Any], created: int | None = None, **extra: Any) -> dict[str, Any]:
    """The envelope Stripe posts: `data.object` is the object's state when the event happened."""
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": {
            "object": obj,
            **({"previous_attributes": extra.pop("previous")} if "previous" in extra else {}),
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": new_id("req"), "idempotency_key": str(uuid.uuid4())},
        "type": type,
        **extra,
    }


def body(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt, separators=(",", ":")).encode()


def customer(organization_id: Any = None, **fields: Any) -> dict[str, Any]:
    return {
        "id": new_id("cus"),
        "object": "customer",
        "address": None,
        "balance": 0,
        "created": int(time.time()),
        "currency": "eur",
        "default_source": None,
        "delinquent": False,
        "description": None,
        "email": "billing@maison.example",
        "invoice_prefix": "ABC123",
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        "livemode": False,
        "metadata": {} if organization_id is None else {"organization_id": str(organization_id)},
        "name": "Maison Aurore",
        "preferred_locales": [],
        "tax_exempt": "none",
        **fields,
    }


def product(plan: str | None, **metadata: str) -> dict[str, Any]:
    return {
        "id": new_id("prod"),
        "object": "product",
        "active": True,
        "created": int(time.time()),
        "description": None,
        "images": [],
        "livemode": False,
        "metadata": ({"luneo_plan": plan} if plan else {}) | metadata,
        "name": (plan or "Gift card").title(),
        "type": "service",
        "updated": int(time.time()),
    }


def price(product_id: str, unit_amount: int = 4900, interval: str | None = "month") -> dict[str, Any]:
    return {
        "id": new_id("price"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": int(time.time()),
        "currency": "eur",
        "livemode": False,
        "lookup_key": None,
        "metadata": {},
        "nickname": None,
        "product": product_id,
        "recurring": None
        if interval is None
        else {"interval": interval, "interval_count": 1, "usage_type": "licensed", "meter": None},
        "tax_behavior": "exclusive",
        "type": "one_time" if interval is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": str(unit_amount),
    }


def subscription(
    customer_id: str,
    price_obj: dict[str, Any],
    status: str = "active",
    quantity: int = 1,
    now: int | None = None,
    **fields: Any,
) -> dict[str, Any]:
    now = int(time.time()) if now is None else now
    sub_id = fields.pop("id", None) or new_id("sub")
    return {
        "id": sub_id,
        "object": "subscription",
        "billing_cycle_anchor": now,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "eur",
        "customer": customer_id,
        "default_payment_method": None,
        "ended_at": None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": new_id("si"),
                    "object": "subscription_item",
                    "created": now,
                    "current_period_end": now + 30 * 86400,
                    "current_period_start": now,
                    "metadata": {},
                    "price": price_obj,
                    "quantity": quantity,
                    "subscription": sub_id,
                }
            ],
            "has_more": False,
            "url": f"/v1/subscription_items?subscription={sub_id}",
        },
        "latest_invoice": None,
        "livemode": False,
        "metadata": {},
        "start_date": now,
        "status": status,
        "trial_end": None,
        "trial_start": None,
        **fields,
    }


def invoice(
    customer_id: str, subscription_id: str | None, status: str = "open", amount: int = 4900, **fields: Any
):
    now = int(time.time())
    paid = status == "paid"
    return {
        "id": new_id("in"),
        "object": "invoice",
        "account_country": "FR",
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "attempt_count": 1,
        "attempted": True,
        "billing_reason": "subscription_cycle",
        "collection_method": "charge_automatically",
        "created": now,
        "currency": "eur",
        "customer": customer_id,
        "customer_address": {
            "city": "Paris",
            "country": "FR",
            "line1": "1 rue de la Paix",
            "postal_code": "75002",
        },
        "customer_email": "billing@maison.example",
        "customer_name": "Maison Aurore",
        "due_date": None,
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_abc",
        "invoice_pdf": "https://pay.stripe.com/invoice/acct_1/test_abc/pdf",
        "last_finalization_error": None,
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None if paid else now + 3 * 86400,
        "number": f"ABC123-{next(_ids):04d}",
        "parent": None
        if subscription_id is None
        else {"type": "subscription_details", "subscription_details": {"subscription": subscription_id}},
        "period_end": now,
        "period_start": now - 30 * 86400,
        "status": status,
        "status_transitions": {
            "finalized_at": now,
            "marked_uncollectible_at": None,
            "paid_at": now if paid else None,
            "voided_at": None,
        },
        "subtotal": amount,
        "total": amount,
        "total_taxes": [],
        **fields,
    }


def checkout_session(
    order_id: Any, amount: int, currency: str = "eur", payment_status: str = "paid", **fields: Any
) -> dict[str, Any]:
    return {
        "id": new_id("cs_test"),
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "client_reference_id": None if order_id is None else str(order_id),
        "created": int(time.time()),
        "currency": currency,
        "customer": None,
        "livemode": False,
        "metadata": {},
        "mode": "payment",
        "payment_intent": new_id("pi"),
        "payment_status": payment_status,
        "status": "complete",
        "subscription": None,
        "success_url": "https://app.luneo.example/orders/ok",
        **fields,
    }


def payment_intent(order_id: Any, amount: int, status: str = "succeeded", **fields: Any) -> dict[str, Any]:
    return {
        "id": new_id("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "capture_method": "automatic",
        "created": int(time.time()),
        "currency": "eur",
        "customer": None,
        "last_payment_error": None,
        "latest_charge": new_id("ch"),
        "livemode": False,
        "metadata": {} if order_id is None else {"order_id": str(order_id)},
        "payment_method": new_id("pm"),
        "status": status,
        **fields,
    }


def charge(payment_intent_id: str, amount: int, amount_refunded: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": new_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "created": int(time.time()),
        "currency": "eur",
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": payment_intent_id,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
        **fields,
    }


def payment_method(customer_id: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "id": new_id("pm"),
        "object": "payment_method",
        "billing_details": {"address": None, "email": None, "name": None, "phone": None},
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": "FR",
            "display_brand": "visa",
            "exp_month": 8,
            "exp_year": 2030,
            "fingerprint": "Xt5EWLLDS7FJjR1c",
            "funding": "credit",
            "last4": "4242",
            "wallet": None,
        },
        "created": int(time.time()),
        "customer": customer_id,
        "livemode": False,
        "metadata": {},
        "type": "card",
        **fields,
    }

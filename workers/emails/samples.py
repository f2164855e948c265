"""Sample data for each template: what the SQL behind it produces, with the demo seed's names.

Used by `luneo emails preview` and by the tests, so every key a template reads is here, with
values of the right type (integers of minor units, ISO 8601 strings, nulls where allowed).
`render.sample_data` hands out deep copies: this module's dictionaries are never changed.
"""

from __future__ import annotations

from typing import Any

APP = "https://app.luneo.example"

_BRAND = {"name": "Maison Aurore", "branding": {"primary_color": "#6b4f3a"}}
_MEMBER = {"email": "camille.durand@maison-aurore.example", "name": "Camille Durand"}
_CUSTOMER = {"email": "elise.martin@example.com", "name": "Élise Martin"}


def _common(
    organization: dict[str, Any] | None, recipient: dict[str, Any], unsubscribe: str | None
) -> dict[str, Any]:
    return {"organization": organization, "recipient": recipient, "unsubscribe_url": unsubscribe}


SAMPLES: dict[str, dict[str, Any]] = {
    "invitation": {
        **_common(_BRAND, {"email": "hugo.bernard@maison-aurore.example", "name": None}, None),
        "inviter_name": "Camille Durand",
        "role": "designer",
        "accept_url": f"{APP}/invite?token=9f2c6e1ab7d84c0f",
        "expires_at": "2026-11-28T09:05:00+00:00",
    },
    "welcome": {
        **_common(None, _MEMBER, None),
        "dashboard_url": f"{APP}/dashboard",
    },
    "order_confirmation": {
        **_common(_BRAND, _CUSTOMER, None),
        "order": {
            "number": "LUN-2026-000042",
            "placed_at": "2026-11-21T09:05:00+00:00",
            "currency": "EUR",
            "subtotal_amount": 149000,
            "discount_amount": 14900,
            "tax_amount": 26820,
            "shipping_amount": 0,
            "total_amount": 160920,
            "items": [
                {
                    "name": "Sac Lune, cuir grainé, initiales E.M.",
                    "quantity": 1,
                    "unit_price": 125000,
                    "total": 125000,
                },
                {
                    "name": "Carré de soie 90 cm, motif Aurore",
                    "quantity": 2,
                    "unit_price": 12000,
                    "total": 24000,
                },
            ],
        },
        "order_url": f"{APP}/orders/LUN-2026-000042",
    },
    "order_shipped": {
        **_common(_BRAND, _CUSTOMER, None),
        "order": {"number": "LUN-2026-000042", "placed_at": "2026-11-21T09:05:00+00:00"},
        "carrier": "Colissimo",
        "tracking_number": "6A12345678901",
        "tracking_url": "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
    },
    "payment_failed": {
        **_common(_BRAND, _CUSTOMER, None),
        "amount": 160920,
        "currency": "EUR",
        "description": "LUN-2026-000042",
        "reason": "Card expired",
        "retry_url": f"{APP}/orders/LUN-2026-000042/pay",
    },
    "webhook_endpoint_disabled": {
        **_common(_BRAND, _MEMBER, f"{APP}/settings/notifications?unsubscribe=webhooks"),
        "endpoint": {"url": "https://erp.maison-aurore.example/hooks/luneo", "description": "ERP orders"},
        "reason": "failing",
        "disabled_at": "2026-11-26T14:30:00+00:00",
        "endpoint_url": f"{APP}/settings/webhooks/7d6f0c52",
    },
    "subscription_trial_ending": {
        **_common(_BRAND, _MEMBER, f"{APP}/settings/notifications?unsubscribe=billing"),
        "plan_name": "Pro",
        "trial_ends_at": "2026-12-05T00:00:00+00:00",
        "billing_url": f"{APP}/settings/billing",
    },
    "account_erasure_confirmation": {
        **_common(None, _MEMBER, None),
        "erased_at": "2026-11-30T08:00:00+00:00",
    },
}

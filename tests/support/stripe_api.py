"""A stand-in for the Stripe API on loopback (pytest-httpserver), for the billing endpoints' tests.

It answers the three calls they make (`POST /v1/customers`, `/v1/checkout/sessions`,
`/v1/billing_portal/sessions`) as Stripe does: the secret key checked, form-encoded parameters,
idempotency keys honoured (the same key and parameters give the first answer again; other
parameters, an `idempotency_error`), `No such customer` / `No such price` errors. Every request
is recorded as it arrived (`calls`: path, headers, the flat form such as
`metadata[organization_id]`), so tests assert what the stripe library really sent.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SECRET_KEY = "sk_test_luneo_5tandIn0000000000000000"


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    """Lower-case names."""
    form: dict[str, str]


class StripeAPI:
    def __init__(self, server: HTTPServer, prices: Iterable[str]) -> None:
        self.server = server
        self.prices = set(prices)
        """Price ids Stripe knows (a Checkout with another one fails as Stripe fails it)."""
        self.customers: set[str] = set()
        self.calls: list[Call] = []
        self._answers: dict[str, tuple[dict[str, str], tuple[int, dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        routes: dict[str, Callable[[dict[str, str]], tuple[int, dict[str, Any]]]] = {
            "/v1/customers": self._customer,
            "/v1/checkout/sessions": self._checkout,
            "/v1/billing_portal/sessions": self._portal,
        }
        for path, answer in routes.items():
            server.expect_request(path, method="POST").respond_with_handler(self._handler(answer))

    @property
    def url(self) -> str:
        """STRIPE_API_BASE."""
        return self.server.url_for("/").rstrip("/")

    def calls_to(self, path: str) -> list[Call]:
        return [c for c in self.calls if c.path == path]

    def _handler(self, answer: Callable[[dict[str, str]], tuple[int, dict[str, Any]]]) -> Any:
        def handle(request: Request) -> Response:
            call = Call(
                request.path,
                {k.lower(): v for k, v in request.headers.items()},
                dict(request.form.items()),
            )
            with self._lock:
                self.calls.append(call)
                if call.headers.get("authorization") != f"Bearer {SECRET_KEY}":
                    status, body = (
                        401,
                        error("Invalid API Key provided: sk_test_****", "invalid_request_error"),
                    )
                else:
                    status, body = self._idempotent(call, answer)
            return Response(
                json.dumps(body),
                status,
                {"content-type": "application/json", "request-id": f"req_{uuid.uuid4().hex[:14]}"},
            )

        return handle

    def _idempotent(
        self, call: Call, answer: Callable[[dict[str, str]], tuple[int, dict[str, Any]]]
    ) -> tuple[int, dict[str, Any]]:
        key = call.headers.get("idempotency-key")
        if key is None:
            return answer(call.form)
        if key in self._answers:
            form, previous = self._answers[key]
            if form != call.form:
                message = (
                    "Keys for idempotent requests can only be used with the same parameters they were "
                    "first used with."
                )
                return 400, error(message, "idempotency_error")
            return previous
        result = answer(call.form)
        self._answers[key] = (call.form, result)
        return result

    def _customer(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        customer_id = f"cus_{uuid.uuid4().hex[:14]}"
        self.customers.add(customer_id)
        return 200, {
            "id": customer_id,
            "object": "customer",
            "email": form.get("email"),
            "name": form.get("name"),
            "metadata": metadata(form, "metadata"),
        }

    def _checkout(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("customer") not in self.customers:
            return 400, error(f"No such customer: '{form.get('customer')}'", param="customer")
        price = form.get("line_items[0][price]")
        if price not in self.prices:
            return 400, error(f"No such price: '{price}'", param="line_items[0][price]")
        session_id = f"cs_test_{uuid.uuid4().hex}"
        return 200, {
            "id": session_id,
            "object": "checkout.session",
            "mode": form.get("mode"),
            "customer": form.get("customer"),
            "client_reference_id": form.get("client_reference_id"),
            "metadata": metadata(form, "metadata"),
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }

    def _portal(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("customer") not in self.customers:
            return 400, error(f"No such customer: '{form.get('customer')}'", param="customer")
        session_id = f"bps_{uuid.uuid4().hex[:24]}"
        return 200, {
            "id": session_id,
            "object": "billing_portal.session",
            "customer": form.get("customer"),
            "return_url": form.get("return_url"),
            "url": f"https://billing.stripe.com/p/session/test_{uuid.uuid4().hex}",
        }


def error(message: str, kind: str = "invalid_request_error", param: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, **({"param": param} if param else {})}}


def metadata(form: dict[str, str], prefix: str) -> dict[str, str]:
    start = f"{prefix}["
    return {k[len(start) : -1]: v for k, v in form.items() if k.startswith(start) and k.count("[") == 1}

"""Webhook fixtures written straight into the database (as the superuser): an organisation and
an active endpoint (every event type) with a known signing secret, for the workers' tests and
bench.webhooks."""

from __future__ import annotations

import uuid

from tests.support.runner import sql

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def organisation(url: str) -> uuid.UUID:
    org = uuid.uuid4()
    sql(
        url,
        "insert into public.organizations (id, name, slug) values (%s, 'Brand', %s)",
        [org, f"b-{org.hex[:12]}"],
    )
    return org


def endpoint(url: str, org: uuid.UUID, target: str, secret: str = SECRET) -> uuid.UUID:
    ((endpoint_id,),) = sql(
        url,
        "insert into public.webhook_endpoints (organization_id, url) values (%s, %s) returning id",
        [org, target],
    )
    sql(
        url,
        "insert into private.webhook_endpoint_secrets (endpoint_id, secret) values (%s, %s)",
        [endpoint_id, secret],
    )
    return endpoint_id

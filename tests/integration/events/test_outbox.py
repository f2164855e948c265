"""The event outbox: each domain change writes its typed event in its own transaction (none when
it rolls back), with the payload docs/events.md describes and nothing secret in it; the catalogue
in the database and the one in the docs are the same list.

Real Postgres through the PostgREST-faithful helper; the superuser only prepares and inspects.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support import stripe_events
from tests.support.postgrest import PostgrestError
from tests.support.team import Team

DOCS = Path(__file__).parents[3] / "docs" / "events.md"


def documented_schemas() -> dict[str, dict]:
    """Each `### `type`` section of docs/events.md and the JSON Schema in its json block."""
    sections = re.findall(
        r"^### `([a-z_]+\.[a-z_]+)`\n.*?```json\n(.*?)\n```", DOCS.read_text(), flags=re.MULTILINE | re.DOTALL
    )
    return {name: json.loads(schema) for name, schema in sections}


def events(team: Team, event_type: str | None = None) -> list[dict]:
    return team.superuser(
        "select type, data from private.events where organization_id = %s and (%s::text is null or type = %s)"
        " order by created_at, id",
        [team.org_id, event_type, event_type],
    )


def types(team: Team) -> list[str]:
    return [e["type"] for e in events(team)]


def product(team: Team, **values: Any) -> dict:
    row = {
        "organization_id": team.org_id,
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Ring",
        "price_amount": 9900,
        "stock": 10,
        "status": "active",
    } | values
    return team.as_("manager").insert("products", row)[0]


def place(team: Team, product_id: str, quantity: int = 1) -> dict:
    return team.as_("viewer").rpc(
        "place_order", organization_id=team.org_id, items=[{"product_id": product_id, "quantity": quantity}]
    )


def test_an_order_emits_created_then_each_status_change(team: Team) -> None:
    ring = product(team)
    before = len(events(team))
    order = place(team, ring["id"])
    (created,) = events(team, "order.created")
    assert created["data"]["order"]["id"] == str(order["id"])
    assert created["data"]["order"]["total_amount"] == order["total_amount"]
    assert "idempotency_fingerprint" not in created["data"]["order"]

    team.as_("manager").update("orders", {"status": "paid"}, id=order["id"])
    team.as_("manager").update("orders", {"status": "processing"}, id=order["id"])
    assert types(team)[before:] == [
        "order.created",
        "order.status_changed",
        "order.paid",
        "order.status_changed",
    ]
    changed = events(team, "order.status_changed")
    assert [(c["data"]["previous_status"], c["data"]["order"]["status"]) for c in changed] == [
        ("pending", "paid"),
        ("paid", "processing"),
    ]


def test_a_rolled_back_change_emits_nothing(team: Team) -> None:
    ring = product(team, stock=1)
    before = types(team)
    with pytest.raises(PostgrestError):
        place(team, ring["id"], quantity=2)  # insufficient stock: the order is rolled back
    with psycopg.connect(team.url) as conn:
        conn.execute("update public.orders set status = status")  # nothing changes: no event either
        conn.execute(
            "insert into public.api_keys (organization_id, name, key_prefix) values (%s, 'k', 'luneo_abcdEFGH')",
            [team.org_id],
        )
        conn.rollback()
    assert types(team) == before


def test_low_stock_is_emitted_once_per_crossing(team: Team) -> None:
    ring = product(team, stock=5, low_stock_threshold=3)
    place(team, ring["id"])  # 4: above
    place(team, ring["id"])  # 3: crossing
    place(team, ring["id"])  # 2: still low, no new event
    team.as_("manager").update("products", {"stock": 10}, id=ring["id"])
    place(team, ring["id"], quantity=8)  # 2: crossing again
    low = events(team, "product.low_stock")
    assert [e["data"]["product"]["stock"] for e in low] == [3, 2]
    assert {e["data"]["product"]["id"] for e in low} == {str(ring["id"])}


def test_members_joining_changing_role_and_leaving(team: Team) -> None:
    person = team.add_member("viewer")
    (membership,) = team.superuser(
        "select id from public.team_members where user_id = %s and organization_id = %s",
        [person.id, team.org_id],
    )
    team.superuser("update public.team_members set role = 'designer' where id = %s", [membership["id"]])
    team.superuser("delete from public.team_members where id = %s", [membership["id"]])
    mine = [
        e
        for e in events(team)
        if e["type"].startswith("member.") and e["data"]["member"]["user_id"] == str(person.id)
    ]
    assert [e["type"] for e in mine] == ["member.joined", "member.role_changed", "member.removed"]
    assert mine[1]["data"]["previous_role"] == "viewer"
    assert mine[1]["data"]["member"]["role"] == "designer"


def test_deleting_an_organisation_emits_nothing_and_takes_its_events_along(team: Team) -> None:
    product(team)
    team.add_member("viewer")
    assert events(team) != []
    team.superuser("delete from public.organizations where id = %s", [team.org_id])
    assert events(team) == []


def test_invitations_and_api_keys_carry_no_secret(team: Team) -> None:
    team.as_("admin").rpc(
        "create_invitation", organization_id=team.org_id, email="new@example.com", role="viewer"
    )
    created = team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="erp")
    team.as_("admin").rpc("revoke_api_key", api_key_id=created["api_key"]["id"])
    assert [e["type"] for e in events(team) if e["type"].startswith(("member.invited", "api_key."))] == [
        "member.invited",
        "api_key.created",
        "api_key.revoked",
    ]
    text = str(events(team))
    assert created["key"] not in text
    assert created["key"][14:] not in text
    assert not re.search(r"token|hash", str([e["data"] for e in events(team, "member.invited")]))


def test_designs_emit_created_and_updated_without_their_content(team: Team) -> None:
    design = team.as_("designer").insert(
        "designs", {"organization_id": team.org_id, "name": "Initials", "data": Jsonb({"text": "AB"})}
    )[0]
    team.as_("designer").update("designs", {"data": Jsonb({"text": "ABC"})}, id=design["id"])
    team.as_("designer").update("designs", {"name": "Initials"}, id=design["id"])  # unchanged: no event
    found = [e for e in events(team) if e["type"].startswith("design.")]
    assert [e["type"] for e in found] == ["design.created", "design.updated"]
    assert all("data" not in e["data"]["design"] for e in found)
    assert found[1]["data"]["design"]["current_version"] == 2


def test_the_docs_catalogue_is_the_database_catalogue(team: Team) -> None:
    in_db = {r["name"] for r in team.superuser("select name from private.event_types")}
    in_docs = set(re.findall(r"^### `([a-z_]+\.[a-z_]+)`", DOCS.read_text(), flags=re.MULTILINE))
    assert in_docs == in_db


def test_every_payload_matches_its_schema_in_the_docs(team: Team) -> None:
    """One of every type, from the real triggers and RPCs, validated against the documented schema."""
    ring = product(team, stock=3, low_stock_threshold=2)
    order = place(team, ring["id"])
    manager = team.as_("manager")
    manager.update("orders", {"status": "paid"}, id=order["id"])
    manager.update("orders", {"status": "refunded"}, id=order["id"])
    cancelled = place(team, ring["id"])
    manager.update("orders", {"status": "cancelled"}, id=cancelled["id"])
    design = team.as_("designer").insert("designs", {"organization_id": team.org_id, "name": "Initials"})[0]
    team.as_("designer").update("designs", {"name": "Monogram"}, id=design["id"])
    admin = team.as_("admin")
    admin.rpc("create_invitation", organization_id=team.org_id, email="joiner@example.com", role="viewer")
    member = team.add_member("viewer")
    team.superuser("update public.team_members set role = 'designer' where user_id = %s", [member.id])
    team.superuser("delete from public.team_members where user_id = %s", [member.id])
    key = admin.rpc("create_api_key", organization_id=team.org_id, name="erp")
    admin.rpc("revoke_api_key", api_key_id=key["api_key"]["id"])
    endpoint = admin.rpc(
        "create_webhook_endpoint", organization_id=team.org_id, url="https://hooks.example.com/x"
    )
    delivery = admin.rpc("send_test_webhook", endpoint_id=endpoint["webhook_endpoint"]["id"])
    (claimed,) = team.superuser(
        "select * from private.claim_webhook_deliveries('w', 1, 60) where delivery_id = %s", [delivery["id"]]
    )
    team.superuser(
        "select private.record_webhook_attempt(%s, 'w', %s, 410, 'gone', 5, null)",
        [claimed["delivery_id"], claimed["attempt"]],
    )

    customer = stripe_events.customer(team.org_id)
    trialing = stripe_events.subscription(
        customer["id"],
        stripe_events.price("prod_x"),
        status="trialing",
        trial_end=int(time.time()) + 3 * 86400,
    )
    for stripe_event in (
        stripe_events.event("customer.created", customer),
        stripe_events.event("invoice.payment_failed", stripe_events.invoice(customer["id"], None)),
        stripe_events.event("customer.subscription.trial_will_end", trialing),
    ):
        team.superuser("select private.receive_stripe_event(%s::jsonb)", [json.dumps(stripe_event)])
        team.superuser("select private.apply_stripe_event(%s)", [stripe_event["id"]])

    schemas = documented_schemas()
    emitted = events(team)
    assert {e["type"] for e in emitted} == set(schemas)
    for event in emitted:
        jsonschema.validate(event["data"], schemas[event["type"]], format_checker=jsonschema.FormatChecker())

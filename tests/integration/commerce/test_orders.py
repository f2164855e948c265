"""Orders: place_order through the PostgREST-faithful helper (signed-in customers and API keys),
server-side prices and tax, atomic stock, idempotency, the status machine with its history and
restocking, and who reads what.

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support.postgrest import PostgREST, Session, fails
from tests.support.team import Person, Team, make_team, new_person


def product(team: Team, **values: Any) -> dict:
    row = {
        "organization_id": team.org_id,
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Ring",
        "price_amount": 9900,
        "stock": 10,
        "status": "active",
    } | values
    if "customisation_schema" in row:
        row["customisation_schema"] = Jsonb(row["customisation_schema"])
    return team.as_("manager").insert("products", row)[0]


def stock_of(team: Team, product_id: str) -> int:
    return team.superuser("select stock from public.products where id = %s", [product_id])[0]["stock"]


def count(team: Team, table: str) -> int:
    return team.superuser(f"select count(*) as n from public.{table}")[0]["n"]


def customer(team: Team) -> tuple[Person, Session]:
    person = new_person(team.url, "customer")
    return person, person.session(team.api)


def place(session: Session, team: Team, items: list[dict], **args: Any) -> dict:
    return session.rpc("place_order", organization_id=team.org_id, items=items, **args)


FR = {"line1": "12 rue des Lilas", "city": "Lyon", "postal_code": "69003", "country": "FR"}


def test_a_customer_places_an_order_priced_taxed_and_stocked_on_the_server(team: Team) -> None:
    ring, chain = product(team, price_amount=9900, stock=5), product(team, price_amount=2550, stock=3)
    person, session = customer(team)
    order = place(
        session,
        team,
        [{"product_id": ring["id"], "quantity": 2}, {"product_id": chain["id"], "quantity": 1}],
        shipping_address=FR,
    )
    assert re.fullmatch(r"LUN-\d{4}-\d{6,}", order["order_number"])
    assert (order["status"], order["currency"], order["customer_id"]) == ("pending", "EUR", str(person.id))
    assert order["customer_email"] == person.email
    assert order["subtotal_amount"] == 2 * 9900 + 2550
    assert order["tax_rate_bp"] == 2000
    assert order["tax_amount"] == (22350 * 2000 + 5000) // 10000
    assert order["total_amount"] == order["subtotal_amount"] + order["tax_amount"]
    assert (stock_of(team, ring["id"]), stock_of(team, chain["id"])) == (3, 2)
    items = session.select("order_items", order_id=order["id"])
    assert sorted(
        (i["sku"], i["quantity"], i["unit_price_amount"], i["line_total_amount"]) for i in items
    ) == sorted([(ring["sku"], 2, 9900, 19800), (chain["sku"], 1, 2550, 2550)])
    history = session.select("order_status_history", order_id=order["id"])
    assert [(h["from_status"], h["to_status"], h["changed_by"]) for h in history] == [
        (None, "pending", person.id)
    ]
    # the customer sees their order; the brand's members too; another customer does not
    assert [str(o["id"]) for o in session.select("orders", id=order["id"])] == [order["id"]]
    assert [str(o["id"]) for o in team.as_("viewer").select("orders", id=order["id"])] == [order["id"]]
    _, stranger = customer(team)
    assert stranger.select("orders", id=order["id"]) == []
    assert stranger.select("order_items", order_id=order["id"]) == []
    assert stranger.select("order_status_history", order_id=order["id"]) == []


def test_the_price_is_a_snapshot(team: Team) -> None:
    ring = product(team, price_amount=1000)
    _, session = customer(team)
    order = place(session, team, [{"product_id": ring["id"], "quantity": 1}])
    team.as_("manager").update("products", {"price_amount": 5000}, id=ring["id"])
    (item,) = session.select("order_items", order_id=order["id"])
    assert item["unit_price_amount"] == 1000
    assert order["tax_amount"] == 0  # no address, no tax


def test_a_product_not_tracked_is_not_decremented(team: Team) -> None:
    made = product(team, track_stock=False, stock=0)
    _, session = customer(team)
    place(session, team, [{"product_id": made["id"], "quantity": 7}])
    assert stock_of(team, made["id"]) == 0


@pytest.mark.parametrize(
    ("items", "sqlstate"),
    [
        ([], "22023"),
        ({"product_id": "x"}, "22023"),
        ([1], "22023"),
        ([{"product_id": "nope", "quantity": 1}], "22023"),
        ([{"product_id": "@ID", "quantity": 0}], "22023"),
        ([{"product_id": "@ID", "quantity": 1001}], "22023"),
        ([{"product_id": "@ID", "quantity": 1.5}], "22023"),
        ([{"product_id": "@ID", "quantity": "1"}], "22023"),
        ([{"product_id": "@ID", "quantity": 1, "price_amount": 1}], "22023"),
        ([{"product_id": "@ID", "quantity": 1}] * 51, "22023"),
        ([{"product_id": "@ID", "quantity": 11}], "LU102"),
        ([{"product_id": "@ID", "quantity": 6}, {"product_id": "@ID", "quantity": 5}], "LU102"),
        ([{"product_id": "@DRAFT", "quantity": 1}], "LU101"),
        ([{"product_id": "@OTHER", "quantity": 1}], "LU100"),
        ([{"product_id": str(uuid.uuid4()), "quantity": 1}], "LU100"),
        ([{"product_id": "@ID", "quantity": 1}, {"product_id": "@USD", "quantity": 1}], "LU103"),
    ],
)
def test_bad_orders_are_refused_with_a_stable_code_and_leave_nothing(
    team: Team, api: PostgREST, items: Any, sqlstate: str
) -> None:
    ring = product(team, stock=10)
    ids = {
        "@ID": ring["id"],
        "@DRAFT": product(team, status="draft")["id"],
        "@USD": product(team, currency="USD")["id"],
        "@OTHER": team.superuser(
            "insert into public.products (organization_id, sku, name, price_amount, status, stock)"
            " values ((select id from public.organizations where id <> %s limit 1), 'X', 'X', 1, 'active', 5)"
            " returning id",
            [team.org_id],
        )[0]["id"]
        if count(team, "organizations") > 1
        else str(uuid.uuid4()),
    }

    def resolve(value: Any) -> Any:
        if isinstance(value, list):
            return [resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return str(ids[value]) if isinstance(value, str) and value in ids else value

    _, session = customer(team)
    before = (count(team, "orders"), count(team, "order_items"), count(team, "order_status_history"))
    error = fails(sqlstate, place, session, team, resolve(items), shipping_address=FR, currency="EUR")
    assert error.status == 400
    assert (count(team, "orders"), count(team, "order_items"), count(team, "order_status_history")) == before
    assert stock_of(team, ring["id"]) == 10


def test_another_brands_product_is_not_found(team: Team, api: PostgREST) -> None:
    from tests.support.team import make_team

    other = make_team(api, team.url)
    theirs = product(other)
    _, session = customer(team)
    fails("LU100", place, session, team, [{"product_id": theirs["id"], "quantity": 1}])
    assert stock_of(other, theirs["id"]) == 10


def test_the_customisation_is_checked_against_the_products_schema(team: Team) -> None:
    schema = {"fields": [{"key": "initials", "type": "text", "max_length": 3, "required": True}]}
    ring = product(team, customisation_schema=schema)
    _, session = customer(team)
    fails("22004", place, session, team, [{"product_id": ring["id"], "quantity": 1}])
    fails("22001", place, session, team,
          [{"product_id": ring["id"], "quantity": 1, "customisation": {"initials": "ABCD"}}])  # fmt: skip
    order = place(
        session, team, [{"product_id": ring["id"], "quantity": 1, "customisation": {"initials": "CD"}}]
    )
    (item,) = session.select("order_items", order_id=order["id"])
    assert item["customisation"] == {"initials": "CD"}
    assert stock_of(team, ring["id"]) == 9
    # a product offering nothing takes no customisation, or an empty one, and only that
    plain = product(team)
    for given in ("initials", None, {"initials": "CD"}, []):
        fails(
            "22023",
            place,
            session,
            team,
            [{"product_id": plain["id"], "quantity": 1, "customisation": given}],
        )
    order = place(session, team, [{"product_id": plain["id"], "quantity": 1, "customisation": {}}])
    (item,) = session.select("order_items", order_id=order["id"])
    assert item["customisation"] == {}


def test_the_same_idempotency_key_returns_the_same_order(team: Team) -> None:
    ring = product(team, stock=10)
    _, session = customer(team)
    items = [{"product_id": ring["id"], "quantity": 2}]
    first = place(session, team, items, idempotency_key="cart-42")
    again = place(session, team, items, idempotency_key="cart-42")
    assert again["id"] == first["id"]
    assert stock_of(team, ring["id"]) == 8
    # another customer's key is theirs
    _, other = customer(team)
    assert place(other, team, items, idempotency_key="cart-42")["id"] != first["id"]
    assert stock_of(team, ring["id"]) == 6


def test_anon_and_the_service_role_without_a_key_cannot_order(team: Team, api: PostgREST) -> None:
    ring = product(team)
    items = [{"product_id": ring["id"], "quantity": 1}]
    assert fails("42501", place, api.anon(), team, items).status == 401
    fails("42501", place, api.service_role(), team, items)
    assert stock_of(team, ring["id"]) == 10


def api_key(team: Team, scopes: list[str]) -> str:
    made = team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="Shop", scopes=scopes)
    return made["key"]


def test_an_api_key_with_the_orders_scope_places_orders_for_its_organisation(
    team: Team, api: PostgREST
) -> None:
    ring = product(team)
    items = [{"product_id": ring["id"], "quantity": 1}]
    gateway = PostgREST(team.url, pre_request="private.check_request")
    key = api_key(team, ["read", "orders"])
    session = gateway.anon(headers={"x-api-key": key})
    order = place(session, team, items, customer_email="Client@Example.com", idempotency_key="k1")
    assert (order["customer_id"], order["customer_email"]) == (None, "client@example.com")
    assert order["api_key_id"] is not None
    assert (
        place(session, team, items, customer_email="client@example.com", idempotency_key="k1")["id"]
        == order["id"]
    )
    assert stock_of(team, ring["id"]) == 9

    read_only = gateway.anon(headers={"x-api-key": api_key(team, ["read"])})
    fails("42501", place, read_only, team, items)
    from tests.support.team import make_team

    other = make_team(api, team.url)
    fails("42501", read_only.rpc, "place_order", organization_id=other.org_id, items=items)
    fails("42501", session.rpc, "place_order", organization_id=other.org_id, items=items)
    assert stock_of(team, ring["id"]) == 9


# --- the status machine


def order_for(team: Team, quantity: int = 2, stock: int = 10) -> tuple[dict, dict, Session]:
    ring = product(team, stock=stock)
    _, session = customer(team)
    return place(session, team, [{"product_id": ring["id"], "quantity": quantity}]), ring, session


def set_status(session: Session, order: dict, status: str) -> list[dict]:
    return session.update("orders", {"status": status}, id=order["id"])


def test_the_happy_path_is_recorded_in_the_history(team: Team) -> None:
    order, ring, customer_session = order_for(team)
    team.as_("service_role").update("orders", {"status": "paid"}, id=order["id"])
    manager = team.as_("manager")
    for status in ("processing", "shipped", "delivered"):
        assert [r["status"] for r in set_status(manager, order, status)] == [status]
    history = customer_session.select("order_status_history", order_id=order["id"])
    assert [(h["from_status"], h["to_status"]) for h in sorted(history, key=lambda h: h["id"])] == [
        (None, "pending"), ("pending", "paid"), ("paid", "processing"),
        ("processing", "shipped"), ("shipped", "delivered"),
    ]  # fmt: skip
    assert {h["changed_by"] for h in history if h["to_status"] == "shipped"} == {team.people["manager"].id}
    assert stock_of(team, ring["id"]) == 8


def stock_audit_entries(team: Team, product_id: str) -> list[dict]:
    return team.superuser(
        "select operation, actor_role, old_values, new_values from public.audit_logs"
        " where table_name = 'products' and record_id = %s::text and operation = 'UPDATE' order by created_at",
        [product_id],
    )


def test_stock_an_order_moves_is_the_orders_record_and_a_members_stock_edit_is_audited(team: Team) -> None:
    order, ring, _ = order_for(team, quantity=3)
    team.as_("service_role").update("orders", {"status": "paid"}, id=order["id"])
    set_status(team.as_("manager"), order, "cancelled")  # restocks
    assert stock_of(team, ring["id"]) == 10
    # placing and cancelling moved the stock twice: no products audit entry (the order's items
    # and its status history are the record)
    assert stock_audit_entries(team, ring["id"]) == []
    # a manager's stock edit is audited, and so is the service role's, as before
    team.as_("manager").update("products", {"stock": 4}, id=ring["id"])
    team.as_("service_role").update("products", {"stock": 6}, id=ring["id"])
    entries = stock_audit_entries(team, ring["id"])
    assert [(e["actor_role"], e["old_values"], e["new_values"]) for e in entries] == [
        ("authenticated", {"stock": 10}, {"stock": 4}),
        ("service_role", {"stock": 4}, {"stock": 6}),
    ]
    # the mark an order sets lasts for its own update only: an edit later in the same transaction
    # is audited
    person, _ = customer(team)
    claims = {"role": "authenticated", "sub": str(person.id), "email": person.email}
    with psycopg.connect(team.url) as conn:
        conn.execute("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                     [json.dumps(claims)])  # fmt: skip
        conn.execute(
            "select public.place_order(%s, %s)",
            [team.org_id, Jsonb([{"product_id": str(ring["id"]), "quantity": 1}])],
        )
        conn.execute("reset role")
        assert conn.execute("select current_setting('luneo.stock_movement', true)").fetchone()[0] in (
            None,
            "",
        )
        conn.execute("update public.products set stock = 2 where id = %s", [ring["id"]])
    assert [e["new_values"] for e in stock_audit_entries(team, ring["id"])] == [
        {"stock": 4},
        {"stock": 6},
        {"stock": 2},
    ]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "shipped"),
        ([], "delivered"),
        ([], "refunded"),
        (["paid"], "pending"),
        (["paid", "processing"], "cancelled"),
        (["paid", "processing", "shipped"], "paid"),
        (["cancelled"], "paid"),
        (["paid", "refunded"], "paid"),
    ],
)
def test_invalid_transitions_are_refused_whoever_writes(team: Team, path: list[str], refused: str) -> None:
    order, _, _ = order_for(team)
    service = team.as_("service_role")
    for status in path:
        set_status(service, order, status)
    for who in ("service_role", "manager"):
        error = fails("LU104", set_status, team.as_(who), order, refused)
        assert error.status == 400
    (row,) = team.superuser("select status from public.orders where id = %s", [order["id"]])
    assert row["status"] == (path[-1] if path else "pending")


@pytest.mark.parametrize(
    ("path", "stock"),
    [
        (["cancelled"], 10),
        (["paid", "cancelled"], 10),
        (["paid", "refunded"], 10),
        (["paid", "processing", "refunded"], 10),
        # the goods left: a refund after shipping restocks nothing
        (["paid", "processing", "shipped", "refunded"], 7),
        (["paid", "processing", "shipped", "delivered", "refunded"], 7),
        (["paid", "processing", "shipped", "delivered"], 7),
    ],
)
def test_cancelling_and_refunding_before_shipping_restock(team: Team, path: list[str], stock: int) -> None:
    order, ring, _ = order_for(team, quantity=3)
    assert stock_of(team, ring["id"]) == 7
    for status in path:
        set_status(team.as_("owner"), order, status)
    assert stock_of(team, ring["id"]) == stock


def test_only_order_managers_change_the_status_and_nothing_else(team: Team) -> None:
    order, _, customer_session = order_for(team)
    assert set_status(team.as_("viewer"), order, "cancelled") == []
    assert set_status(team.as_("designer"), order, "cancelled") == []
    assert set_status(customer_session, order, "cancelled") == []
    fails("42501", team.as_("manager").update, "orders", {"total_amount": 1}, id=order["id"])
    (row,) = team.superuser("select status, total_amount from public.orders where id = %s", [order["id"]])
    assert row == {"status": "pending", "total_amount": order["total_amount"]}


def test_totals_must_add_up_even_for_the_service_role(team: Team) -> None:
    service = team.as_("service_role")
    row = {"organization_id": team.org_id, "subtotal_amount": 100, "tax_amount": 20, "total_amount": 100}
    fails("23514", service.insert, "orders", row)
    made = service.insert("orders", {"organization_id": team.org_id, "total_amount": 4200})[0]
    assert (made["subtotal_amount"], made["total_amount"]) == (4200, 4200)
    assert re.fullmatch(r"LUN-\d{4}-\d{6,}", made["order_number"])


def test_the_brands_shipping_rate_for_the_currency_is_added(team: Team) -> None:
    ring = product(team, price_amount=10000)
    manager = team.as_("manager")
    manager.insert("shipping_rates", {"organization_id": team.org_id, "currency": "EUR", "amount": 1500})
    manager.insert("shipping_rates", {"organization_id": team.org_id, "currency": "USD", "amount": 900})
    _, session = customer(team)
    order = place(session, team, [{"product_id": ring["id"], "quantity": 1}], shipping_address=FR)
    assert (order["subtotal_amount"], order["tax_amount"], order["shipping_amount"]) == (10000, 2000, 1500)
    assert order["total_amount"] == 13500
    fails("42501", team.as_("designer").insert, "shipping_rates",
          {"organization_id": team.org_id, "currency": "GBP", "amount": 1})  # fmt: skip


# --- discount codes


def code(team: Team, **values: Any) -> dict:
    row = {"organization_id": team.org_id, "code": "WELCOME", "kind": "percent", "percent_bp": 1000} | values
    return team.as_("manager").insert("discount_codes", row)[0]


def test_a_percent_code_comes_off_the_subtotal_before_tax(team: Team) -> None:
    ring = product(team, price_amount=10000)
    code(team, code="TEN")
    _, session = customer(team)
    order = place(
        session, team, [{"product_id": ring["id"], "quantity": 1}], shipping_address=FR, discount_code="ten"
    )
    assert (order["subtotal_amount"], order["discount_amount"], order["tax_amount"]) == (10000, 1000, 1800)
    assert order["total_amount"] == 10800
    assert order["discount_code_id"] is not None


def test_an_amount_code_never_exceeds_the_subtotal_and_must_match_the_currency(team: Team) -> None:
    ring = product(team, price_amount=300)
    code(team, code="BIG", kind="amount", percent_bp=None, amount=500, currency="EUR")
    code(team, code="DOLLARS", kind="amount", percent_bp=None, amount=100, currency="USD")
    _, session = customer(team)
    order = place(session, team, [{"product_id": ring["id"], "quantity": 1}], discount_code="BIG")
    assert (order["discount_amount"], order["total_amount"]) == (300, 0)
    fails("LU103", place, session, team, [{"product_id": ring["id"], "quantity": 1}], discount_code="DOLLARS")


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        ({"code": "OTHER"}, "LU105"),
        ({"active": False}, "LU105"),
        ({"valid_until": "2000-01-01T00:00:00Z", "valid_from": "1999-01-01T00:00:00Z"}, "LU106"),
        ({"valid_from": "2999-01-01T00:00:00Z"}, "LU106"),
    ],
)
def test_unknown_expired_and_future_codes_are_refused(team: Team, values: dict, sqlstate: str) -> None:
    ring = product(team, stock=5)
    code(team, **values)
    _, session = customer(team)
    before = count(team, "orders")
    fails(
        sqlstate, place, session, team, [{"product_id": ring["id"], "quantity": 1}], discount_code="WELCOME"
    )
    assert (count(team, "orders"), stock_of(team, ring["id"])) == (before, 5)


def test_usage_limits_overall_and_per_customer_and_a_cancel_gives_the_use_back(team: Team) -> None:
    ring = product(team, stock=50)
    made = code(team, max_uses=3, max_uses_per_customer=1)
    items = [{"product_id": ring["id"], "quantity": 1}]
    _, first = customer(team)
    order = place(first, team, items, discount_code="WELCOME")
    fails("LU107", place, first, team, items, discount_code="WELCOME")  # once per customer
    place(customer(team)[1], team, items, discount_code="WELCOME")
    place(customer(team)[1], team, items, discount_code="WELCOME")
    fails("LU107", place, customer(team)[1], team, items, discount_code="WELCOME")  # 3 uses overall
    uses = "select uses from public.discount_codes where id = %s"
    assert team.superuser(uses, [made["id"]]) == [{"uses": 3}]
    set_status(team.as_("manager"), order, "cancelled")
    assert team.superuser(uses, [made["id"]]) == [{"uses": 2}]
    place(first, team, items, discount_code="WELCOME")  # their cancelled order no longer counts
    assert stock_of(team, ring["id"]) == 50 - 4 + 1  # four orders, one of them cancelled (restocked)


def test_a_key_reused_for_another_basket_is_refused_and_orders_nothing(team: Team) -> None:
    ring = product(team, stock=10)
    _, session = customer(team)
    items = [{"product_id": ring["id"], "quantity": 2, "customisation": {}}]
    first = place(session, team, items, idempotency_key="cart-7", shipping_address=FR)
    # the same request, its keys in another order: the same order
    reordered = [{"customisation": {}, "quantity": 2, "product_id": ring["id"]}]
    address = dict(reversed(list(FR.items())))
    assert (
        place(session, team, reordered, idempotency_key="cart-7", shipping_address=address)["id"]
        == first["id"]
    )
    for changed in (
        {"items": [{"product_id": ring["id"], "quantity": 3, "customisation": {}}], "shipping_address": FR},
        {"items": items, "shipping_address": FR | {"city": "Paris"}},
        {"items": items, "shipping_address": FR, "customer_name": "Someone Else"},
        {"items": items},
    ):
        error = fails(
            "LU108",
            session.rpc,
            "place_order",
            organization_id=team.org_id,
            idempotency_key="cart-7",
            **changed,
        )
        assert error.status == 400
        assert first["order_number"] in (error.detail or "")
    assert stock_of(team, ring["id"]) == 8
    assert (
        team.superuser("select count(*) as n from public.orders where idempotency_key = 'cart-7'")[0]["n"]
        == 1
    )


def test_an_items_design_is_one_of_the_brands_designs_for_that_product(team: Team, api: PostgREST) -> None:
    ring = product(team, stock=10)
    other_product = product(team, stock=10)
    designer = team.as_("designer")
    design = designer.insert(
        "designs", {"organization_id": team.org_id, "product_id": ring["id"], "name": "Initials"}
    )[0]
    loose = designer.insert("designs", {"organization_id": team.org_id, "name": "Any product"})[0]
    elsewhere = make_team(api, team.url)
    foreign = elsewhere.as_("designer").insert(
        "designs", {"organization_id": elsewhere.org_id, "name": "Theirs"}
    )[0]
    _, session = customer(team)
    before = count(team, "orders")

    fails(
        "LU140", place, session, team, [{"product_id": ring["id"], "quantity": 1, "design_id": foreign["id"]}]
    )
    fails(
        "LU140",
        place,
        session,
        team,
        [{"product_id": ring["id"], "quantity": 1, "design_id": str(uuid.uuid4())}],
    )
    fails(
        "22023",
        place,
        session,
        team,
        [{"product_id": other_product["id"], "quantity": 1, "design_id": design["id"]}],
    )
    assert count(team, "orders") == before
    assert stock_of(team, ring["id"]) == 10

    order = place(
        session,
        team,
        [
            {"product_id": ring["id"], "quantity": 1, "design_id": design["id"]},
            {"product_id": other_product["id"], "quantity": 1, "design_id": loose["id"]},
        ],
    )
    items = team.superuser(
        "select design_id from public.order_items where order_id = %s order by sku", [order["id"]]
    )
    assert {i["design_id"] for i in items} == {design["id"], loose["id"]}
    # deleting the design keeps the item, without its design
    designer.delete("designs", id=design["id"])
    items = team.superuser("select design_id from public.order_items where order_id = %s", [order["id"]])
    assert len(items) == 2
    assert {i["design_id"] for i in items} == {None, loose["id"]}
    # the service role cannot point an item at a design of another brand either
    (item_id,) = team.superuser(
        "select id from public.order_items where order_id = %s limit 1", [order["id"]]
    )
    fails(
        "23503",
        team.as_("service_role").update,
        "order_items",
        {"design_id": foreign["id"]},
        id=item_id["id"],
    )


def test_an_item_belongs_to_its_orders_organisation_whoever_writes(team: Team, api: PostgREST) -> None:
    """The items' read policy trusts organization_id: the service role cannot put another brand's
    item in this brand's order (its members would then read it)."""
    order, _, _ = order_for(team)
    elsewhere = make_team(api, team.url)
    theirs = elsewhere.as_("manager").insert(
        "products",
        {"organization_id": elsewhere.org_id, "sku": "THEIRS-1", "name": "Theirs", "price_amount": 100},
    )[0]
    item = {
        "order_id": order["id"], "organization_id": elsewhere.org_id, "product_id": theirs["id"], "sku": "THEIRS-1",
        "name": "Theirs", "unit_price_amount": 100, "quantity": 1, "line_total_amount": 100, "currency": "EUR",
    }  # fmt: skip
    fails("23503", team.as_("service_role").insert, "order_items", item)
    assert len(team.superuser("select id from public.order_items where order_id = %s", [order["id"]])) == 1


def test_the_brand_searches_its_orders_by_number_or_email_prefix(team: Team, api: PostgREST) -> None:
    ring = product(team, stock=100)
    _, alice_session = customer(team)
    orders = [
        place(alice_session, team, [{"product_id": ring["id"], "quantity": 1}], customer_email=email)
        for email in ("alice.martin@example.com", "alice_b@example.com", "bob@example.com")
    ]
    elsewhere = make_team(api, team.url)
    theirs = product(elsewhere, stock=5)
    place(
        alice_session,
        elsewhere,
        [{"product_id": theirs["id"], "quantity": 1}],
        customer_email="alice.x@example.com",
    )
    viewer = team.as_("viewer")

    def search(query: str, **args: Any) -> list[str]:
        return [
            o["order_number"]
            for o in viewer.rpc("search_orders", organization_id=team.org_id, query=query, **args)
        ]

    newest_first = [o["order_number"] for o in reversed(orders)]
    assert search("ALICE") == newest_first[1:]  # the brand's own only, whatever the case
    assert search("alice_") == [orders[1]["order_number"]]  # "_" is a character, not a wildcard
    assert search("%") == []
    assert search(" bob@example.com ") == [orders[2]["order_number"]]
    assert search(orders[0]["order_number"].lower()) == [orders[0]["order_number"]]
    assert search(orders[0]["order_number"][:9]) == newest_first  # LUN-2026-
    assert search("LUN-", max_rows=2) == newest_first[:2]
    # orders.read is needed: not the customer's path, nor an outsider's
    fails("42501", alice_session.rpc, "search_orders", organization_id=team.org_id, query="alice")
    fails(
        "42501",
        new_person(team.url, "outsider").session(api).rpc,
        "search_orders",
        organization_id=team.org_id,
        query="a",
    )
    fails("22023", viewer.rpc, "search_orders", organization_id=team.org_id, query="a", max_rows=201)
    fails("22023", viewer.rpc, "search_orders", organization_id=team.org_id, query="   ")


def test_order_numbers_keep_every_digit_past_a_million(team: Team) -> None:
    team.superuser("select setval('private.order_number_seq', 999998)")
    service = team.as_("service_role")
    numbers = [
        service.insert("orders", {"organization_id": team.org_id, "total_amount": 100})[0]["order_number"]
        for _ in range(3)
    ]
    assert [n.rsplit("-", 1)[1] for n in numbers] == ["999999", "1000000", "1000001"]

"""The access matrix (tests/integration/access_matrix.toml), one test per cell, through the PostgREST helper.

One database and one team serve the whole module; every cell builds its own organisation (each
member role held by the team's person of that role) and its own target rows, so cells never
interfere, whatever they delete.
"""

from __future__ import annotations

import json
import tomllib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import pytest
from psycopg import sql

from tests.support.pg import Databases, Superuser, dbname
from tests.support.postgrest import PostgREST, PostgrestError, Session
from tests.support.team import MEMBER_ROLES, Person, Team, make_team, new_person

MATRIX = tomllib.loads((Path(__file__).with_name("access_matrix.toml")).read_text())
ROLES: list[str] = MATRIX["roles"]
MFA: dict[str, dict[str, dict[str, str]]] = MATRIX["mfa"]
MFA_RPC: dict[str, dict[str, dict[str, str]]] = MATRIX["mfa_rpc"]
TABLES: dict[str, dict[str, list[str]]] = {
    name: ops for name, ops in MATRIX.items() if name not in ("roles", "mfa", "mfa_rpc")
}

Kind = Literal["select", "insert", "update", "delete"]


# =============================================================================================
# the world: one database, one team, fresh organisations and rows per cell
# =============================================================================================


@dataclass
class Org:
    """An organisation built for one cell; `memberships[role]` is the team person's membership id."""

    id: uuid.UUID
    memberships: dict[str, uuid.UUID] = field(default_factory=dict)


@dataclass
class World:
    """The module's team, a superuser connection, and builders of fresh organisations and rows."""

    team: Team
    superuser: Superuser
    stranger: Person

    def insert(self, table: str, row: dict[str, Any]) -> dict:
        """Superuser insert into a public table, returning the row."""
        query = sql.SQL("insert into public.{} ({}) values ({}) returning *").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, row)),
            sql.SQL(", ").join(sql.Placeholder() * len(row)),
        )
        return self.superuser(query, list(row.values()))[0]

    def row(self, table: str, key: dict[str, Any]) -> dict | None:
        """The row as the superuser sees it (to_jsonb), or None."""
        query = sql.SQL("select to_jsonb(t) as row from public.{} as t where {}").format(
            sql.Identifier(table),
            sql.SQL(" and ").join(sql.SQL("t.{} = %s").format(sql.Identifier(k)) for k in key),
        )
        rows = self.superuser(query, list(key.values()))
        assert len(rows) <= 1, f"key {key} matches {len(rows)} rows of {table}"
        return rows[0]["row"] if rows else None

    def org(self, *, members: bool = True) -> Org:
        """A new organisation where each member role is held by the team's person of that role."""
        org = Org(uuid.uuid4())
        self.superuser(
            "insert into public.organizations (id, name, slug, seat_limit) values (%s, 'Matrix brand', %s, 50)",
            [org.id, f"matrix-{org.id.hex[:16]}"],
        )
        if members:
            people = [self.team.people[role].id for role in MEMBER_ROLES]
            rows = self.superuser(
                "insert into public.team_members (organization_id, user_id, role)"
                " select %s, m.user_id, m.role::public.team_role"
                " from unnest(%s::uuid[], %s::text[]) as m (user_id, role)"
                " returning id, role::text as role",
                [org.id, people, list(MEMBER_ROLES)],
            )
            org.memberships = {r["role"]: r["id"] for r in rows}
        return org

    def person(self, label: str = "someone") -> Person:
        return new_person(self.team.url, label)

    def member(self, org: Org, role: str = "viewer") -> tuple[Person, uuid.UUID]:
        """A new user joining `org` with `role`: the person and the membership id."""
        person = self.person(f"{role}-member")
        row = self.insert("team_members", {"organization_id": org.id, "user_id": person.id, "role": role})
        return person, row["id"]

    def user_id(self, role: str) -> uuid.UUID:
        """The actor's own user id, or a new user's for actors who are nobody (anon, service_role)."""
        if role in ("anon", "service_role"):
            return self.person(f"{role}-stand-in").id
        return self.team.people[role].id

    def email(self, role: str) -> str:
        if role in ("anon", "service_role"):
            return f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        return self.team.people[role].email


@pytest.fixture(scope="module")
def world(databases: Databases, template_db: str) -> Iterator[World]:
    """One clone of the template for the module, one team, a superuser connection."""
    url = databases.create(template=template_db)
    team = make_team(PostgREST(url), url)
    with Superuser(url) as su:
        yield World(team, su, new_person(url, "stranger"))
    databases.drop(dbname(url))


# =============================================================================================
# scenarios: the target row of each (table, operation), built for the acting role
# =============================================================================================


@dataclass(frozen=True)
class Action:
    """What a cell does: `kind` on `table`, at the row identified by `key`, with `values`."""

    kind: Kind
    table: str
    key: dict[str, Any]
    values: dict[str, Any] = field(default_factory=dict)


Scenario = Callable[[World, str, str], Action]
SCENARIOS: dict[tuple[str, str], Scenario] = {}


def scenario(table: str, *ops: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        for op in ops:
            SCENARIOS[table, op] = fn
        return fn

    return register


def tag() -> str:
    return uuid.uuid4().hex[:10]


def kind_of(op: str) -> Kind:
    kind = op.split("_")[0]
    assert kind in ("select", "insert", "update", "delete"), op
    return cast(Kind, kind)


# --- profiles


@scenario(
    "profiles", "select_own", "update_own", "delete_own", "select_other", "update_other", "delete_other"
)
def profiles(world: World, role: str, op: str) -> Action:
    # _other: a teammate, whom members see only through member_profiles()
    target = world.user_id(role) if op.endswith("_own") else world.member(world.org())[0].id
    return Action(kind_of(op), "profiles", {"id": target}, {"full_name": f"Renamed {tag()}"})


@scenario("profiles", "insert")
def profiles_insert(world: World, role: str, op: str) -> Action:
    person = world.person("profileless")
    world.superuser("delete from public.profiles where id = %s", [person.id])
    return Action("insert", "profiles", {"id": person.id}, {"id": person.id, "full_name": "New Profile"})


# --- organizations


@scenario("organizations", "select", "update", "delete")
def organizations(world: World, role: str, op: str) -> Action:
    org = world.org()
    return Action(kind_of(op), "organizations", {"id": org.id}, {"name": f"Renamed {tag()}"})


@scenario("organizations", "insert")
def organizations_insert(world: World, role: str, op: str) -> Action:
    new_id = uuid.uuid4()
    return Action(
        "insert", "organizations", {"id": new_id}, {"id": new_id, "name": "New brand", "slug": f"new-{tag()}"}
    )


# --- team_roles


@scenario("team_roles", "select", "update", "delete")
def team_roles(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert("team_roles", {"organization_id": org.id, "name": f"Role {tag()}"})
    return Action(kind_of(op), "team_roles", {"id": row["id"]}, {"description": f"Edited {tag()}"})


@scenario("team_roles", "insert")
def team_roles_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "name": f"Role {tag()}", "permissions": ["orders.read"]}
    return Action("insert", "team_roles", {"id": new_id}, row)


# --- team_members


def own_membership(world: World, org: Org, role: str) -> uuid.UUID:
    """The actor's membership of `org`; a new viewer's for actors who are not members."""
    if role in org.memberships:
        return org.memberships[role]
    return world.member(org)[1]


@scenario("team_members", "select_own", "select_other")
def team_members_select(world: World, role: str, op: str) -> Action:
    org = world.org()
    target = own_membership(world, org, role) if op == "select_own" else world.member(org)[1]
    return Action("select", "team_members", {"id": target})


@scenario("team_members", "insert")
def team_members_insert(world: World, role: str, op: str) -> Action:
    org, new_id, person = world.org(), uuid.uuid4(), world.person("joiner")
    row = {"id": new_id, "organization_id": org.id, "user_id": person.id, "role": "viewer"}
    return Action("insert", "team_members", {"id": new_id}, row)


@scenario("team_members", "update_own")
def team_members_update_own(world: World, role: str, op: str) -> Action:
    org = world.org()
    custom = world.insert(
        "team_roles", {"organization_id": org.id, "name": "Everything", "permissions": ["billing.read"]}
    )
    return Action(
        "update", "team_members", {"id": own_membership(world, org, role)}, {"custom_role_id": custom["id"]}
    )


@scenario("team_members", "update_other")
def team_members_update_other(world: World, role: str, op: str) -> Action:
    org = world.org()
    return Action("update", "team_members", {"id": world.member(org)[1]}, {"role": "designer"})


@scenario("team_members", "delete_own")
def team_members_delete_own(world: World, role: str, op: str) -> Action:
    org = world.org()
    world.member(org, "owner")  # a second owner: the owner's leaving is not refused as the last owner's
    return Action("delete", "team_members", {"id": own_membership(world, org, role)})


@scenario("team_members", "delete_other")
def team_members_delete_other(world: World, role: str, op: str) -> Action:
    org = world.org()
    return Action("delete", "team_members", {"id": world.member(org)[1]})


# --- invitations


@scenario("invitations", "select", "select_own", "update", "delete")
def invitations(world: World, role: str, op: str) -> Action:
    org = world.org()
    email = world.email(role) if op == "select_own" else f"invitee-{tag()}@example.com"
    row = world.insert("invitations", {"organization_id": org.id, "email": email})
    return Action(kind_of(op), "invitations", {"id": row["id"]}, {"role": "designer"})


@scenario("invitations", "insert")
def invitations_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "email": f"invitee-{tag()}@example.com"}
    return Action("insert", "invitations", {"id": new_id}, row)


# --- user_sessions


@scenario("user_sessions", "select_own", "update_own", "delete_own", "select_other", "delete_other")
def user_sessions(world: World, role: str, op: str) -> Action:
    user = world.user_id(role) if op.endswith("_own") else world.stranger.id
    row = world.insert(
        "user_sessions", {"user_id": user, "session_id": uuid.uuid4(), "device_name": "Laptop"}
    )
    return Action(kind_of(op), "user_sessions", {"id": row["id"]}, {"device_name": f"Renamed {tag()}"})


@scenario("user_sessions", "insert")
def user_sessions_insert(world: World, role: str, op: str) -> Action:
    new_id = uuid.uuid4()
    row = {"id": new_id, "user_id": world.user_id(role), "session_id": uuid.uuid4(), "device_name": "Phone"}
    return Action("insert", "user_sessions", {"id": new_id}, row)


# --- api_keys


@scenario("api_keys", "select", "update", "delete")
def api_keys(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert(
        "api_keys", {"organization_id": org.id, "name": "Shop", "key_prefix": "luneo_abcdEFGH"}
    )
    return Action(kind_of(op), "api_keys", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("api_keys", "insert")
def api_keys_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "name": "Shop", "key_prefix": "luneo_abcdEFGH"}
    return Action("insert", "api_keys", {"id": new_id}, row)


# --- audit_logs


@scenario("audit_logs", "select", "update", "delete")
def audit_logs(world: World, role: str, op: str) -> Action:
    org = world.org()
    (entry,) = world.superuser(
        "select id from public.audit_logs"
        " where table_name = 'organizations' and operation = 'INSERT' and record_id = %s",
        [str(org.id)],
    )
    return Action(kind_of(op), "audit_logs", {"id": entry["id"]}, {"table_name": "tampered"})


def audit_entry(world: World, table: str, record_id: Any) -> int:
    (entry,) = world.superuser(
        "select id from public.audit_logs where table_name = %s and operation = 'INSERT' and record_id = %s",
        [table, str(record_id)],
    )
    return entry["id"]


AUDITED_ROWS: dict[str, Callable[[World, Org], Any]] = {
    "api_keys": lambda world, org: world.insert(
        "api_keys", {"organization_id": org.id, "name": "Shop", "key_prefix": "luneo_abcdEFGH"}
    )["id"],
    "invoices": lambda world, org: world.insert(
        "invoices", {"organization_id": org.id, "number": f"LU-{tag()}", "amount_due": 4900}
    )["id"],
    "team_members": lambda world, org: world.member(org)[1],
    "team_roles": lambda world, org: world.insert(
        "team_roles", {"organization_id": org.id, "name": f"Role {tag()}", "permissions": ["billing.read"]}
    )["id"],
    "invitations": lambda world, org: world.insert(
        "invitations", {"organization_id": org.id, "email": f"invitee-{tag()}@example.com"}
    )["id"],
    "products": lambda world, org: world.insert(
        "products", {"organization_id": org.id, "sku": f"SKU-{tag()}", "name": "Ring", "price_amount": 9900}
    )["id"],
    "ar_models": lambda world, org: ar_model(world, org)["id"],
    "ar_experiences": lambda world, org: ar_experience(world, org)["id"],
    "designs": lambda world, org: world.insert("designs", {"organization_id": org.id, "name": "Initials"})[
        "id"
    ],
    "templates": lambda world, org: world.insert(
        "templates", {"organization_id": org.id, "name": "Monogram"}
    )["id"],
    "webhook_endpoints": lambda world, org: webhook_endpoint(world, org)["id"],
    "subscriptions": lambda world, org: world.insert("subscriptions", subscription_row(org))["id"],
}


def ar_model(world: World, org: Org) -> dict:
    """A model of a new product of `org` (superuser)."""
    product = world.insert(
        "products", {"organization_id": org.id, "sku": f"SKU-{tag()}", "name": "Ring", "price_amount": 9900}
    )
    return world.insert(
        "ar_models",
        {
            "organization_id": org.id,
            "product_id": product["id"],
            "name": "Ring",
            "format": "glb",
            "storage_path": f"{org.id}/{tag()}.glb",
            "size_bytes": 1000,
        },
    )


def ar_experience(world: World, org: Org, *, public: bool = False) -> dict:
    model = ar_model(world, org)
    row = {"organization_id": org.id, "ar_model_id": model["id"], "name": "Try it", "is_public": public}
    return world.insert("ar_experiences", row)


@scenario("audit_logs", *(f"select_{table}_entry" for table in AUDITED_ROWS))
def audit_logs_entry(world: World, role: str, op: str) -> Action:
    """The entry written when a row of the table named in `op` was created in a fresh organisation."""
    table = op.removeprefix("select_").removesuffix("_entry")
    org = world.org()
    return Action("select", "audit_logs", {"id": audit_entry(world, table, AUDITED_ROWS[table](world, org))})


@scenario("audit_logs", "insert")
def audit_logs_insert(world: World, role: str, op: str) -> Action:
    org, marker = world.org(), f"forged-{tag()}"
    row = {"organization_id": org.id, "table_name": marker, "operation": "DELETE"}
    return Action("insert", "audit_logs", {"table_name": marker}, row)


# --- webhooks


def webhook_endpoint(world: World, org: Org) -> dict:
    return world.insert(
        "webhook_endpoints", {"organization_id": org.id, "url": "https://hooks.example.com/luneo"}
    )


def webhook_delivery(world: World, org: Org) -> dict:
    """A delivery of an event emitted in `org` to its endpoint (the fan-out writes it)."""
    webhook_endpoint(world, org)
    (event,) = world.superuser("select private.emit_event('webhook.test', %s, '{}') as id", [org.id])
    (delivery,) = world.superuser(
        "select * from public.webhook_deliveries where event_id = %s", [event["id"]]
    )
    return delivery


@scenario("webhook_endpoints", "select", "update", "delete")
def webhook_endpoints(world: World, role: str, op: str) -> Action:
    row = webhook_endpoint(world, world.org())
    return Action(kind_of(op), "webhook_endpoints", {"id": row["id"]}, {"description": f"Renamed {tag()}"})


@scenario("webhook_endpoints", "insert")
def webhook_endpoints_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "url": "https://hooks.example.com/forged"}
    return Action("insert", "webhook_endpoints", {"id": new_id}, row)


@scenario("webhook_deliveries", "select", "update", "delete")
def webhook_deliveries(world: World, role: str, op: str) -> Action:
    delivery = webhook_delivery(world, world.org())
    return Action(kind_of(op), "webhook_deliveries", {"id": delivery["id"]}, {"status": "succeeded"})


@scenario("webhook_deliveries", "insert")
def webhook_deliveries_insert(world: World, role: str, op: str) -> Action:
    org = world.org()
    delivery = webhook_delivery(world, org)
    new_id = uuid.uuid4()
    row = {
        "id": new_id,
        "organization_id": org.id,
        "endpoint_id": delivery["endpoint_id"],
        "event_id": delivery["event_id"],
        "event_type": "webhook.test",
    }
    return Action("insert", "webhook_deliveries", {"id": new_id}, row)


def webhook_attempt(world: World, org: Org) -> dict:
    delivery = webhook_delivery(world, org)
    (row,) = world.superuser(
        "insert into public.webhook_history (delivery_id, organization_id, endpoint_id, attempt, status_code)"
        " values (%s, %s, %s, 1, 500) returning *",
        [delivery["id"], org.id, delivery["endpoint_id"]],
    )
    return row


@scenario("webhook_history", "select", "update", "delete")
def webhook_history(world: World, role: str, op: str) -> Action:
    attempt = webhook_attempt(world, world.org())
    return Action(kind_of(op), "webhook_history", {"id": attempt["id"]}, {"status_code": 200})


@scenario("webhook_history", "insert")
def webhook_history_insert(world: World, role: str, op: str) -> Action:
    org = world.org()
    delivery = webhook_delivery(world, org)
    marker = 4000 + int(tag()[:3], 16)
    row = {
        "delivery_id": delivery["id"],
        "organization_id": org.id,
        "endpoint_id": delivery["endpoint_id"],
        "attempt": marker,
    }
    return Action("insert", "webhook_history", {"attempt": marker, "delivery_id": delivery["id"]}, row)


# --- products


@scenario("products", "select", "update", "delete", "select_active")
def products(world: World, role: str, op: str) -> Action:
    # select_active: an active product of a brand the actor has nothing to do with
    org = world.org(members=op != "select_active")
    status = "active" if op == "select_active" else "draft"
    row = world.insert(
        "products",
        {
            "organization_id": org.id,
            "sku": f"SKU-{tag()}",
            "name": "Ring",
            "price_amount": 9900,
            "status": status,
        },
    )
    return Action(kind_of(op), "products", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("products", "insert")
def products_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {
        "id": new_id,
        "organization_id": org.id,
        "sku": f"SKU-{tag()}",
        "name": "Ring",
        "price_amount": 9900,
    }
    return Action("insert", "products", {"id": new_id}, row)


# --- ar_models, ar_experiences


@scenario("ar_models", "select", "update", "delete")
def ar_models(world: World, role: str, op: str) -> Action:
    row = ar_model(world, world.org())
    return Action(kind_of(op), "ar_models", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("ar_models", "insert")
def ar_models_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    product = world.insert(
        "products", {"organization_id": org.id, "sku": f"SKU-{tag()}", "name": "Ring", "price_amount": 9900}
    )
    row = {
        "id": new_id,
        "organization_id": org.id,
        "product_id": product["id"],
        "name": "Ring",
        "format": "usdz",
        "storage_path": f"{org.id}/{tag()}.usdz",
        "size_bytes": 1000,
    }
    return Action("insert", "ar_models", {"id": new_id}, row)


@scenario("ar_experiences", "select", "update", "delete", "select_public")
def ar_experiences(world: World, role: str, op: str) -> Action:
    public = op == "select_public"
    row = ar_experience(world, world.org(members=not public), public=public)
    return Action(kind_of(op), "ar_experiences", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("ar_experiences", "insert")
def ar_experiences_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    model = ar_model(world, org)
    row = {"id": new_id, "organization_id": org.id, "ar_model_id": model["id"], "name": "Try it"}
    return Action("insert", "ar_experiences", {"id": new_id}, row)


# --- orders


@scenario("orders", "select", "update", "delete")
def orders(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert("orders", {"organization_id": org.id, "customer_email": "client@example.com"})
    return Action(kind_of(op), "orders", {"id": row["id"]}, {"status": "paid"})


@scenario("orders", "select_own")
def orders_select_own(world: World, role: str, op: str) -> Action:
    other_brand = world.org(members=False)
    row = world.insert("orders", {"organization_id": other_brand.id, "customer_id": world.user_id(role)})
    return Action("select", "orders", {"id": row["id"]})


@scenario("orders", "insert")
def orders_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    return Action("insert", "orders", {"id": new_id}, {"id": new_id, "organization_id": org.id})


def order_with_item(world: World, org: Org, customer_id: uuid.UUID | None = None) -> tuple[dict, dict]:
    made = world.insert(
        "products",
        {"organization_id": org.id, "sku": f"SKU-{tag()}", "name": "Ring", "price_amount": 9900},
    )
    order = world.insert(
        "orders", {"organization_id": org.id, "customer_id": customer_id, "total_amount": 9900}
    )
    item = world.insert(
        "order_items",
        {
            "order_id": order["id"],
            "organization_id": org.id,
            "product_id": made["id"],
            "sku": made["sku"],
            "name": "Ring",
            "unit_price_amount": 9900,
            "quantity": 1,
            "line_total_amount": 9900,
            "currency": "EUR",
        },
    )
    return order, item


@scenario("order_items", "select", "update", "delete", "select_own")
def order_items(world: World, role: str, op: str) -> Action:
    if op == "select_own":
        _, item = order_with_item(world, world.org(members=False), world.user_id(role))
    else:
        _, item = order_with_item(world, world.org())
    return Action(kind_of(op), "order_items", {"id": item["id"]}, {"quantity": 2, "line_total_amount": 19800})


@scenario("order_items", "insert")
def order_items_insert(world: World, role: str, op: str) -> Action:
    order, item = order_with_item(world, world.org())
    new_id = uuid.uuid4()
    row = {k: item[k] for k in ("organization_id", "product_id", "sku", "name", "currency")}
    row |= {
        "id": new_id,
        "order_id": order["id"],
        "unit_price_amount": 1,
        "quantity": 1,
        "line_total_amount": 1,
    }
    return Action("insert", "order_items", {"id": new_id}, row)


@scenario("order_status_history", "select", "update", "delete", "select_own")
def order_status_history(world: World, role: str, op: str) -> Action:
    org = world.org(members=op != "select_own")
    customer = world.user_id(role) if op == "select_own" else None
    order = world.insert("orders", {"organization_id": org.id, "customer_id": customer})
    (entry,) = world.superuser(
        "select id from public.order_status_history where order_id = %s", [order["id"]]
    )
    return Action(kind_of(op), "order_status_history", {"id": entry["id"]}, {"to_status": "paid"})


@scenario("order_status_history", "insert")
def order_status_history_insert(world: World, role: str, op: str) -> Action:
    org = world.org()
    order = world.insert("orders", {"organization_id": org.id})
    row = {"order_id": order["id"], "organization_id": org.id, "to_status": f"forged-{tag()}"}
    return Action("insert", "order_status_history", {"to_status": row["to_status"]}, row)


@scenario("tax_rates", "select", "update", "delete")
def tax_rates(world: World, role: str, op: str) -> Action:
    code = next_country(world)
    world.insert("tax_rates", {"country_code": code, "rate_bp": 1000, "name": "Test VAT"})
    return Action(kind_of(op), "tax_rates", {"country_code": code}, {"rate_bp": 1100})


@scenario("tax_rates", "insert")
def tax_rates_insert(world: World, role: str, op: str) -> Action:
    code = next_country(world)
    row = {"country_code": code, "rate_bp": 1000, "name": "Test VAT"}
    return Action("insert", "tax_rates", {"country_code": code}, row)


@scenario("shipping_rates", "select", "update", "delete")
def shipping_rates(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert("shipping_rates", {"organization_id": org.id, "currency": "EUR", "amount": 1500})
    return Action(kind_of(op), "shipping_rates", {"id": row["id"]}, {"amount": 2500})


@scenario("shipping_rates", "insert")
def shipping_rates_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "currency": "USD", "amount": 1500}
    return Action("insert", "shipping_rates", {"id": new_id}, row)


@scenario("discount_codes", "select", "update", "delete")
def discount_codes(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert(
        "discount_codes",
        {"organization_id": org.id, "code": "WELCOME", "kind": "percent", "percent_bp": 1000},
    )
    return Action(kind_of(op), "discount_codes", {"id": row["id"]}, {"active": False})


@scenario("discount_codes", "insert")
def discount_codes_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {
        "id": new_id,
        "organization_id": org.id,
        "code": "SPRING",
        "kind": "amount",
        "amount": 500,
        "currency": "EUR",
    }
    return Action("insert", "discount_codes", {"id": new_id}, row)


def next_country(world: World) -> str:
    """A two-letter code no rate uses yet (cells never share one)."""
    (row,) = world.superuser(
        "select c from (select chr(65 + a) || chr(65 + b) as c from generate_series(0, 25) as a,"
        " generate_series(0, 25) as b) as codes"
        " where c not in (select country_code from public.tax_rates) order by random() limit 1"
    )
    return row["c"]


# --- invoices


@scenario("invoices", "select", "update", "delete")
def invoices(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = world.insert("invoices", {"organization_id": org.id, "number": f"LU-{tag()}", "amount_due": 4900})
    return Action(kind_of(op), "invoices", {"id": row["id"]}, {"status": "paid"})


@scenario("invoices", "insert")
def invoices_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "number": f"LU-{tag()}", "amount_due": 4900}
    return Action("insert", "invoices", {"id": new_id}, row)


# --- plans, plan_prices, customers, subscriptions, payment_methods, usage_metrics (billing)


def plan_row(plan_id: str) -> dict[str, Any]:
    return {"id": plan_id, "name": "Matrix plan", "seats": 10, "designs_per_month": 100}


def plan_id() -> str:
    """A new plan id (the check wants a letter first)."""
    return f"matrix_{tag()}"


@scenario("plans", "select", "update", "delete")
def plans(world: World, role: str, op: str) -> Action:
    # a plan of its own: the built-in ones are referenced by every organisation
    row = world.insert("plans", plan_row(plan_id()))
    return Action(kind_of(op), "plans", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("plans", "insert")
def plans_insert(world: World, role: str, op: str) -> Action:
    new_id = plan_id()
    return Action("insert", "plans", {"id": new_id}, plan_row(new_id))


def price_row(world: World) -> dict[str, Any]:
    plan = world.insert("plans", plan_row(plan_id()))
    return {
        "stripe_price_id": f"price_{tag()}",
        "plan_id": plan["id"],
        "currency": "EUR",
        "unit_amount": 4900,
        "billing_interval": "month",
        "interval_count": 1,
    }


@scenario("plan_prices", "select", "update", "delete")
def plan_prices(world: World, role: str, op: str) -> Action:
    row = world.insert("plan_prices", price_row(world))
    return Action(
        kind_of(op), "plan_prices", {"stripe_price_id": row["stripe_price_id"]}, {"unit_amount": 5900}
    )


@scenario("plan_prices", "insert")
def plan_prices_insert(world: World, role: str, op: str) -> Action:
    row = price_row(world)
    return Action("insert", "plan_prices", {"stripe_price_id": row["stripe_price_id"]}, row)


@scenario("customers", "select", "update", "delete")
def customers(world: World, role: str, op: str) -> Action:
    org = world.org()
    world.insert("customers", {"organization_id": org.id, "stripe_customer_id": f"cus_{tag()}"})
    return Action(
        kind_of(op), "customers", {"organization_id": org.id}, {"email": f"billing-{tag()}@example.com"}
    )


@scenario("customers", "insert")
def customers_insert(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = {"organization_id": org.id, "stripe_customer_id": f"cus_{tag()}"}
    return Action("insert", "customers", {"organization_id": org.id}, row)


def subscription_row(org: Org) -> dict[str, Any]:
    return {
        "organization_id": org.id,
        "stripe_subscription_id": f"sub_{tag()}",
        "stripe_customer_id": f"cus_{tag()}",
        "plan_id": "pro",
        "status": "active",
        "quantity": 1,
    }


@scenario("subscriptions", "select", "update", "delete")
def subscriptions(world: World, role: str, op: str) -> Action:
    row = world.insert("subscriptions", subscription_row(world.org()))
    return Action(kind_of(op), "subscriptions", {"id": row["id"]}, {"cancel_at_period_end": True})


@scenario("subscriptions", "insert")
def subscriptions_insert(world: World, role: str, op: str) -> Action:
    new_id = uuid.uuid4()
    return Action("insert", "subscriptions", {"id": new_id}, {"id": new_id, **subscription_row(world.org())})


def payment_method_row(org: Org) -> dict[str, Any]:
    return {
        "stripe_payment_method_id": f"pm_{tag()}",
        "organization_id": org.id,
        "stripe_customer_id": f"cus_{tag()}",
        "type": "card",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
    }


@scenario("payment_methods", "select", "update", "delete")
def payment_methods(world: World, role: str, op: str) -> Action:
    row = world.insert("payment_methods", payment_method_row(world.org()))
    key = {"stripe_payment_method_id": row["stripe_payment_method_id"]}
    return Action(kind_of(op), "payment_methods", key, {"is_default": True})


@scenario("payment_methods", "insert")
def payment_methods_insert(world: World, role: str, op: str) -> Action:
    row = payment_method_row(world.org())
    return Action(
        "insert", "payment_methods", {"stripe_payment_method_id": row["stripe_payment_method_id"]}, row
    )


def this_month(world: World) -> str:
    """The first instant of this month (UTC), as to_jsonb writes it (the superuser compares rows so)."""
    (row,) = world.superuser("select to_jsonb(date_trunc('month', now(), 'UTC')) #>> '{}' as month")
    return row["month"]


# A new organisation has one counter at most: (organisation, metric) is the key of the cells
# (a timestamptz in the key would come back from the API as a datetime, not as to_jsonb's text).


@scenario("usage_metrics", "select", "update", "delete")
def usage_metrics(world: World, role: str, op: str) -> Action:
    org = world.org()
    world.insert(
        "usage_metrics",
        {"organization_id": org.id, "metric": "designs", "period_start": this_month(world), "value": 3},
    )
    return Action(
        kind_of(op), "usage_metrics", {"organization_id": org.id, "metric": "designs"}, {"value": 4}
    )


@scenario("usage_metrics", "insert")
def usage_metrics_insert(world: World, role: str, op: str) -> Action:
    org = world.org()
    row = {"organization_id": org.id, "metric": "designs", "period_start": this_month(world), "value": 1}
    return Action("insert", "usage_metrics", {"organization_id": org.id, "metric": "designs"}, row)


# --- designs, design_versions, design_collections, design_collection_items


@scenario("designs", "select", "update", "delete")
def designs(world: World, role: str, op: str) -> Action:
    row = world.insert("designs", {"organization_id": world.org().id, "name": "Initials"})
    return Action(kind_of(op), "designs", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("designs", "insert")
def designs_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    return Action(
        "insert", "designs", {"id": new_id}, {"id": new_id, "organization_id": org.id, "name": "New"}
    )


@scenario("design_versions", "select", "update", "delete", "insert")
def design_versions(world: World, role: str, op: str) -> Action:
    org = world.org()
    design = world.insert("designs", {"organization_id": org.id, "name": "Initials"})
    if op == "insert":
        new_id = uuid.uuid4()
        row = {"id": new_id, "organization_id": org.id, "design_id": design["id"], "version": 2}
        return Action("insert", "design_versions", {"id": new_id}, row)
    (version,) = world.superuser("select id from public.design_versions where design_id = %s", [design["id"]])
    return Action(
        kind_of(op), "design_versions", {"id": version["id"]}, {"thumbnail": f"{org.id}/{tag()}.png"}
    )


@scenario("design_collections", "select", "update", "delete")
def design_collections(world: World, role: str, op: str) -> Action:
    row = world.insert("design_collections", {"organization_id": world.org().id, "name": "Summer"})
    return Action(kind_of(op), "design_collections", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("design_collections", "insert")
def design_collections_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {"id": new_id, "organization_id": org.id, "name": "Gifts"}
    return Action("insert", "design_collections", {"id": new_id}, row)


@scenario("design_collection_items", "select", "insert", "delete")
def design_collection_items(world: World, role: str, op: str) -> Action:
    org = world.org()
    design = world.insert("designs", {"organization_id": org.id, "name": "Initials"})
    collection = world.insert("design_collections", {"organization_id": org.id, "name": "Summer"})
    key = {"organization_id": org.id, "collection_id": collection["id"], "design_id": design["id"]}
    if op != "insert":
        world.insert("design_collection_items", key)
    return Action(kind_of(op), "design_collection_items", key, dict(key))


# --- templates, user_templates, template_favorites, cliparts


def published_template(world: World) -> dict:
    return world.insert(
        "templates", {"organization_id": world.org(members=False).id, "name": "Gallery", "is_published": True}
    )


@scenario("templates", "select", "update", "delete", "select_published")
def templates(world: World, role: str, op: str) -> Action:
    if op == "select_published":
        row = published_template(world)
    else:
        row = world.insert("templates", {"organization_id": world.org().id, "name": "Monogram"})
    return Action(kind_of(op), "templates", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("templates", "insert")
def templates_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    return Action(
        "insert", "templates", {"id": new_id}, {"id": new_id, "organization_id": org.id, "name": "New"}
    )


@scenario(
    "user_templates", "select_own", "update_own", "delete_own", "select_other", "update_other", "delete_other"
)
def user_templates(world: World, role: str, op: str) -> Action:
    user = world.user_id(role) if op.endswith("_own") else world.stranger.id
    source = published_template(world)
    row = world.insert("user_templates", {"user_id": user, "template_id": source["id"], "name": "My copy"})
    return Action(kind_of(op), "user_templates", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("user_templates", "insert")
def user_templates_insert(world: World, role: str, op: str) -> Action:
    new_id, source = uuid.uuid4(), published_template(world)
    row = {"id": new_id, "user_id": world.user_id(role), "template_id": source["id"], "name": "My copy"}
    return Action("insert", "user_templates", {"id": new_id}, row)


@scenario("template_favorites", "select_own", "delete_own", "select_other", "delete_other", "insert")
def template_favorites(world: World, role: str, op: str) -> Action:
    user = world.stranger.id if op.endswith("_other") else world.user_id(role)
    key = {"user_id": user, "template_id": published_template(world)["id"]}
    if op != "insert":
        world.insert("template_favorites", key)
    return Action(kind_of(op), "template_favorites", key, dict(key))


def clipart(world: World, org: Org, **values: Any) -> dict:
    row = {"organization_id": org.id, "name": "Crown", "storage_path": f"{org.id}/crown.svg", "format": "svg"}
    return world.insert("cliparts", row | values)


@scenario("cliparts", "select", "update", "delete", "select_published")
def cliparts(world: World, role: str, op: str) -> Action:
    if op == "select_published":
        row = clipart(world, world.org(members=False), is_published=True)
    else:
        row = clipart(world, world.org())
    return Action(kind_of(op), "cliparts", {"id": row["id"]}, {"name": f"Renamed {tag()}"})


@scenario("cliparts", "insert")
def cliparts_insert(world: World, role: str, op: str) -> Action:
    org, new_id = world.org(), uuid.uuid4()
    row = {
        "id": new_id,
        "organization_id": org.id,
        "name": "Crown",
        "storage_path": "x/crown.png",
        "format": "png",
    }
    return Action("insert", "cliparts", {"id": new_id}, row)


# --- notifications, notification_preferences, notification_types


@scenario(
    "notifications", "select_own", "update_own", "delete_own", "select_other", "update_other", "delete_other"
)
def notifications(world: World, role: str, op: str) -> Action:
    user = world.user_id(role) if op.endswith("_own") else world.stranger.id
    row = world.insert(
        "notifications",
        {"user_id": user, "kind": "member.joined", "title": "Hello", "message": "A member joined."},
    )
    return Action(kind_of(op), "notifications", {"id": row["id"]}, {"read_at": "2026-01-02T03:04:05+00:00"})


@scenario("notifications", "insert")
def notifications_insert(world: World, role: str, op: str) -> Action:
    new_id = uuid.uuid4()
    row = {
        "id": new_id,
        "user_id": world.user_id(role),
        "kind": "member.joined",
        "title": "Forged",
        "message": "x",
    }
    return Action("insert", "notifications", {"id": new_id}, row)


def kind_name() -> str:
    """A new notification kind name (letters only, as the catalogue's check wants)."""
    return "matrix." + tag().translate(str.maketrans("0123456789", "ghijklmnop"))


def notification_preference(world: World, user: uuid.UUID) -> dict:
    """A new kind of the catalogue (so each cell has its own), and the user's choice for it."""
    kind = kind_name()
    world.insert(
        "notification_types",
        {
            "name": kind,
            "description": "A kind for the access matrix",
            "audience": "nobody",
            "in_app": True,
            "in_app_default": True,
            "email_default": False,
        },
    )
    return world.insert(
        "notification_preferences", {"user_id": user, "kind": kind, "channel": "in_app", "enabled": False}
    )


@scenario(
    "notification_preferences",
    "select_own",
    "update_own",
    "delete_own",
    "select_other",
    "update_other",
    "delete_other",
)
def notification_preferences(world: World, role: str, op: str) -> Action:
    user = world.user_id(role) if op.endswith("_own") else world.stranger.id
    row = notification_preference(world, user)
    key = {"user_id": row["user_id"], "kind": row["kind"], "channel": "in_app"}
    return Action(kind_of(op), "notification_preferences", key, {"enabled": True})


@scenario("notification_preferences", "insert")
def notification_preferences_insert(world: World, role: str, op: str) -> Action:
    user = world.user_id(role)
    kind = notification_preference(world, world.stranger.id)["kind"]
    row = {"user_id": user, "kind": kind, "channel": "in_app", "enabled": False}
    return Action(
        "insert", "notification_preferences", {"user_id": user, "kind": kind, "channel": "in_app"}, row
    )


@scenario("notification_types", "select", "update", "delete")
def notification_types(world: World, role: str, op: str) -> Action:
    kind = notification_preference(world, world.stranger.id)["kind"]
    world.superuser("delete from public.notification_preferences where kind = %s", [kind])
    return Action(kind_of(op), "notification_types", {"name": kind}, {"description": f"Edited {tag()}"})


@scenario("notification_types", "insert")
def notification_types_insert(world: World, role: str, op: str) -> Action:
    name = kind_name()
    row = {
        "name": name,
        "description": "New",
        "audience": "nobody",
        "in_app": False,
        "in_app_default": False,
        "email_default": False,
    }
    return Action("insert", "notification_types", {"name": name}, row)


# --- revenue and the order views


def paid_order(world: World, org: Org, customer_id: uuid.UUID | None = None) -> dict:
    """A paid order (its payment recorded by trigger) with one item."""
    order, _ = order_with_item(world, org, customer_id)
    world.superuser("update public.orders set status = 'paid' where id = %s", [order["id"]])
    return order


@scenario("revenue_tracking", "select", "update", "delete")
def revenue_tracking(world: World, role: str, op: str) -> Action:
    order = paid_order(world, world.org())
    (entry,) = world.superuser("select id from public.revenue_tracking where order_id = %s", [order["id"]])
    return Action(kind_of(op), "revenue_tracking", {"id": entry["id"]}, {"amount": 1})


@scenario("revenue_tracking", "insert")
def revenue_tracking_insert(world: World, role: str, op: str) -> Action:
    org, description = world.org(), f"adjustment {tag()}"
    row = {
        "organization_id": org.id,
        "kind": "adjustment",
        "amount": -100,
        "currency": "EUR",
        "description": description,
    }
    return Action("insert", "revenue_tracking", {"description": description}, row)


# The views are read-only for everyone (select granted, nothing else); what a select returns is
# decided by the tables' policies (security_invoker). select: the organisation's row; select_own:
# the row of the actor's own order with another brand.


VIEWS = ("orders_with_items", "order_stats", "analytics_daily", "user_stats")


def view_key(view: str, order: dict, day: str) -> dict[str, Any]:
    """The key of the view's row that shows `order`."""
    return {
        "orders_with_items": {"id": order["id"]},
        "order_stats": {"organization_id": order["organization_id"], "currency": order["currency"]},
        "analytics_daily": {"organization_id": order["organization_id"], "day": day},
        "user_stats": {"organization_id": order["organization_id"], "user_id": order["customer_id"]},
    }[view]


def view_scenario(view: str) -> Scenario:
    def build(world: World, role: str, op: str) -> Action:
        if op == "select_own":
            order = paid_order(world, world.org(members=False), world.user_id(role))
        else:
            order = paid_order(world, world.org(), world.person("customer").id)
        (today,) = world.superuser("select (now() at time zone 'UTC')::date::text as day")
        key = view_key(view, order, today["day"])
        if op == "insert":
            if view == "orders_with_items":
                new_id = uuid.uuid4()
                return Action(
                    "insert",
                    view,
                    {"id": new_id},
                    {"id": new_id, "organization_id": order["organization_id"]},
                )
            key = key | {"organization_id": world.org().id}  # a row that does not exist yet
            return Action("insert", view, key, key)
        return Action(kind_of(op), view, key, {"organization_id": world.org().id})

    return build


for _view in VIEWS:
    scenario(_view, "select", "select_own", "insert", "update", "delete")(view_scenario(_view))


# =============================================================================================
# running a cell: allowed or denied, each asserted precisely
# =============================================================================================


def jsonable(value: Any) -> Any:
    """A Python value as it appears in to_jsonb()."""
    return json.loads(json.dumps(value, default=str))


def run(session: Session, action: Action) -> list[dict]:
    if action.kind == "select":
        return session.select(action.table, **action.key)
    if action.kind == "insert":
        return session.insert(action.table, action.values)
    if action.kind == "update":
        return session.update(action.table, action.values, **action.key)
    return session.delete(action.table, **action.key)


def outcome(world: World, session: Session, action: Action) -> str:
    """'allow' or 'deny', after asserting that the request did exactly one or the other."""
    before = world.row(action.table, action.key)
    if action.kind == "insert":
        assert before is None, "the row to insert already exists"
    else:
        assert before is not None, "the target row is missing"
    refused: PostgrestError | None = None
    try:
        rows = run(session, action)
    except PostgrestError as exc:
        refused, rows = exc, []
    after = world.row(action.table, action.key)
    if refused is not None:
        # 55000: a write to a view that is not updatable (an aggregate) fails before privileges are checked
        denials = ("42501", "55000") if action.table in VIEWS else ("42501",)
        assert refused.sqlstate in denials, f"neither allowed nor denied: {refused}"
        assert after == before, "refused with 42501, yet the row changed"
        return "deny"
    if not rows:
        assert after == before, "zero rows returned, yet the row changed"
        return "deny"
    key = jsonable(action.key)
    assert len(rows) == 1, f"{len(rows)} rows returned instead of the target row"
    assert {k: jsonable(rows[0][k]) for k in key} == key, "another row than the target was returned"
    if action.kind == "select":
        assert after == before
    elif action.kind == "delete":
        assert after is None, "the row was returned as deleted but is still there"
    else:
        assert after is not None, "the row returned is not in the table"
        changed = {k: after[k] for k in action.values}
        assert changed == jsonable(action.values), "the change is not visible to the superuser"
    return "allow"


CELLS = [
    pytest.param(table, op, role, expected, id=f"{table}-{op}-{role}")
    for table, ops in TABLES.items()
    for op, row in ops.items()
    for role, expected in zip(ROLES, row, strict=False)
]


@pytest.mark.parametrize(("table", "op", "role", "expected"), CELLS)
def test_access_matrix_cell(world: World, table: str, op: str, role: str, expected: str) -> None:
    action = SCENARIOS[table, op](world, role, op)
    got = outcome(world, world.team.as_(role), action)
    assert got == expected, f"{table}.{op} as {role}: expected {expected}, got {got}"


MFA_CELLS = [
    pytest.param(table, op, aal, expected, id=f"{table}-{op}-admin-{aal}")
    for table, ops in MFA.items()
    for op, by_aal in ops.items()
    for aal, expected in by_aal.items()
]


@pytest.mark.parametrize(("table", "op", "aal", "expected"), MFA_CELLS)
def test_mfa_cell(world: World, table: str, op: str, aal: str, expected: str) -> None:
    """An admin of an organisation with require_mfa = true, signed in with aal1 or aal2."""
    action = SCENARIOS[table, op](world, "admin", op)
    if table == "organizations":
        org_id = action.key["id"]
    else:
        row = action.values if action.kind == "insert" else world.row(table, action.key)
        assert row is not None
        if "organization_id" in row:
            org_id = row["organization_id"]
        else:
            # a user's own rows (user_templates, template_favorites) belong to no organisation:
            # the brand requiring MFA is the one whose template they copy or mark
            template = world.row("templates", {"id": row["template_id"]})
            assert template is not None
            org_id = template["organization_id"]
    world.superuser("update public.organizations set require_mfa = true where id = %s", [org_id])
    got = outcome(world, world.team.as_("admin", aal=aal), action)
    assert got == expected, f"{table}.{op} as admin with {aal}: expected {expected}, got {got}"


# --- RPCs under require_mfa: each returns "allow" or "deny" after checking it did exactly that


RpcCase = Callable[[World, Org, Session], str]
RPC_CASES: dict[str, RpcCase] = {}


def rpc_case(name: str) -> Callable[[RpcCase], RpcCase]:
    def register(fn: RpcCase) -> RpcCase:
        RPC_CASES[name] = fn
        return fn

    return register


def refused(call: Callable[[], Any], *sqlstates: str) -> PostgrestError | None:
    """The error of the call, asserted to be one of `sqlstates`; None when it succeeded."""
    error: PostgrestError | None = None
    try:
        call()
    except PostgrestError as exc:
        error = exc
    assert error is None or error.sqlstate in sqlstates, f"neither allowed nor denied: {error}"
    return error


@rpc_case("member_profiles")
def rpc_member_profiles(world: World, org: Org, session: Session) -> str:
    teammate, _ = world.member(org)  # a member of this organisation only
    ids = {row["id"] for row in session.rpc("member_profiles")}
    return "allow" if str(teammate.id) in ids else "deny"


@rpc_case("create_api_key")
def rpc_create_api_key(world: World, org: Org, session: Session) -> str:
    name = f"key-{tag()}"
    error = refused(lambda: session.rpc("create_api_key", organization_id=org.id, name=name), "42501")
    rows = world.superuser("select id from public.api_keys where name = %s", [name])
    assert len(rows) == (0 if error else 1), "the answer and the table disagree"
    return "deny" if error else "allow"


@rpc_case("revoke_api_key")
def rpc_revoke_api_key(world: World, org: Org, session: Session) -> str:
    key = world.insert(
        "api_keys", {"organization_id": org.id, "name": "Shop", "key_prefix": "luneo_abcdEFGH"}
    )
    error = refused(lambda: session.rpc("revoke_api_key", api_key_id=key["id"]), "42501", "LU020")
    assert (world.row("api_keys", {"id": key["id"]})["revoked_at"] is None) == bool(error)
    return "deny" if error else "allow"


@rpc_case("create_invitation")
def rpc_create_invitation(world: World, org: Org, session: Session) -> str:
    email = f"invitee-{tag()}@example.com"
    error = refused(lambda: session.rpc("create_invitation", organization_id=org.id, email=email), "42501")
    rows = world.superuser("select id from public.invitations where email = %s", [email])
    assert len(rows) == (0 if error else 1), "the answer and the table disagree"
    return "deny" if error else "allow"


def invitation(world: World, org: Org) -> dict:
    return world.insert("invitations", {"organization_id": org.id, "email": f"invitee-{tag()}@example.com"})


@rpc_case("resend_invitation")
def rpc_resend_invitation(world: World, org: Org, session: Session) -> str:
    row = invitation(world, org)
    before = world.row("invitations", {"id": row["id"]})
    error = refused(lambda: session.rpc("resend_invitation", invitation_id=row["id"]), "42501", "LU001")
    assert (world.row("invitations", {"id": row["id"]}) == before) == bool(error)
    return "deny" if error else "allow"


@rpc_case("revoke_invitation")
def rpc_revoke_invitation(world: World, org: Org, session: Session) -> str:
    row = invitation(world, org)
    error = refused(lambda: session.rpc("revoke_invitation", invitation_id=row["id"]), "42501", "LU001")
    assert (world.row("invitations", {"id": row["id"]})["status"] == "pending") == bool(error)
    return "deny" if error else "allow"


@rpc_case("transfer_ownership")
def rpc_transfer_ownership(world: World, org: Org, session: Session) -> str:
    admin = world.team.people["admin"].id
    error = refused(
        lambda: session.rpc("transfer_ownership", organization_id=org.id, new_owner_id=admin), "42501"
    )
    (row,) = world.superuser(
        "select role::text from public.team_members where organization_id = %s and user_id = %s",
        [org.id, admin],
    )
    assert (row["role"] == "admin") == bool(error)
    return "deny" if error else "allow"


@rpc_case("billing_context")
def rpc_billing_context(world: World, org: Org, session: Session) -> str:
    world.insert("customers", {"organization_id": org.id, "stripe_customer_id": f"cus_{tag()}"})
    context: dict | None = None

    def call() -> None:
        nonlocal context
        context = session.rpc("billing_context", organization_id=org.id)

    error = refused(call, "42501")
    assert error or (context and context["organization_id"] == str(org.id) and context["stripe_customer_id"])
    return "deny" if error else "allow"


@rpc_case("organization_usage")
def rpc_organization_usage(world: World, org: Org, session: Session) -> str:
    usage: list[dict] = []

    def call() -> None:
        nonlocal usage
        usage = session.rpc("organization_usage", organization_id=org.id)

    error = refused(call, "42501")
    assert error or {row["metric"] for row in usage} == {
        "seats",
        "designs",
        "api_calls_per_key",
        "storage_bytes",
    }
    return "deny" if error else "allow"


MFA_RPC_CELLS = [
    pytest.param(rpc, who, aal, expected, id=f"{rpc}-{who}-{aal}")
    for rpc, by_role in MFA_RPC.items()
    for who, by_aal in by_role.items()
    for aal, expected in by_aal.items()
]


@pytest.mark.parametrize(("rpc", "who", "aal", "expected"), MFA_RPC_CELLS)
def test_mfa_rpc_cell(world: World, rpc: str, who: str, aal: str, expected: str) -> None:
    """A member of an organisation with require_mfa = true calls the RPC with aal1 or aal2."""
    org = world.org()
    world.superuser("update public.organizations set require_mfa = true where id = %s", [org.id])
    got = RPC_CASES[rpc](world, org, world.team.as_(who, aal=aal))
    assert got == expected, f"{rpc} as {who} with {aal}: expected {expected}, got {got}"


# =============================================================================================
# the matrix itself, and the rules every public table follows
# =============================================================================================


def public_tables(world: World) -> set[str]:
    """Tables and views of schema public: everything PostgREST serves as a relation."""
    rows = world.superuser(
        "select c.relname from pg_class as c"
        " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')"
    )
    return {r["relname"] for r in rows}


def test_matrix_is_well_formed() -> None:
    assert tuple(ROLES) == ("anon", "outsider", *MEMBER_ROLES, "service_role"), "the columns of the matrix"
    for table, ops in TABLES.items():
        for op, row in ops.items():
            assert len(row) == len(ROLES), f"{table}.{op} has {len(row)} cells for {len(ROLES)} roles"
            assert set(row) <= {"allow", "deny"}, f"{table}.{op}: {row}"
            assert (table, op) in SCENARIOS, f"no scenario for {table}.{op}"
    for table, ops in MFA.items():
        for op, by_aal in ops.items():
            assert op in TABLES[table], f"mfa.{table}.{op} is not an operation of the matrix"
            assert set(by_aal) == {"aal1", "aal2"}, f"mfa.{table}.{op}: {by_aal}"
            assert set(by_aal.values()) <= {"allow", "deny"}, f"mfa.{table}.{op}: {by_aal}"
    assert set(SCENARIOS) == {(t, op) for t, ops in TABLES.items() for op in ops}, "scenarios without cells"
    assert set(MFA_RPC) == set(RPC_CASES), "mfa_rpc entries and their cases differ"
    for rpc, by_role in MFA_RPC.items():
        for who, by_aal in by_role.items():
            assert who in MEMBER_ROLES, f"mfa_rpc.{rpc}.{who}"
            assert set(by_aal) == {"aal1", "aal2"}, f"mfa_rpc.{rpc}.{who}: {by_aal}"


def test_every_audited_table_is_registered_and_in_the_matrix(world: World) -> None:
    """Entries of an audited table missing from private.audited_tables are readable by nobody
    but the service role; every registered one has its matrix row."""
    audited = {
        r["relname"]
        for r in world.superuser(
            "select c.relname from pg_trigger as t join pg_class as c on c.oid = t.tgrelid"
            " where t.tgname = '_500_audit' and c.relnamespace = 'public'::regnamespace"
        )
    }
    registered = {r["table_name"] for r in world.superuser("select table_name from private.audited_tables")}
    assert audited == registered
    assert {t for t in audited if t != "organizations"} == set(AUDITED_ROWS)


def test_every_public_table_has_rls_enabled(world: World) -> None:
    rows = world.superuser(
        "select c.relname from pg_class as c"
        " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') and not c.relrowsecurity"
    )
    assert rows == [], f"tables of schema public without RLS: {[r['relname'] for r in rows]}"


def test_every_public_view_is_security_invoker(world: World) -> None:
    """A view runs as its owner unless security_invoker: it would read past every policy."""
    rows = world.superuser(
        "select c.relname from pg_class as c where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'"
        " and not coalesce('security_invoker=true' = any(c.reloptions), false)"
    )
    assert rows == [], f"views of schema public without security_invoker: {[r['relname'] for r in rows]}"
    (count,) = world.superuser(
        "select count(*) as n from pg_class where relnamespace = 'public'::regnamespace and relkind in ('v', 'm')"
    )
    assert count["n"] >= 4  # the order views exist: the check above is not vacuous
    assert (
        world.superuser(
            "select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'm'"
        )
        == []
    ), "materialized views have no RLS: keep them out of public"


def test_every_public_table_is_in_the_matrix(world: World) -> None:
    tables = public_tables(world)
    assert tables - set(TABLES) == set(), "public tables missing from access_matrix.toml"
    assert set(TABLES) - tables == set(), "access_matrix.toml lists tables that do not exist"


@pytest.mark.parametrize(
    "table", ["invitation_tokens", "api_key_hashes", "webhook_endpoint_secrets", "events"]
)
@pytest.mark.parametrize("who", ["anon", "outsider", "owner", "service_role"])
def test_secret_tables_are_out_of_reach(world: World, table: str, who: str) -> None:
    session = world.team.as_(who, aal="aal2") if who in ("outsider", "owner") else world.team.as_(who)
    with pytest.raises(PostgrestError) as refused:
        session.sql(f"select * from private.{table}")
    assert refused.value.sqlstate == "42501"


def test_no_public_column_looks_like_a_secret(world: World) -> None:
    rows = world.superuser(
        "select c.relname || '.' || a.attname as col from pg_attribute as a"
        " join pg_class as c on c.oid = a.attrelid"
        " where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')"
        " and a.attnum > 0 and not a.attisdropped"
        " and (a.attname ilike '%%hash%%' or a.attname ilike '%%token%%' or a.attname ilike '%%secret%%')"
    )
    assert rows == [], f"secret-looking columns in public (secrets live in private): {rows}"

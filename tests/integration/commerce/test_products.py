"""Products: the catalogue and the storefront through the PostgREST-faithful helper; the
customisation schema validated on write, and a customer's choices checked against it.

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.support.pg import Superuser
from tests.support.postgrest import fails
from tests.support.team import Team

SCHEMA = {
    "fields": [
        {
            "key": "initials",
            "label": "Initials",
            "type": "text",
            "max_length": 3,
            "pattern": "^[A-Z]+$",
            "required": True,
        },
        {"key": "metal", "type": "choice", "options": ["gold", "silver"]},
        {"key": "size", "type": "number", "min": 40, "max": 70},
        {"key": "gift_wrap", "type": "boolean"},
        {"key": "photo", "type": "image"},
    ]
}


def product(team: Team, **values: Any) -> dict:
    row = {
        "organization_id": team.org_id,
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Ring",
        "price_amount": 9900,
    }
    return team.as_("manager").insert("products", row | values)[0]


def test_a_manager_creates_a_product_and_the_storefront_sees_it_once_active(team: Team) -> None:
    made = product(team, customisation_schema=Jsonb(SCHEMA), stock=12)
    assert (made["status"], made["stock"], made["track_stock"]) == ("draft", 12, True)
    assert team.api.anon().select("products", id=made["id"]) == []  # a draft is members only
    assert [r["id"] for r in team.as_("viewer").select("products", id=made["id"])] == [made["id"]]
    team.as_("manager").update("products", {"status": "active"}, id=made["id"])
    assert [r["name"] for r in team.api.anon().select("products", id=made["id"])] == ["Ring"]
    assert [r["id"] for r in team.as_("outsider").select("products", id=made["id"])] == [made["id"]]


def test_a_designer_cannot_write_products(team: Team) -> None:
    row = {"organization_id": team.org_id, "sku": "NOPE", "name": "Ring", "price_amount": 1}
    fails("42501", team.as_("designer").insert, "products", row)
    made = product(team)
    assert team.as_("designer").update("products", {"price_amount": 1}, id=made["id"]) == []
    assert team.superuser("select price_amount from public.products where id = %s", [made["id"]]) == [
        {"price_amount": 9900}
    ]


def test_a_sku_is_unique_in_its_organisation_only(team: Team, api: Any, db_url: str) -> None:
    product(team, sku="RING-52")
    fails("23505", team.as_("manager").insert, "products",
          {"organization_id": team.org_id, "sku": "RING-52", "name": "Again", "price_amount": 1})  # fmt: skip
    other = Team.__new__(Team)  # another brand may use the same sku
    (org,) = team.superuser(
        "insert into public.organizations (name, slug) values ('Other', %s) returning id",
        [f"other-{uuid.uuid4().hex[:8]}"],
    )
    team.superuser(
        "insert into public.products (organization_id, sku, name, price_amount) values (%s, 'RING-52', 'Ring', 1)",
        [org["id"]],
    )
    del other


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        ({"sku": "has space"}, "22023"),
        ({"sku": "x" * 65}, "22001"),
        ({"name": ""}, "22023"),
        ({"name": "n" * 10_240}, "22001"),
        ({"description": "d" * 5001}, "22001"),
        ({"price_amount": -1}, "23514"),
        ({"stock": -5}, "23514"),
        ({"currency": "eur"}, "23514"),
        ({"images": [["a"]]}, "22023"),
        ({"images": ["x" * 2049]}, "22001"),
        ({"customisation_schema": {"fields": "nope"}}, "22023"),
        ({"customisation_schema": {"fields": [{"key": "a", "type": "colour"}]}}, "22023"),
        (
            {
                "customisation_schema": {
                    "fields": [{"key": "a", "type": "text"}, {"key": "a", "type": "text"}]
                }
            },
            "22023",
        ),
        ({"customisation_schema": {"fields": [{"key": "a", "type": "choice"}]}}, "22023"),
        ({"customisation_schema": {"fields": [{"key": "a", "type": "text", "options": ["x"]}]}}, "22023"),
        ({"customisation_schema": {"fields": [{"key": "a", "type": "text", "pattern": "("}]}}, "22023"),
        ({"customisation_schema": {"fields": [{"key": "a", "type": "number", "min": 5, "max": 1}]}}, "22023"),
        ({"customisation_schema": {"fields": [], "extra": 1}}, "22023"),
        ({"customisation_schema": [1, 2]}, "22023"),
    ],
)
def test_bad_products_are_refused_with_a_4xx_and_nothing_written(
    team: Team, values: dict, sqlstate: str
) -> None:
    expected = values
    values = {k: Jsonb(v) if k == "customisation_schema" else v for k, v in values.items()}
    before = team.superuser("select count(*) as n from public.products")
    row = {
        "organization_id": team.org_id,
        "sku": f"SKU-{uuid.uuid4().hex[:8]}",
        "name": "Ring",
        "price_amount": 1,
    }
    error = fails(sqlstate, team.as_("manager").insert, "products", row | values)
    assert error.status == 400
    assert team.superuser("select count(*) as n from public.products") == before
    made = product(team)
    fails(sqlstate, team.as_("manager").update, "products", values, id=made["id"])
    (after,) = team.superuser(
        "select to_jsonb(p) as row from public.products as p where id = %s", [made["id"]]
    )
    assert {k: after["row"][k] for k in expected} != expected


def check(db_url: str, customisation: Any) -> Any:
    with Superuser(db_url) as su:
        return su.scalar("select private.check_customisation(%s, %s)", [Jsonb(SCHEMA), Jsonb(customisation)])


@pytest.mark.parametrize(
    "customisation",
    [
        {"initials": "CD"},
        {"initials": "CD", "metal": "gold", "size": 52, "gift_wrap": True, "photo": "org/ring.png"},
        {"initials": "ABC", "size": 40.5, "metal": None},
    ],
)
def test_a_customers_choices_within_the_schema_pass(db_url: str, customisation: dict) -> None:
    assert check(db_url, customisation) == customisation


@pytest.mark.parametrize(
    ("customisation", "sqlstate"),
    [
        ({}, "22004"),  # initials is required
        ({"initials": "cd"}, "22023"),  # pattern
        ({"initials": "ABCD"}, "22001"),  # max_length
        ({"initials": "CD", "metal": "bronze"}, "22023"),
        ({"initials": "CD", "size": 90}, "22023"),
        ({"initials": "CD", "size": "52"}, "22023"),
        ({"initials": "CD", "gift_wrap": "yes"}, "22023"),
        ({"initials": "CD", "engraving": "x"}, "22023"),  # not in the schema
        ([1], "22023"),
    ],
)
def test_a_customers_choices_outside_the_schema_are_refused(
    db_url: str, customisation: Any, sqlstate: str
) -> None:
    with pytest.raises(psycopg.Error) as refused:
        check(db_url, customisation)
    assert refused.value.sqlstate == sqlstate, json.dumps(customisation)

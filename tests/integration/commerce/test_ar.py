"""AR models and experiences: members read, products.manage writes, and viewers (anon included)
reach a public experience only through get_ar_experience(slug) and record_ar_view().

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.support.concurrency import race
from tests.support.postgrest import PostgrestError, fails
from tests.support.team import Team


def model(team: Team, **values: Any) -> dict:
    manager = team.as_("manager")
    (product,) = manager.insert(
        "products",
        {"organization_id": team.org_id, "sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Signet ring",
         "price_amount": 49000},
    )  # fmt: skip
    row = {
        "organization_id": team.org_id,
        "product_id": product["id"],
        "name": "Ring, gold",
        "format": "glb",
        "storage_path": f"{team.org_id}/{uuid.uuid4().hex}.glb",
        "size_bytes": 1_500_000,
    }
    return manager.insert("ar_models", row | values)[0]


def experience(team: Team, *, public: bool = True, **values: Any) -> dict:
    row = {"organization_id": team.org_id, "ar_model_id": model(team)["id"], "name": "Try the ring",
           "is_public": public}  # fmt: skip
    return team.as_("manager").insert("ar_experiences", row | values)[0]


def test_a_manager_creates_a_model_and_an_experience_with_a_generated_slug(team: Team) -> None:
    made = experience(team, qr_url="https://cdn.example.com/qr/ring.png")
    assert re.fullmatch("[0-9a-f]{32}", made["slug"])
    assert (made["views_count"], made["average_session_seconds"]) == (0, None)
    assert experience(team)["slug"] != made["slug"]
    assert [r["id"] for r in team.as_("viewer").select("ar_experiences", id=made["id"])] == [made["id"]]
    assert len(team.as_("viewer").select("ar_models", id=made["ar_model_id"])) == 1


def test_only_product_managers_write(team: Team) -> None:
    made = model(team)
    row = {"organization_id": team.org_id, "ar_model_id": made["id"], "name": "Nope"}
    fails("42501", team.as_("designer").insert, "ar_experiences", row)
    assert team.as_("designer").update("ar_models", {"name": "Renamed"}, id=made["id"]) == []
    assert team.as_("outsider").select("ar_models", id=made["id"]) == []


def test_clients_cannot_set_the_slug_or_the_counters(team: Team) -> None:
    made = experience(team)
    for values in ({"slug": "0" * 32}, {"views_count": 10**6}, {"total_session_seconds": 5}):
        fails("42501", team.as_("owner").update, "ar_experiences", values, id=made["id"])
    row = {"organization_id": team.org_id, "ar_model_id": made["ar_model_id"], "name": "X", "slug": "0" * 32}
    fails("42501", team.as_("owner").insert, "ar_experiences", row)


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        ({"storage_path": "elsewhere/ring.glb"}, "22023"),
        ({"storage_path": "{org}/ring.usdz"}, "22023"),  # the extension says usdz, format glb
        ({"storage_path": "{org}/../x/ring.glb"}, "22023"),
        ({"storage_path": "{org}/" + "a" * 1100 + ".glb"}, "22001"),
        ({"name": "x" * 300}, "22001"),
        ({"name": "\u202eevil"}, "22023"),
        ({"size_bytes": 0}, "23514"),
        ({"size_bytes": 50 * 1024 * 1024 + 1}, "23514"),
    ],
)
def test_model_bounds(team: Team, values: dict[str, Any], sqlstate: str) -> None:
    values = {k: v.replace("{org}", str(team.org_id)) if isinstance(v, str) else v for k, v in values.items()}
    fails(sqlstate, model, team, **values)


def test_a_model_of_another_organisations_product_is_refused(team: Team) -> None:
    (org,) = team.superuser(
        "insert into public.organizations (name, slug) values ('Other', %s) returning id",
        [f"other-{uuid.uuid4().hex[:8]}"],
    )
    (foreign,) = team.superuser(
        "insert into public.products (organization_id, sku, name, price_amount) values (%s, 'X', 'X', 1) returning id",
        [org["id"]],
    )
    fails("23503", model, team, product_id=foreign["id"])


# =============================================================================================
# viewers
# =============================================================================================

VIEWER_FIELDS = {"slug", "name", "qr_url", "model_format", "model_path", "model_size_bytes", "product_name"}


def test_anon_reads_a_public_experience_through_the_rpc_only(team: Team) -> None:
    made = experience(team)
    anon = team.api.anon()
    got = anon.rpc("get_ar_experience", slug=made["slug"])
    assert set(got) == VIEWER_FIELDS
    assert (got["name"], got["model_format"], got["product_name"]) == ("Try the ring", "glb", "Signet ring")
    assert got["model_path"].startswith(f"{team.org_id}/")
    fails("42501", anon.select, "ar_experiences", id=made["id"])
    fails("42501", anon.select, "ar_models", id=made["ar_model_id"])
    assert team.as_("outsider").select("ar_experiences", id=made["id"]) == []
    assert team.as_("outsider").rpc("get_ar_experience", slug=made["slug"])["slug"] == made["slug"]


def test_a_private_or_unknown_experience_is_not_found(team: Team) -> None:
    hidden = experience(team, public=False)
    anon = team.api.anon()
    for slug in (hidden["slug"], uuid.uuid4().hex):
        assert fails("LU170", anon.rpc, "get_ar_experience", slug=slug).status == 400
        fails("LU170", anon.rpc, "record_ar_view", slug=slug, session_seconds=3)
    assert team.superuser("select views_count from public.ar_experiences where id = %s", [hidden["id"]]) == [
        {"views_count": 0}
    ]
    team.as_("manager").update("ar_experiences", {"is_public": True}, id=hidden["id"])
    assert anon.rpc("get_ar_experience", slug=hidden["slug"])["slug"] == hidden["slug"]


@pytest.mark.parametrize(("slug", "sqlstate"), [(None, "22004"), ("", "22023"), ("x" * 100, "22001"),
                                                ("ABCDEF" + "0" * 26, "22023")])  # fmt: skip
def test_bad_slugs(team: Team, slug: str | None, sqlstate: str) -> None:
    fails(sqlstate, team.api.anon().rpc, "get_ar_experience", slug=slug)


def test_views_and_the_average_session(team: Team) -> None:
    made = experience(team)
    anon = team.api.anon()
    for seconds in (10, 20, None):
        anon.rpc("record_ar_view", slug=made["slug"], session_seconds=seconds)
    anon.rpc("record_ar_view", slug=made["slug"])
    (row,) = team.superuser(
        "select views_count, timed_sessions, average_session_seconds::text as average, updated_at = created_at as same"
        " from public.ar_experiences where id = %s",
        [made["id"]],
    )
    assert row == {"views_count": 4, "timed_sessions": 2, "average": "15.0", "same": True}
    for bad in (-1, 86_401):
        fails("22023", anon.rpc, "record_ar_view", slug=made["slug"], session_seconds=bad)
    assert team.superuser("select views_count from public.ar_experiences where id = %s", [made["id"]]) == [
        {"views_count": 4}
    ]
    # counting views fills no audit log; editing does
    entries = team.superuser(
        "select operation from public.audit_logs where table_name = 'ar_experiences' and record_id = %s"
        " order by id",
        [str(made["id"])],
    )
    assert [e["operation"] for e in entries] == ["INSERT"]


def test_concurrent_views_are_all_counted(team: Team) -> None:
    made = experience(team)
    results = race(
        [lambda: team.api.anon().rpc("record_ar_view", slug=made["slug"], session_seconds=30)] * 16
    )
    assert not [r for r in results if isinstance(r, PostgrestError)]
    (row,) = team.superuser(
        "select views_count, total_session_seconds from public.ar_experiences where id = %s", [made["id"]]
    )
    assert row == {"views_count": 16, "total_session_seconds": 480}

"""Designs through the PostgREST-faithful helper: versions kept by trigger at every save and never
writable by clients, restore_design_version, collections, and denial per role and organisation.

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.concurrency import race
from tests.support.postgrest import fails
from tests.support.team import Team


def design(team: Team, who: str = "designer", **values: Any) -> dict:
    row = {"organization_id": team.org_id, "name": "Initials", "data": Jsonb({"layers": [1]})}
    return team.as_(who).insert("designs", row | values)[0]


def versions(team: Team, design_id: Any) -> list[dict]:
    return team.superuser(
        "select version, data, thumbnail, created_by from public.design_versions"
        " where design_id = %s order by version",
        [design_id],
    )


def other_org(team: Team) -> uuid.UUID:
    (org,) = team.superuser(
        "insert into public.organizations (name, slug) values ('Other', %s) returning id",
        [f"other-{uuid.uuid4().hex[:8]}"],
    )
    return org["id"]


def test_every_save_keeps_a_version(team: Team) -> None:
    made = design(team)
    designer = team.people["designer"].id
    assert made["current_version"] == 1
    assert made["created_by"] == designer
    assert versions(team, made["id"]) == [
        {"version": 1, "data": {"layers": [1]}, "thumbnail": None, "created_by": designer}
    ]
    (saved,) = team.as_("manager").update("designs", {"data": Jsonb({"layers": [1, 2]})}, id=made["id"])
    assert saved["current_version"] == 2
    # a thumbnail rendered after the save belongs to that version; a rename makes no version
    team.as_("designer").update("designs", {"thumbnail": f"{team.org_id}/designs/v2.png"}, id=made["id"])
    team.as_("designer").update("designs", {"name": "Renamed", "status": "completed"}, id=made["id"])
    got = versions(team, made["id"])
    assert [(v["version"], v["data"], v["thumbnail"]) for v in got] == [
        (1, {"layers": [1]}, None),
        (2, {"layers": [1, 2]}, f"{team.org_id}/designs/v2.png"),
    ]
    assert got[1]["created_by"] == team.people["manager"].id
    listed = team.as_("viewer").select("design_versions", design_id=made["id"])
    assert sorted(v["version"] for v in listed) == [1, 2]


def test_versions_cannot_be_written_by_clients(team: Team) -> None:
    made = design(team)
    (v1,) = team.as_("owner").select("design_versions", design_id=made["id"])
    row = {"organization_id": team.org_id, "design_id": made["id"], "version": 9, "data": Jsonb({})}
    for who in ("designer", "owner"):
        fails("42501", team.as_(who).insert, "design_versions", row)
        fails("42501", team.as_(who).update, "design_versions", {"data": Jsonb({})}, id=v1["id"])
        fails("42501", team.as_(who).delete, "design_versions", id=v1["id"])
    # nor is the version number: it is not among the columns a client may write
    fails("42501", team.as_("owner").update, "designs", {"current_version": 7}, id=made["id"])
    assert [v["version"] for v in versions(team, made["id"])] == [1]


def test_restore_makes_a_new_version_from_an_old_one(team: Team) -> None:
    made = design(team, thumbnail=f"{team.org_id}/v1.png")
    team.as_("designer").update(
        "designs", {"data": Jsonb({"layers": [9]}), "thumbnail": f"{team.org_id}/v2.png"}, id=made["id"]
    )
    restored = team.as_("designer").rpc("restore_design_version", design_id=made["id"], version=1)
    assert (restored["current_version"], restored["data"], restored["thumbnail"]) == (
        3,
        {"layers": [1]},
        f"{team.org_id}/v1.png",
    )
    assert [(v["version"], v["data"]) for v in versions(team, made["id"])] == [
        (1, {"layers": [1]}),
        (2, {"layers": [9]}),
        (3, {"layers": [1]}),
    ]


def test_restore_is_refused_without_designs_write_or_outside_the_organisation(team: Team) -> None:
    made = design(team)
    team.as_("designer").update("designs", {"data": Jsonb({"layers": [2]})}, id=made["id"])
    error = fails("42501", team.as_("viewer").rpc, "restore_design_version", design_id=made["id"], version=1)
    assert error.status == 403
    error = fails(
        "LU140", team.as_("outsider").rpc, "restore_design_version", design_id=made["id"], version=1
    )
    assert error.status == 400
    fails("42501", team.as_("anon").rpc, "restore_design_version", design_id=made["id"], version=1)
    fails("LU141", team.as_("designer").rpc, "restore_design_version", design_id=made["id"], version=7)
    fails("LU140", team.as_("designer").rpc, "restore_design_version", design_id=uuid.uuid4(), version=1)
    assert [v["version"] for v in versions(team, made["id"])] == [1, 2]


def test_designs_by_role_and_organisation(team: Team) -> None:
    made = design(team)
    assert [d["id"] for d in team.as_("viewer").select("designs", id=made["id"])] == [made["id"]]
    assert team.as_("outsider").select("designs", id=made["id"]) == []
    fails("42501", team.as_("anon").select, "designs", id=made["id"])
    fails("42501", team.as_("viewer").insert, "designs", {"organization_id": team.org_id, "name": "No"})
    assert team.as_("viewer").update("designs", {"name": "No"}, id=made["id"]) == []
    # another brand's organisation: no writes there
    fails("42501", team.as_("designer").insert, "designs", {"organization_id": other_org(team), "name": "No"})


def test_a_design_uses_a_product_of_its_own_organisation_only(team: Team) -> None:
    org = other_org(team)
    (foreign,) = team.superuser(
        "insert into public.products (organization_id, sku, name, price_amount, status)"
        " values (%s, 'RING', 'Ring', 1, 'active') returning id",
        [org],
    )
    fails("23503", design, team, product_id=foreign["id"])
    (own,) = team.superuser(
        "insert into public.products (organization_id, sku, name, price_amount) values (%s, 'RING', 'Ring', 1)"
        " returning id",
        [team.org_id],
    )
    made = design(team, product_id=own["id"])
    assert made["product_id"] == own["id"]
    team.superuser("delete from public.products where id = %s", [own["id"]])
    assert team.superuser(
        "select product_id, organization_id from public.designs where id = %s", [made["id"]]
    ) == [{"product_id": None, "organization_id": team.org_id}]


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        ({"name": ""}, "22023"),
        ({"name": "n" * 201}, "22001"),
        ({"data": Jsonb([1])}, "22023"),
        ({"data": Jsonb({"x": "y" * 600_000})}, "22001"),
        ({"thumbnail": "/etc/passwd"}, "22023"),
        ({"thumbnail": "org/../secret.png"}, "22023"),
        ({"thumbnail": "a/" + "b" * 1024}, "22001"),
        ({"status": "bogus"}, "22P02"),
    ],
)
def test_bad_designs_are_refused_with_a_4xx(team: Team, values: dict, sqlstate: str) -> None:
    made = design(team)
    error = fails(sqlstate, team.as_("designer").update, "designs", values, id=made["id"])
    assert error.status == 400
    error = fails(sqlstate, design, team, **values)
    assert error.status == 400
    assert [v["version"] for v in versions(team, made["id"])] == [1]


def test_a_design_in_several_collections_of_its_organisation(team: Team) -> None:
    made = design(team)
    designer = team.as_("designer")
    first = designer.insert("design_collections", {"organization_id": team.org_id, "name": "Summer"})[0]
    second = designer.insert("design_collections", {"organization_id": team.org_id, "name": "Gifts"})[0]
    for collection in (first, second):
        designer.insert(
            "design_collection_items",
            {"organization_id": team.org_id, "collection_id": collection["id"], "design_id": made["id"]},
        )
    items = team.as_("viewer").select("design_collection_items", design_id=made["id"])
    assert {i["collection_id"] for i in items} == {first["id"], second["id"]}
    fails(
        "23505",
        designer.insert,
        "design_collection_items",
        {"organization_id": team.org_id, "collection_id": first["id"], "design_id": made["id"]},
    )
    fails(
        "42501",
        team.as_("viewer").insert,
        "design_collection_items",
        {"organization_id": team.org_id, "collection_id": first["id"], "design_id": made["id"]},
    )
    # a design of another organisation cannot join this organisation's collection
    org = other_org(team)
    (foreign,) = team.superuser(
        "insert into public.designs (organization_id, name) values (%s, 'Theirs') returning id", [org]
    )
    fails(
        "23503",
        designer.insert,
        "design_collection_items",
        {"organization_id": team.org_id, "collection_id": first["id"], "design_id": foreign["id"]},
    )
    assert team.as_("outsider").select("design_collection_items", design_id=made["id"]) == []
    assert designer.delete("design_collection_items", collection_id=second["id"], design_id=made["id"])
    assert len(team.as_("viewer").select("design_collection_items", design_id=made["id"])) == 1


def test_concurrent_saves_number_their_versions_one_after_the_other(team: Team) -> None:
    made = design(team)
    sessions = [team.as_(who) for who in ("designer", "manager", "admin", "owner")] * 3
    outcomes = race(
        [
            # every save differs from the design's first data ({"layers": [1]}) and from each other
            (lambda s=s, i=i: s.update("designs", {"data": Jsonb({"layers": [100 + i]})}, id=made["id"]))
            for i, s in enumerate(sessions)
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    got = versions(team, made["id"])
    assert [v["version"] for v in got] == list(range(1, len(sessions) + 2))
    (row,) = team.superuser("select current_version, data from public.designs where id = %s", [made["id"]])
    assert (row["current_version"], row["data"]) == (len(sessions) + 1, got[-1]["data"])


def test_audit_records_design_changes_but_not_saves(team: Team) -> None:
    made = design(team)
    team.as_("designer").update("designs", {"data": Jsonb({"layers": [5]})}, id=made["id"])
    team.as_("designer").update("designs", {"status": "completed"}, id=made["id"])
    entries = team.as_("admin").sql(
        "select operation from public.audit_logs where table_name = 'designs' and record_id = %s order by id",
        [str(made["id"])],
    )
    assert [e["operation"] for e in entries] == ["INSERT", "UPDATE"]

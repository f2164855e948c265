"""The template gallery through the PostgREST-faithful helper: who reads published and draft
templates, counters and ratings moved only by their RPCs (never by a PATCH), one rating per user,
a user's own copies and favourites, cliparts, and denial across organisations.

Real Postgres; the superuser only prepares and inspects.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.concurrency import race
from tests.support.postgrest import fails
from tests.support.team import Team, new_person


def template(team: Team, who: str = "designer", **values: Any) -> dict:
    row = {"organization_id": team.org_id, "name": "Monogram", "category": "rings", "tags": ["gold"]}
    return team.as_(who).insert("templates", row | values)[0]


def counters(team: Team, template_id: Any) -> dict:
    (row,) = team.superuser(
        "select view_count, download_count, rating_count, rating_average::float as rating_average, updated_at"
        " from public.templates where id = %s",
        [template_id],
    )
    return row


def test_published_templates_are_read_by_signed_in_users_drafts_by_members(team: Team) -> None:
    draft = template(team)
    published = template(team, is_published=True, data=Jsonb({"layers": []}))
    customer = new_person(team.url, "customer").session(team.api)
    assert [t["id"] for t in customer.select("templates", id=published["id"])] == [published["id"]]
    assert customer.select("templates", id=draft["id"]) == []
    assert [t["id"] for t in team.as_("viewer").select("templates", id=draft["id"])] == [draft["id"]]
    fails("42501", team.as_("anon").select, "templates", id=published["id"])
    fails("42501", team.as_("viewer").insert, "templates", {"organization_id": team.org_id, "name": "No"})
    assert team.as_("outsider").update("templates", {"name": "Mine"}, id=published["id"]) == []
    assert team.as_("viewer").delete("templates", id=draft["id"]) == []


def test_counters_move_only_through_their_rpcs(team: Team) -> None:
    made = template(team, is_published=True)
    before = counters(team, made["id"])
    customer = team.as_("outsider")
    assert customer.rpc("record_template_view", template_id=made["id"]) == 1
    assert customer.rpc("record_template_view", template_id=made["id"]) == 2
    downloaded = customer.rpc("record_template_download", template_id=made["id"])
    assert (downloaded["download_count"], downloaded["name"]) == (1, "Monogram")
    after = counters(team, made["id"])
    assert (after["view_count"], after["download_count"]) == (2, 1)
    assert after["updated_at"] == before["updated_at"]  # a view is no edit
    for column, value in [("view_count", 10**6), ("download_count", 10**6), ("rating_average", 5),
                          ("rating_count", 100)]:  # fmt: skip
        for who in ("designer", "owner"):
            fails("42501", team.as_(who).update, "templates", {column: value}, id=made["id"])
        fails("42501", team.as_("owner").insert, "templates",
              {"organization_id": team.org_id, "name": "Forged", column: value})  # fmt: skip
    assert counters(team, made["id"]) == after


def test_counters_and_ratings_of_a_template_one_cannot_see_are_refused(team: Team) -> None:
    draft = template(team)
    for rpc, args in [
        ("record_template_view", {}),
        ("record_template_download", {}),
        ("rate_template", {"stars": 5}),
    ]:
        error = fails("LU150", team.as_("outsider").rpc, rpc, template_id=draft["id"], **args)
        assert error.status == 400
        fails("LU150", team.as_("viewer").rpc, rpc, template_id=uuid.uuid4(), **args)
        fails("42501", team.as_("anon").rpc, rpc, template_id=draft["id"], **args)
    assert team.as_("viewer").rpc("record_template_view", template_id=draft["id"]) == 1
    got = counters(team, draft["id"])
    assert (got["view_count"], got["download_count"], got["rating_count"]) == (1, 0, 0)


def test_one_rating_per_user_and_the_average_recomputed(team: Team) -> None:
    made = template(team, is_published=True)
    first = team.as_("outsider").rpc("rate_template", template_id=made["id"], stars=5)
    assert (first["rating_count"], float(first["rating_average"])) == (1, 5.0)
    team.as_("viewer").rpc("rate_template", template_id=made["id"], stars=2)
    again = team.as_("outsider").rpc("rate_template", template_id=made["id"], stars=4)  # replaces the 5
    assert (again["rating_count"], float(again["rating_average"])) == (2, 3.0)
    third = team.as_("manager").rpc("rate_template", template_id=made["id"], stars=4)
    assert (third["rating_count"], float(third["rating_average"])) == (3, 3.33)
    assert team.superuser(
        "select count(*) as n from private.template_ratings where template_id = %s", [made["id"]]
    ) == [{"n": 3}]


@pytest.mark.parametrize(("stars", "sqlstate"), [(0, "22023"), (6, "22023"), (-1, "22023"), (None, "22004")])
def test_stars_are_one_to_five(team: Team, stars: Any, sqlstate: str) -> None:
    made = template(team, is_published=True)
    error = fails(sqlstate, team.as_("outsider").rpc, "rate_template", template_id=made["id"], stars=stars)
    assert error.status == 400
    assert counters(team, made["id"])["rating_count"] == 0


def test_user_templates_are_their_owners_only(team: Team) -> None:
    published = template(team, is_published=True)
    draft = template(team)
    mine = team.as_("outsider")
    copy = mine.insert(
        "user_templates", {"template_id": published["id"], "name": "My monogram", "data": Jsonb({"a": 1})}
    )[0]
    assert copy["user_id"] == team.people["outsider"].id
    assert team.as_("owner").select("user_templates", id=copy["id"]) == []
    assert team.as_("owner").update("user_templates", {"name": "Taken"}, id=copy["id"]) == []
    assert team.as_("owner").delete("user_templates", id=copy["id"]) == []
    # not in someone else's name, and not from a template one cannot read
    fails("42501", mine.insert, "user_templates", {"user_id": team.people["owner"].id, "name": "Forged"})
    fails("42501", mine.insert, "user_templates", {"template_id": draft["id"], "name": "Peek"})
    fails("42501", mine.update, "user_templates", {"user_id": team.people["owner"].id}, id=copy["id"])
    assert mine.update("user_templates", {"name": "Renamed"}, id=copy["id"])[0]["name"] == "Renamed"
    assert [r["id"] for r in mine.delete("user_templates", id=copy["id"])] == [copy["id"]]


def test_favourites_are_their_owners_only_and_unique(team: Team) -> None:
    published = template(team, is_published=True)
    draft = template(team)
    mine = team.as_("outsider")
    mine.insert("template_favorites", {"template_id": published["id"]})
    fails("23505", mine.insert, "template_favorites", {"template_id": published["id"]})
    fails("42501", mine.insert, "template_favorites", {"template_id": draft["id"]})
    fails("42501", mine.insert, "template_favorites",
          {"user_id": team.people["owner"].id, "template_id": published["id"]})  # fmt: skip
    assert team.as_("owner").select("template_favorites", template_id=published["id"]) == []
    assert team.as_("owner").delete("template_favorites", template_id=published["id"]) == []
    assert len(mine.select("template_favorites", template_id=published["id"])) == 1
    assert len(mine.delete("template_favorites", template_id=published["id"])) == 1


def test_cliparts_read_like_templates_written_with_designs_write(team: Team) -> None:
    row = {"organization_id": team.org_id, "name": "Crown", "storage_path": f"{team.org_id}/crown.svg",
           "format": "svg"}  # fmt: skip
    draft = team.as_("designer").insert("cliparts", row)[0]
    published = team.as_("designer").insert("cliparts", row | {"is_published": True})[0]
    assert team.as_("outsider").select("cliparts", id=draft["id"]) == []
    assert len(team.as_("outsider").select("cliparts", id=published["id"])) == 1
    assert len(team.as_("viewer").select("cliparts", id=draft["id"])) == 1
    fails("42501", team.as_("viewer").insert, "cliparts", row)
    fails("42501", team.as_("anon").select, "cliparts", id=published["id"])
    fails("22P02", team.as_("designer").insert, "cliparts", row | {"format": "gif"})
    fails("22023", team.as_("designer").insert, "cliparts", row | {"storage_path": "../x.svg"})
    fails("22023", team.as_("designer").insert, "cliparts", row | {"tags": [["a"]]})
    fails("22001", team.as_("designer").insert, "cliparts", row | {"tags": ["t" * 41]})


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        ({"name": ""}, "22023"),
        ({"category": "c" * 61}, "22001"),
        ({"tags": ["x"] * 21}, "22023"),
        ({"tags": [None]}, "22004"),
        ({"data": Jsonb("x")}, "22023"),
        ({"thumbnail": "/abs.png"}, "22023"),
    ],
)
def test_bad_templates_are_refused_with_a_4xx(team: Team, values: dict, sqlstate: str) -> None:
    made = template(team)
    assert fails(sqlstate, team.as_("designer").update, "templates", values, id=made["id"]).status == 400
    assert fails(sqlstate, template, team, **values).status == 400


def test_concurrent_ratings_are_all_counted(team: Team) -> None:
    made = template(team, is_published=True)
    people = [new_person(team.url, "rater") for _ in range(8)]
    stars = [1, 2, 3, 4, 5, 5, 4, 3]
    outcomes = race(
        [
            (lambda p=p, n=n: p.session(team.api).rpc("rate_template", template_id=made["id"], stars=n))
            for p, n in zip(people, stars, strict=True)
        ]
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    got = counters(team, made["id"])
    assert (got["rating_count"], got["rating_average"]) == (8, 3.38)


def test_views_and_ratings_leave_the_audit_log_alone(team: Team) -> None:
    made = template(team, is_published=True)
    team.as_("outsider").rpc("record_template_view", template_id=made["id"])
    team.as_("outsider").rpc("rate_template", template_id=made["id"], stars=3)
    team.as_("designer").update("templates", {"name": "Renamed"}, id=made["id"])
    entries = team.as_("admin").sql(
        "select operation from public.audit_logs where table_name = 'templates' and record_id = %s order by id",
        [str(made["id"])],
    )
    assert [e["operation"] for e in entries] == ["INSERT", "UPDATE"]

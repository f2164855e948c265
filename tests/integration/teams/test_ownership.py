"""Organisations and their owners through the API: creation, slugs, ownership transfer, the
always-an-owner invariant (LU010, LU011, LU012), leaving, deletion, and custom roles.

Real Postgres through the PostgREST-faithful helper; the superuser only prepares and inspects.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.concurrency import open_request, race, wait_until_blocked_by
from tests.support.postgrest import PostgREST, PostgrestError, fails
from tests.support.team import Person, Team, make_team, new_person


def roles(team: Team) -> dict[uuid.UUID, tuple[str, str]]:
    """user_id -> (role, status) of every member, read as the superuser."""
    rows = team.superuser(
        "select user_id, role::text, status::text from public.team_members where organization_id = %s",
        [team.org_id],
    )
    return {r["user_id"]: (r["role"], r["status"]) for r in rows}


def owners(team: Team) -> set[uuid.UUID]:
    return {user for user, (role, status) in roles(team).items() if role == "owner" and status == "active"}


# =============================================================================================
# creating organisations
# =============================================================================================


def test_create_organization_makes_the_caller_its_active_owner(api: PostgREST, db_url: str) -> None:
    founder = new_person(db_url, "founder")
    slug = f"atelier-{uuid.uuid4().hex[:8]}"
    org = founder.session(api).rpc("create_organization", name="  Atelier Nord ", slug=f" {slug.upper()} ")

    assert (org["name"], org["slug"]) == ("Atelier Nord", slug)
    assert org["created_by"] == str(founder.id)
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        members = conn.execute(
            "select user_id, role::text, status::text from public.team_members where organization_id = %s",
            [org["id"]],
        ).fetchall()
    assert members == [{"user_id": founder.id, "role": "owner", "status": "active"}]
    # and the owner sees it through RLS
    assert [o["slug"] for o in founder.session(api).select("organizations")] == [slug]


def test_a_taken_slug_is_refused_with_a_clear_message(api: PostgREST, db_url: str) -> None:
    slug = f"maison-{uuid.uuid4().hex[:8]}"
    first = new_person(db_url, "first").session(api)
    first.rpc("create_organization", name="Maison", slug=slug)

    error = fails(
        "23505", new_person(db_url, "second").session(api).rpc, "create_organization", name="X", slug=slug
    )
    assert error.message == f'the slug "{slug}" is already taken'
    assert error.status == 409
    fails("23505", first.rpc, "create_organization", name="Again", slug=slug.upper())
    with psycopg.connect(db_url) as conn:
        assert conn.execute(
            "select count(*) from public.organizations where slug = %s", [slug]
        ).fetchone() == (1,)


@pytest.mark.parametrize(
    ("slug", "sqlstate"),
    [
        *(
            (slug, "22023")
            for slug in ["ab", "-maison", "maison-", "mai--son", "mai son", "maison_x", "é-maison"]
        ),
        ("x" * 49, "22001"),
        ("x" * 10_000, "22001"),
    ],
)
def test_an_invalid_slug_is_refused(api: PostgREST, db_url: str, slug: str, sqlstate: str) -> None:
    """The shared check of organizations.slug answers 22xxx (HTTP 400), never 23514 nor an index error."""
    founder = new_person(db_url, "founder")
    error = fails(sqlstate, founder.session(api).rpc, "create_organization", name="Maison", slug=slug)
    assert error.status == 400
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from public.organizations").fetchone() == (0,)
        assert conn.execute("select count(*) from public.team_members").fetchone() == (0,)


def test_anon_cannot_create_an_organization(api: PostgREST) -> None:
    error = fails("42501", api.anon().rpc, "create_organization", name="Maison", slug="maison-anon")
    assert error.status == 401


def test_members_cannot_insert_owner_rows_directly(team: Team) -> None:
    fails(
        "42501",
        team.as_("outsider").insert,
        "team_members",
        {"organization_id": team.org_id, "user_id": team.people["outsider"].id, "role": "owner"},
    )
    assert team.people["outsider"].id not in roles(team)


# =============================================================================================
# transferring ownership
# =============================================================================================


def test_ownership_goes_to_an_active_admin_and_the_owner_becomes_admin(team: Team) -> None:
    owner, admin = team.people["owner"], team.people["admin"]
    promoted = team.as_("owner").rpc("transfer_ownership", organization_id=team.org_id, new_owner_id=admin.id)

    assert (promoted["user_id"], promoted["role"]) == (str(admin.id), "owner")
    after = roles(team)
    assert after[admin.id] == ("owner", "active")
    assert after[owner.id] == ("admin", "active")
    assert owners(team) == {admin.id}
    # the former owner no longer holds owner-only permissions
    fails(
        "42501",
        team.as_("owner").rpc,
        "transfer_ownership",
        organization_id=team.org_id,
        new_owner_id=owner.id,
    )
    # the new owner does
    team.as_("admin").rpc("transfer_ownership", organization_id=team.org_id, new_owner_id=owner.id)
    assert owners(team) == {owner.id}


@pytest.mark.parametrize("target", ["designer", "manager", "outsider", "owner", "suspended admin"])
def test_ownership_only_goes_to_another_active_admin(team: Team, target: str) -> None:
    if target == "suspended admin":
        person = team.add_member("admin", status="suspended")
    else:
        person = team.people[target]
    before = roles(team)
    error = fails(
        "LU012",
        team.as_("owner").rpc,
        "transfer_ownership",
        organization_id=team.org_id,
        new_owner_id=person.id,
    )
    assert "active admin" in error.message
    assert roles(team) == before


@pytest.mark.parametrize("who", ["admin", "manager", "viewer", "outsider"])
def test_only_an_owner_transfers_ownership(team: Team, who: str) -> None:
    before = roles(team)
    error = fails(
        "42501",
        team.as_(who).rpc,
        "transfer_ownership",
        organization_id=team.org_id,
        new_owner_id=team.people["admin"].id,
    )
    assert "ownership.transfer" in error.message
    assert roles(team) == before


# =============================================================================================
# the organisation always keeps an owner
# =============================================================================================


def test_the_last_owner_cannot_leave(team: Team) -> None:
    error = fails("LU010", team.as_("owner").rpc, "leave_organization", organization_id=team.org_id)
    assert "active owner" in error.message
    assert roles(team)[team.people["owner"].id] == ("owner", "active")


@pytest.mark.parametrize(("column", "value"), [("role", "admin"), ("status", "suspended")])
def test_the_last_owner_cannot_step_down(team: Team, column: str, value: str) -> None:
    owner = team.people["owner"]
    fails("LU010", team.as_("owner").update, "team_members", {column: value}, user_id=owner.id)
    fails("LU010", team.as_("owner").delete, "team_members", user_id=owner.id)
    assert owners(team) == {owner.id}


def test_an_admin_cannot_remove_or_demote_an_owner(team: Team) -> None:
    owner = team.people["owner"]
    for call in (
        lambda: team.as_("admin").delete("team_members", user_id=owner.id),
        lambda: team.as_("admin").update("team_members", {"role": "admin"}, user_id=owner.id),
        lambda: team.as_("admin").update("team_members", {"status": "suspended"}, user_id=owner.id),
    ):
        error = fails("LU011", call)
        assert "only an owner" in error.message
    # even with a second owner around, an admin cannot touch owner rows
    second = team.add_member("owner")
    fails("LU011", team.as_("admin").delete, "team_members", user_id=second.id)
    assert owners(team) == {owner.id, second.id}


@pytest.mark.parametrize("target", ["designer", "admin"])
def test_an_admin_cannot_promote_anyone_to_owner(team: Team, target: str) -> None:
    person = team.people[target]
    fails("LU011", team.as_("admin").update, "team_members", {"role": "owner"}, user_id=person.id)
    assert roles(team)[person.id][0] == target
    assert owners(team) == {team.people["owner"].id}


def test_an_owner_can_promote_and_demote_owners(team: Team) -> None:
    admin = team.people["admin"]
    (row,) = team.as_("owner").update("team_members", {"role": "owner"}, user_id=admin.id)
    assert row["role"] == "owner"
    assert owners(team) == {team.people["owner"].id, admin.id}
    team.as_("owner").update("team_members", {"role": "admin"}, user_id=admin.id)
    assert owners(team) == {team.people["owner"].id}


def test_with_two_owners_one_can_leave(team: Team) -> None:
    owner = team.people["owner"]
    second = team.add_member("owner")
    second.session(team.api).rpc("leave_organization", organization_id=team.org_id)

    assert second.id not in roles(team)
    assert owners(team) == {owner.id}
    fails("LU010", team.as_("owner").rpc, "leave_organization", organization_id=team.org_id)


def test_with_two_owners_one_can_step_down(team: Team) -> None:
    second = team.add_member("owner")
    second.session(team.api).update("team_members", {"role": "admin"}, user_id=second.id)
    assert roles(team)[second.id] == ("admin", "active")
    assert owners(team) == {team.people["owner"].id}


def test_a_suspended_owner_does_not_count_as_the_owner(team: Team) -> None:
    team.add_member("owner", status="suspended")
    fails("LU010", team.as_("owner").rpc, "leave_organization", organization_id=team.org_id)
    assert owners(team) == {team.people["owner"].id}


# =============================================================================================
# two owners stepping down at once
# =============================================================================================


@pytest.mark.parametrize("second_steps_down_by", ["leaving", "demoting themself"])
def test_two_owners_stepping_down_at_once_leaves_one_owner(team: Team, second_steps_down_by: str) -> None:
    first, second = team.people["owner"], team.add_member("owner")
    if second_steps_down_by == "leaving":
        attempt: Callable[[], Any] = lambda: second.session(team.api).rpc(  # noqa: E731
            "leave_organization", organization_id=team.org_id
        )
    else:
        attempt = lambda: second.session(team.api).update(  # noqa: E731
            "team_members", {"role": "admin"}, user_id=second.id
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        with open_request(
            team.url, first.session(team.api), "select public.leave_organization(%s)", [team.org_id]
        ) as (_, pid):
            racing = pool.submit(attempt)
            wait_until_blocked_by(team.url, pid)
            assert not racing.done()
            assert owners(team) == {first.id, second.id}  # nothing committed yet
        with pytest.raises(PostgrestError) as lost:
            racing.result(timeout=30)

    assert lost.value.sqlstate == "LU010"
    assert first.id not in roles(team)
    assert owners(team) == {second.id}


def test_racing_owners_always_leave_exactly_one_owner(team: Team) -> None:
    current = team.people["owner"]
    for round_ in range(6):
        extra = team.add_member("owner")
        pair: list[Person] = [current, extra]
        if round_ % 2:
            calls = [
                lambda p=p: p.session(team.api).update("team_members", {"role": "admin"}, user_id=p.id)
                for p in pair
            ]
        else:
            calls = [
                lambda p=p: p.session(team.api).rpc("leave_organization", organization_id=team.org_id)
                for p in pair
            ]
        outcomes = race(calls)
        errors = [o for o in outcomes if isinstance(o, PostgrestError)]
        assert [e.sqlstate for e in errors] == ["LU010"], outcomes
        (survivor,) = owners(team)
        assert survivor in {p.id for p in pair}
        current = next(p for p in pair if p.id == survivor)


# =============================================================================================
# leaving and deleting
# =============================================================================================


@pytest.mark.parametrize("who", ["viewer", "designer", "manager", "admin"])
def test_members_can_leave(team: Team, who: str) -> None:
    person = team.people[who]
    assert team.as_(who).rpc("leave_organization", organization_id=team.org_id) is None
    assert person.id not in roles(team)
    assert team.as_(who).select("organizations") == []
    error = fails("LU009", team.as_(who).rpc, "leave_organization", organization_id=team.org_id)
    assert "not a member" in error.message


def test_a_suspended_owner_can_still_leave(team: Team) -> None:
    """leave_organization() always lets a member leave: the guard trigger once refused a suspended
    owner removing their own row (LU011)."""
    suspended = team.add_member("owner", status="suspended")
    suspended.session(team.api).rpc("leave_organization", organization_id=team.org_id)
    assert suspended.id not in roles(team)
    assert owners(team) == {team.people["owner"].id}


def test_leaving_an_organisation_one_is_not_in_gives_lu009(team: Team) -> None:
    before = roles(team)
    fails("LU009", team.as_("outsider").rpc, "leave_organization", organization_id=team.org_id)
    fails("LU009", team.as_("viewer").rpc, "leave_organization", organization_id=uuid.uuid4())
    assert roles(team) == before


def test_the_owner_deletes_the_organisation_and_everything_in_it(team: Team) -> None:
    team.as_("admin").rpc("create_invitation", organization_id=team.org_id, email="pending@example.com")
    team.as_("admin").insert("team_roles", {"organization_id": team.org_id, "name": "Ops", "permissions": []})
    team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="ci")

    # nobody below owner can
    assert team.as_("admin").delete("organizations", id=team.org_id) == []
    assert team.superuser("select id from public.organizations where id = %s", [team.org_id]) != []

    (deleted,) = team.as_("owner").delete("organizations", id=team.org_id)
    assert deleted["id"] == team.org_id
    for table in (
        "public.organizations",
        "public.team_members",
        "public.invitations",
        "public.team_roles",
        "public.api_keys",
    ):
        column = "id" if table == "public.organizations" else "organization_id"
        (row,) = team.superuser(f"select count(*)::int as n from {table} where {column} = %s", [team.org_id])
        assert row["n"] == 0, table
    (tokens,) = team.superuser("select count(*)::int as n from private.invitation_tokens")
    assert tokens["n"] == 0
    # the audit trail outlives the organisation, its deletion being the last entry
    (entry,) = team.superuser(
        "select actor_id from public.audit_logs where table_name = 'organizations' and operation = 'DELETE'"
        " and record_id = %s",
        [str(team.org_id)],
    )
    assert entry["actor_id"] == team.people["owner"].id


# =============================================================================================
# custom roles
# =============================================================================================


def create_role(team: Team, permissions: list[str], *, by: str = "admin", name: str = "Integrations") -> dict:
    (role,) = team.as_(by).insert(
        "team_roles", {"organization_id": team.org_id, "name": name, "permissions": permissions}
    )
    return role


def test_a_custom_role_grants_its_permissions(team: Team) -> None:
    team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="storefront")
    role = create_role(team, ["api_keys.read", "api_keys.read"])
    assert role["permissions"] == ["api_keys.read"]
    viewer = team.people["viewer"]
    assert team.as_("viewer").select("api_keys") == []

    (assigned,) = team.as_("admin").update("team_members", {"custom_role_id": role["id"]}, user_id=viewer.id)
    assert assigned["custom_role_id"] == role["id"]
    assert [k["name"] for k in team.as_("viewer").select("api_keys")] == ["storefront"]
    # reading is all it grants
    fails("42501", team.as_("viewer").rpc, "create_api_key", organization_id=team.org_id, name="nope")
    # deleting the role takes the permission away again
    team.as_("admin").delete("team_roles", id=role["id"])
    assert roles(team)[viewer.id] == ("viewer", "active")
    (member,) = team.superuser(
        "select custom_role_id from public.team_members where user_id = %s", [viewer.id]
    )
    assert member["custom_role_id"] is None
    assert team.as_("viewer").select("api_keys") == []


def test_a_suspended_member_gets_nothing_from_a_custom_role(team: Team) -> None:
    team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="storefront")
    role = create_role(team, ["api_keys.read"])
    team.as_("admin").update(
        "team_members",
        {"custom_role_id": role["id"], "status": "suspended"},
        user_id=team.people["viewer"].id,
    )
    assert team.as_("viewer").select("api_keys") == []


@pytest.mark.parametrize(
    "permission", ["organization.delete", "ownership.transfer", "api_keys.everything", "root"]
)
def test_custom_roles_refuse_unknown_and_owner_only_permissions(team: Team, permission: str) -> None:
    error = fails("22023", create_role, team, ["api_keys.read", permission])
    assert permission in error.message
    assert team.superuser("select * from public.team_roles") == []
    role = create_role(team, ["api_keys.read"])
    fails("22023", team.as_("admin").update, "team_roles", {"permissions": [permission]}, id=role["id"])
    (stored,) = team.superuser("select permissions from public.team_roles where id = %s", [role["id"]])
    assert stored["permissions"] == ["api_keys.read"]


@pytest.mark.parametrize("who", ["manager", "viewer", "outsider"])
def test_only_roles_manage_creates_custom_roles(team: Team, who: str) -> None:
    fails("42501", create_role, team, ["orders.read"], by=who)
    assert team.superuser("select * from public.team_roles") == []


def test_a_custom_role_of_another_organisation_cannot_be_assigned(team: Team, api: PostgREST) -> None:
    other = make_team(api, team.url)
    foreign = create_role(other, ["api_keys.read", "api_keys.manage"], name="Foreign")
    viewer = team.people["viewer"]

    error = fails(
        "23503",
        team.as_("admin").update,
        "team_members",
        {"custom_role_id": foreign["id"]},
        user_id=viewer.id,
    )
    assert error.status == 409
    (member,) = team.superuser(
        "select custom_role_id from public.team_members where user_id = %s", [viewer.id]
    )
    assert member["custom_role_id"] is None
    # nor through an invitation
    fails(
        "23503",
        team.as_("admin").rpc,
        "create_invitation",
        organization_id=team.org_id,
        email="foreign@example.com",
        custom_role_id=foreign["id"],
    )
    assert team.superuser("select * from public.invitations where organization_id = %s", [team.org_id]) == []

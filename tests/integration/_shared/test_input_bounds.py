"""Input bounds: every text, JSON document and array an API caller can write has a bound and a
shape, checked once (the validation functions and check constraints of
supabase/migrations/20261121120200_bound_shared_inputs.sql), and a bad value gets a stable 22xxx
error, HTTP 400, with nothing written. One regression per reported attack, each next to the
legitimate call that must keep working.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from psycopg.types.json import Jsonb

from tests.support.pg import superuser
from tests.support.postgrest import PostgrestError, Session, fails
from tests.support.team import Team, new_person


def count(team: Team, table: str, where: str = "true", params: Any = None) -> int:
    return team.superuser(f"select count(*) as n from {table} where {where}", params)[0]["n"]


def refused(sqlstate: str, call: Any, *args: Any, **kwargs: Any) -> PostgrestError:
    error = fails(sqlstate, call, *args, **kwargs)
    assert error.status == 400, error
    return error


# =============================================================================================
# invitations.email
# =============================================================================================


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("a" * 3000 + "@example.com", id="3kB-index-row-too-large"),
        pytest.param("b" * 10_000 + "@example.com", id="10kB-compressible"),
    ],
)
def test_an_oversize_invitation_address_is_refused_with_22001_and_nothing_written(
    team: Team, email: str
) -> None:
    before = count(team, "public.invitations"), count(team, "private.invitation_tokens")
    error = refused(
        "22001", team.as_("admin").rpc, "create_invitation", organization_id=team.org_id, email=email
    )
    assert error.message.startswith("email: at most")
    assert (count(team, "public.invitations"), count(team, "private.invitation_tokens")) == before


@pytest.mark.parametrize(
    "email",
    ["no-at-sign", "a@", "@b", "a b@example.com", "evil\u202e@example.com", "x" * 65 + "@example.com"],
)
def test_a_malformed_invitation_address_is_refused_with_22023(team: Team, email: str) -> None:
    refused("22023", team.as_("admin").rpc, "create_invitation", organization_id=team.org_id, email=email)
    assert count(team, "public.invitations") == 0


def test_a_normal_or_international_address_is_still_invited(team: Team) -> None:
    for email in [
        "camille@example.com",
        "  Jose.Garcia@Example.COM ",
        "zoë@exämple.fr",
        "x" * 64 + "@example.com",
    ]:
        created = team.as_("admin").rpc("create_invitation", organization_id=team.org_id, email=email)
        assert created["invitation"]["email"] == email.strip().lower()
    assert count(team, "public.invitations") == 4


# =============================================================================================
# api_keys.scopes and names
# =============================================================================================


@pytest.mark.parametrize(
    ("scopes", "sqlstate"),
    [
        pytest.param([["read"]], "22023", id="nested"),
        pytest.param([["read", "write"], ["orders", "designs"]], "22023", id="2-D"),
        pytest.param(["read"] * 7, "22023", id="too-many"),
        pytest.param(["read", "admin"], "22023", id="unknown"),
        pytest.param(["read", None], "22004", id="null-item"),
        pytest.param(["r" * 10_000], "22001", id="10kB-item"),
    ],
)
def test_bad_scopes_are_refused_and_no_key_is_stored(team: Team, scopes: list, sqlstate: str) -> None:
    refused(
        sqlstate,
        team.as_("admin").rpc,
        "create_api_key",
        organization_id=team.org_id,
        name="CI",
        scopes=scopes,
    )
    assert count(team, "public.api_keys") == 0
    assert count(team, "private.api_key_hashes") == 0


def test_one_dimensional_known_scopes_still_work(team: Team) -> None:
    created = team.as_("admin").rpc(
        "create_api_key", organization_id=team.org_id, name="CI", scopes=["read", "write", "orders"]
    )
    assert created["api_key"]["scopes"] == ["read", "write", "orders"]
    stored = team.superuser("select array_ndims(scopes) as dims from public.api_keys")
    assert stored == [{"dims": 1}]


def test_patching_an_api_key_with_nested_scopes_or_an_oversize_name_writes_nothing(team: Team) -> None:
    key = team.as_("admin").rpc("create_api_key", organization_id=team.org_id, name="CI")["api_key"]
    admin = team.as_("admin")
    refused("22023", admin.update, "api_keys", {"scopes": [["read"]]}, id=key["id"])
    refused("22001", admin.update, "api_keys", {"name": "n" * 101}, id=key["id"])
    refused("22023", admin.update, "api_keys", {"name": "   "}, id=key["id"])
    (row,) = team.superuser("select name, scopes from public.api_keys where id = %s", [key["id"]])
    assert row == {"name": "CI", "scopes": ["read"]}
    assert admin.update("api_keys", {"name": "CI 🚀", "scopes": ["read", "webhooks"]}, id=key["id"])[0][
        "scopes"
    ] == [
        "read",
        "webhooks",
    ]


# =============================================================================================
# request_account_erasure(cancel => null)
# =============================================================================================


def test_a_null_cancel_is_refused_and_records_no_request(team: Team) -> None:
    me = team.as_("viewer")
    viewer_id = team.people["viewer"].id
    refused("22004", me.rpc, "request_account_erasure", cancel=None)
    assert count(team, "public.profiles", "id = %s and erasure_requested_at is not null", [viewer_id]) == 0
    assert me.rpc("request_account_erasure", cancel=False) is not None
    assert me.rpc("request_account_erasure", cancel=True) is None
    assert me.rpc("request_account_erasure") is not None


# =============================================================================================
# organizations, team_roles, profiles: direct writes
# =============================================================================================


def organization(team: Team) -> dict:
    (row,) = team.superuser(
        "select name, slug, branding from public.organizations where id = %s", [team.org_id]
    )
    return row


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        pytest.param({"name": "n" * 10_240}, "22001", id="10kB-name"),
        pytest.param({"name": " "}, "22023", id="blank-name"),
        pytest.param({"name": "Maison\nAurore"}, "22023", id="newline-in-name"),
        pytest.param({"name": "\u202eeroruA nosiaM"}, "22023", id="bidi-override"),
        pytest.param({"slug": "s" * 10_240}, "22001", id="10kB-slug"),
        pytest.param({"slug": "Maison Aurore"}, "22023", id="bad-slug"),
        pytest.param({"branding": ["logo"]}, "22023", id="branding-array"),
        pytest.param({"branding": "logo"}, "22023", id="branding-string"),
        pytest.param({"branding": {"logo_url": "x" * 10_240}}, "22001", id="10kB-branding"),
    ],
)
def test_bad_organization_values_are_refused(team: Team, values: dict, sqlstate: str) -> None:
    before = organization(team)
    values = {k: Jsonb(v) if k == "branding" else v for k, v in values.items()}
    refused(sqlstate, team.as_("owner").update, "organizations", values, id=team.org_id)
    assert organization(team) == before


def test_good_organization_values_still_work(team: Team) -> None:
    rows = team.as_("owner").update(
        "organizations",
        {"name": "Atelier 東京 🎨 e\u0301", "branding": Jsonb({"logo_url": "https://cdn.example.com/l.png"})},
        id=team.org_id,
    )
    assert rows[0]["name"] == "Atelier 東京 🎨 e\u0301"


@pytest.mark.parametrize(
    ("row", "sqlstate"),
    [
        pytest.param({"permissions": [["organization.read"]]}, "22023", id="nested-permissions"),
        pytest.param({"permissions": ["organization.read"] * 65}, "22023", id="65-permissions"),
        pytest.param({"permissions": ["p" * 10_240]}, "22001", id="10kB-permission"),
        pytest.param({"name": "r" * 61}, "22001", id="long-name"),
        pytest.param({"description": "d" * 10_240}, "22001", id="10kB-description"),
        pytest.param({"description": "bell\x07"}, "22023", id="control-character"),
    ],
)
def test_bad_custom_roles_are_refused(team: Team, row: dict, sqlstate: str) -> None:
    admin = team.as_("admin", aal="aal2")
    refused(sqlstate, admin.insert, "team_roles", {"organization_id": team.org_id, "name": "Editors", **row})
    assert count(team, "public.team_roles") == 0
    role = admin.insert(
        "team_roles", {"organization_id": team.org_id, "name": "Editors", "permissions": ["orders.read"]}
    )[0]
    refused(sqlstate, admin.update, "team_roles", {"name": "Editors", **row}, id=role["id"])
    (stored,) = team.superuser("select name, description, permissions from public.team_roles")
    assert stored == {"name": "Editors", "description": None, "permissions": ["orders.read"]}


def test_a_multi_line_description_is_fine(team: Team) -> None:
    admin = team.as_("admin", aal="aal2")
    row = {"organization_id": team.org_id, "name": "Éditeurs", "description": "Line one\n\tline two"}
    assert admin.insert("team_roles", row)[0]["description"] == "Line one\n\tline two"


@pytest.mark.parametrize(
    ("values", "sqlstate"),
    [
        pytest.param({"full_name": "n" * 10_240}, "22001", id="10kB-full-name"),
        pytest.param({"full_name": "Camille\x1b[31m"}, "22023", id="escape"),
        pytest.param({"company": "c" * 201}, "22001", id="long-company"),
        pytest.param({"avatar_url": "a" * 2049}, "22001", id="long-avatar"),
        pytest.param({"locale": "fr-" + "-".join(["abcd"] * 20)}, "22001", id="long-locale"),
        pytest.param({"onboarding_state": [1, 2]}, "22023", id="onboarding-array"),
        pytest.param({"onboarding_state": {"x": "y" * 20_000}}, "22001", id="20kB-onboarding"),
    ],
)
def test_bad_profile_values_are_refused(team: Team, values: dict, sqlstate: str) -> None:
    me = team.people["viewer"]
    query = (
        "select full_name, company, avatar_url, locale, onboarding_state from public.profiles where id = %s"
    )
    before = team.superuser(query, [me.id])
    values = {k: Jsonb(v) if k == "onboarding_state" else v for k, v in values.items()}
    refused(sqlstate, team.as_("viewer").update, "profiles", values, id=me.id)
    assert team.superuser(query, [me.id]) == before


# =============================================================================================
# heartbeat: device name and type
# =============================================================================================


def sessions(team: Team, user_id: uuid.UUID) -> list[dict]:
    return team.superuser(
        "select device_name, device_type from public.user_sessions where user_id = %s", [user_id]
    )


@pytest.mark.parametrize(
    ("args", "sqlstate"),
    [
        pytest.param({"device_name": "d" * 10_240}, "22001", id="10kB-name"),
        pytest.param({"device_name": ""}, "22023", id="empty-name"),
        pytest.param({"device_name": "Laptop\r\nX-Injected: 1"}, "22023", id="line-break"),
        pytest.param({"device_type": "fridge"}, "22023", id="unknown-type"),
        pytest.param({"device_type": "t" * 10_240}, "22001", id="10kB-type"),
    ],
)
def test_bad_device_values_fail_the_heartbeat_without_writing(team: Team, args: dict, sqlstate: str) -> None:
    me = team.people["viewer"]
    session: Session = team.as_("viewer")
    refused(sqlstate, session.rpc, "heartbeat", **args)
    assert sessions(team, me.id) == []
    assert team.superuser("select last_activity_at from public.profiles where id = %s", [me.id]) == [
        {"last_activity_at": None}
    ]
    session.rpc("heartbeat", device_name="MacBook de Zoë 💻", device_type="desktop")
    assert sessions(team, me.id) == [{"device_name": "MacBook de Zoë 💻", "device_type": "desktop"}]


def test_a_long_user_agent_is_cut_not_refused(team: Team) -> None:
    me = team.people["viewer"]
    team.as_("viewer", headers={"User-Agent": "U" * 5000}).rpc("heartbeat", device_type="mobile")
    (row,) = team.superuser(
        "select char_length(user_agent) as n from public.user_sessions where user_id = %s", [me.id]
    )
    assert row == {"n": 1000}


def test_sign_up_metadata_the_checks_refuse_falls_back_instead_of_failing(db_url: str) -> None:
    person = new_person(db_url, "ctrl", {"full_name": "Camille\x1bDurand", "company": "\u202eevil"})
    (row,) = superuser(db_url, "select full_name, company from public.profiles where id = %s", [person.id])
    assert row == {"full_name": None, "company": None}

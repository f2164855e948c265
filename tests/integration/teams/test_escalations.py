"""Escalations a hostile member tried, each shown failing, with the legitimate action still working:
custom roles edited upward, require_mfa switched at aal1, a null organisation passing the
permission check, and private functions executable by API roles that no path needs.

Real Postgres through the PostgREST-faithful helper; the superuser only prepares and inspects.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.support.pg import Superuser
from tests.support.postgrest import PostgREST, fails
from tests.support.team import Person, Team


def custom_role(team: Team, name: str, permissions: list[str]) -> uuid.UUID:
    (row,) = team.superuser(
        "insert into public.team_roles (organization_id, name, permissions) values (%s, %s, %s) returning id",
        [team.org_id, name, permissions],
    )
    return row["id"]


def give(team: Team, person: Person, role_id: uuid.UUID) -> None:
    team.superuser(
        "update public.team_members set custom_role_id = %s where organization_id = %s and user_id = %s",
        [role_id, team.org_id, person.id],
    )


def permissions_of(team: Team, role_id: uuid.UUID) -> list[str]:
    (row,) = team.superuser("select permissions from public.team_roles where id = %s", [role_id])
    return row["permissions"]


# =============================================================================================
# 1. custom roles cannot be edited above their editor
# =============================================================================================


@pytest.fixture
def role_editor(team: Team) -> tuple[Person, uuid.UUID]:
    """The team's viewer, holding roles.manage only through the custom role "Role editor"."""
    editor_role = custom_role(team, "Role editor", ["roles.manage"])
    give(team, team.people["viewer"], editor_role)
    return team.people["viewer"], editor_role


def test_a_role_editor_cannot_add_permissions_they_lack_to_their_own_role(
    team: Team, role_editor: tuple[Person, uuid.UUID]
) -> None:
    editor, editor_role = role_editor
    session = editor.session(team.api, aal="aal2")
    refused = fails(
        "42501",
        session.update,
        "team_roles",
        {"permissions": ["roles.manage", "billing.read", "api_keys.manage"]},
        id=editor_role,
    )
    assert "api_keys.manage" in refused.message
    assert "billing.read" in refused.message
    assert permissions_of(team, editor_role) == ["roles.manage"]
    # the escalation's goal stays out of reach
    fails("42501", session.rpc, "create_api_key", organization_id=team.org_id, name="stolen")
    assert session.select("invoices") == []


def test_a_role_editor_cannot_raise_another_role_or_create_one_above_them(
    team: Team, role_editor: tuple[Person, uuid.UUID]
) -> None:
    editor, _ = role_editor
    session = editor.session(team.api, aal="aal2")
    other = custom_role(team, "Support", ["orders.read"])
    fails("42501", session.update, "team_roles", {"permissions": ["orders.read", "billing.read"]}, id=other)
    assert permissions_of(team, other) == ["orders.read"]
    fails(
        "42501",
        session.insert,
        "team_roles",
        {"organization_id": team.org_id, "name": "Treasurer", "permissions": ["billing.read"]},
    )
    assert team.superuser("select 1 from public.team_roles where name = 'Treasurer'") == []


def test_a_role_editor_still_edits_within_what_they_hold(
    team: Team, role_editor: tuple[Person, uuid.UUID]
) -> None:
    editor, _ = role_editor
    session = editor.session(team.api, aal="aal2")
    other = custom_role(team, "Support", ["billing.read", "orders.read"])  # made by the owner
    # adding what they hold (viewers hold orders.read, members.read) and removing anything is fine
    (edited,) = session.update(
        "team_roles", {"permissions": ["members.read", "orders.read", "roles.manage"]}, id=other
    )
    assert edited["permissions"] == ["members.read", "orders.read", "roles.manage"]
    (created,) = session.insert(
        "team_roles", {"organization_id": team.org_id, "name": "Readers", "permissions": ["orders.read"]}
    )
    assert created["permissions"] == ["orders.read"]
    # a rename leaves the permissions alone, even those the editor does not hold
    top = custom_role(team, "Finance", ["billing.read"])
    (renamed,) = session.update("team_roles", {"name": "Finance team"}, id=top)
    assert (renamed["name"], renamed["permissions"]) == ("Finance team", ["billing.read"])


def test_an_admin_grants_what_they_hold_but_mfa_permissions_only_with_aal2(team: Team) -> None:
    team.superuser("update public.organizations set require_mfa = true where id = %s", [team.org_id])
    role_id = custom_role(team, "Ops", [])
    admin = team.people["admin"]
    # at aal1, roles.manage itself (an MFA permission) is not held: the policy hides the row
    assert admin.session(team.api).update("team_roles", {"permissions": ["orders.read"]}, id=role_id) == []
    (edited,) = admin.session(team.api, aal="aal2").update(
        "team_roles", {"permissions": ["api_keys.manage", "orders.read"]}, id=role_id
    )
    assert edited["permissions"] == ["api_keys.manage", "orders.read"]


def test_the_service_role_sets_any_grantable_permission(api: PostgREST, team: Team) -> None:
    role_id = custom_role(team, "Ops", [])
    (edited,) = api.service_role().update("team_roles", {"permissions": ["billing.read"]}, id=role_id)
    assert edited["permissions"] == ["billing.read"]


# =============================================================================================
# 2. require_mfa changes need aal2, both ways
# =============================================================================================


def require_mfa(team: Team) -> bool:
    (row,) = team.superuser("select require_mfa from public.organizations where id = %s", [team.org_id])
    return row["require_mfa"]


def test_an_admin_at_aal1_cannot_switch_require_mfa_off(team: Team) -> None:
    team.superuser("update public.organizations set require_mfa = true where id = %s", [team.org_id])
    admin = team.people["admin"].session(team.api)
    refused = fails("LU013", admin.update, "organizations", {"require_mfa": False}, id=team.org_id)
    assert "aal2" in refused.message
    assert require_mfa(team) is True
    # what the rule protects stays protected
    assert admin.select("api_keys") == []
    # other settings are still editable at aal1
    (renamed,) = admin.update("organizations", {"name": "Maison Renamed"}, id=team.org_id)
    assert (renamed["name"], renamed["require_mfa"]) == ("Maison Renamed", True)


def test_switching_require_mfa_on_at_aal1_is_refused_so_nobody_locks_themselves_out(team: Team) -> None:
    admin = team.people["admin"].session(team.api)
    fails("LU013", admin.update, "organizations", {"require_mfa": True}, id=team.org_id)
    assert require_mfa(team) is False


def test_with_aal2_an_admin_switches_require_mfa_on_and_off(team: Team) -> None:
    admin = team.people["admin"].session(team.api, aal="aal2")
    (row,) = admin.update("organizations", {"require_mfa": True}, id=team.org_id)
    assert row["require_mfa"] is True
    (row,) = admin.update("organizations", {"require_mfa": False}, id=team.org_id)
    assert row["require_mfa"] is False
    # setting it to its current value is no change, and needs nothing
    (row,) = (
        team.people["admin"].session(team.api).update("organizations", {"require_mfa": False}, id=team.org_id)
    )
    assert row["require_mfa"] is False


def test_a_viewer_cannot_touch_require_mfa_even_with_aal2(team: Team) -> None:
    viewer = team.people["viewer"].session(team.api, aal="aal2")
    assert viewer.update("organizations", {"require_mfa": True}, id=team.org_id) == []
    assert require_mfa(team) is False


# =============================================================================================
# 4. a null organisation never passes the permission check
# =============================================================================================


def checked(team: Team, who: str, query: str) -> list[dict]:
    """Run `query` inside a request of `who` (aal2), as the function owner would: the private
    helpers are not executable by the API roles (item 5), so the superuser connection sets the
    request's claims and calls them directly, as a security definer RPC does."""
    person = team.people[who]
    claims = json.dumps({"sub": str(person.id), "role": "authenticated", "aal": "aal2"})
    with Superuser(team.url) as su:
        su("select set_config('request.jwt.claims', %s, false)", [claims])
        return su(query)


def test_require_permission_refuses_a_null_organisation(team: Team) -> None:
    # the owner holds every permission in some organisation: `null = any(...)` used to let this pass
    with pytest.raises(Exception, match="organization_id is required") as refused:
        checked(team, "owner", "select private.require_permission(null, 'api_keys.manage')")
    assert getattr(refused.value, "sqlstate", None) == "22004"
    assert checked(team, "owner", "select private.has_permission(null, 'api_keys.manage') as held") == [
        {"held": False}
    ]
    # and the organisation itself still passes
    assert checked(
        team, "owner", f"select private.has_permission('{team.org_id}', 'api_keys.manage') as held"
    ) == [{"held": True}]


def test_rpcs_given_a_null_organisation_answer_4xx_and_write_nothing(team: Team) -> None:
    owner = team.people["owner"].session(team.api, aal="aal2")
    before = team.superuser("select count(*) as n from public.api_keys")
    error = fails("22004", owner.rpc, "create_api_key", organization_id=None, name="ci")
    assert error.status == 400
    fails("22004", owner.rpc, "create_invitation", organization_id=None, email="new@example.com")
    fails(
        "22004", owner.rpc, "transfer_ownership", organization_id=None, new_owner_id=team.people["admin"].id
    )
    assert team.superuser("select count(*) as n from public.api_keys") == before


# =============================================================================================
# 5. API roles execute only the private functions some path of theirs needs
# =============================================================================================

PRIVATE_CALL = re.compile(r"\bprivate\.([a-z_][a-z0-9_]*)\s*\(")


def needed_private_functions(su: Superuser, role: str) -> set[str]:
    """Private functions `role` must be able to execute: those called by the public functions it
    may execute (thin security invoker wrappers run the private function as the caller), by the
    policies that apply to it, by the check constraints of the tables it may write, and
    PostgREST's db-pre-request function; then, transitively, what those call when they are
    security invoker (a security definer function calls on with its owner's rights)."""
    needed: set[str] = set()
    constraints = su(
        "select pg_get_constraintdef(c.oid) as expr from pg_constraint as c"
        " join pg_class as t on t.oid = c.conrelid"
        " where c.contype = 'c' and t.relnamespace = 'public'::regnamespace"
        " and (has_table_privilege(%s, t.oid, 'insert') or has_any_column_privilege(%s, t.oid, 'update'))",
        [role, role],
    )
    for row in constraints:
        needed |= set(PRIVATE_CALL.findall(row["expr"]))
    wrappers = su(
        "select p.prosrc from pg_proc as p"
        " where p.pronamespace = 'public'::regnamespace and not p.prosecdef"
        " and has_function_privilege(%s, p.oid, 'execute')",
        [role],
    )
    for row in wrappers:
        needed |= set(PRIVATE_CALL.findall(row["prosrc"]))
    policies = su(
        "select coalesce(pg_get_expr(pol.polqual, pol.polrelid), '') || ' '"
        " || coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '') as expr"
        " from pg_policy as pol"
        " where pol.polroles = '{0}' or (select oid from pg_roles where rolname = %s) = any(pol.polroles)",
        [role],
    )
    for row in policies:
        needed |= set(PRIVATE_CALL.findall(row["expr"]))
    pre_request = su(
        "select split_part(s.setting, '=', 2) as fn from pg_db_role_setting as d"
        " cross join lateral unnest(d.setconfig) as s (setting)"
        " where d.setrole = (select oid from pg_roles where rolname = 'authenticator')"
        " and s.setting like 'pgrst.db_pre_request=%%'"
    )
    for row in pre_request:
        needed.add(row["fn"].removeprefix("private."))
    needed.add("check_api_key")  # the documented db-pre-request function (docs/api/api_keys.md)
    invoker = {
        r["proname"]: r["prosrc"]
        for r in su(
            "select proname, prosrc from pg_proc where pronamespace = 'private'::regnamespace and not prosecdef"
        )
    }
    frontier = set(needed)
    while frontier:
        calls = {
            called for name in frontier if name in invoker for called in PRIVATE_CALL.findall(invoker[name])
        }
        frontier = calls - needed
        needed |= frontier
    return needed


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_execute_only_the_private_functions_their_paths_need(db_url: str, role: str) -> None:
    with Superuser(db_url) as su:
        needed = needed_private_functions(su, role)
        executable = {
            r["proname"]
            for r in su(
                "select p.proname from pg_proc as p"
                " where p.pronamespace = 'private'::regnamespace and has_function_privilege(%s, p.oid, 'execute')",
                [role],
            )
        }
    assert executable - needed == set(), f"{role} may execute private functions no path of theirs needs"
    if role == "authenticated":
        missing = {
            "organizations_with",
            "readable_audit_entries",
            "member_profiles",
            "create_api_key",
        } - executable
        assert missing == set(), f"{role} lacks private functions its paths call"


def test_the_helpers_a_hostile_member_probed_are_out_of_reach(team: Team) -> None:
    viewer = team.people["viewer"].session(team.api, aal="aal2")
    for call in (
        f"select private.seats_used('{team.org_id}')",
        f"select private.holds_role_permissions('{team.org_id}', null)",
        f"select private.has_permission('{team.org_id}', 'billing.read')",
        "select private.require_user()",
    ):
        fails("42501", viewer.sql, call)


# =============================================================================================
# 3. an audit entry is no easier to read than its row
# =============================================================================================


def test_an_auditor_role_reads_entries_only_of_tables_it_may_read(team: Team) -> None:
    """A viewer with the custom role "Auditor" = {audit.read}: the organisation's own entries yes,
    the entries repeating API keys and invoices (api_keys.read, billing.read) no."""
    give(team, team.people["viewer"], custom_role(team, "Auditor", ["audit.read"]))
    team.superuser(
        "insert into public.api_keys (organization_id, name, key_prefix) values (%s, 'Shop', 'luneo_abcdEFGH')",
        [team.org_id],
    )
    team.superuser(
        "insert into public.invoices (organization_id, number, amount_due, billing_name)"
        " values (%s, %s, 4900, 'Jeanne Client')",
        [team.org_id, f"LU-{uuid.uuid4().hex[:8]}"],
    )
    seen = {
        row["table_name"] for row in team.people["viewer"].session(team.api, aal="aal2").select("audit_logs")
    }
    assert {"organizations", "team_members"} <= seen
    assert not {"api_keys", "invoices"} & seen
    admin_sees = {row["table_name"] for row in team.people["admin"].session(team.api).select("audit_logs")}
    assert {"api_keys", "invoices"} <= admin_sees

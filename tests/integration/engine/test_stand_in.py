"""The Supabase stand-in, seen through the PostgREST-faithful helper as the frontend sees it."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import psycopg
import pytest

from luneo.core import migrations
from luneo.core.settings import load_settings
from tests.support.pg import REPO, create_user
from tests.support.postgrest import PostgREST, PostgrestError

AUTH = "select auth.uid() as uid, auth.role() as role, auth.email() as email, auth.jwt() as jwt"


def test_auth_functions_read_the_claims_of_an_authenticated_request(api: PostgREST) -> None:
    user = uuid.uuid4()
    (row,) = api.user(user, "camille@example.com", aal="aal2").sql(AUTH)
    assert row["uid"] == user
    assert row["role"] == "authenticated"
    assert row["email"] == "camille@example.com"
    assert row["jwt"]["sub"] == str(user)
    assert row["jwt"]["aal"] == "aal2"
    assert row["jwt"]["app_metadata"] == {"provider": "email", "providers": ["email"]}


def test_anon_has_no_uid_and_service_role_is_its_own_role(api: PostgREST) -> None:
    (anon,) = api.anon().sql(AUTH)
    assert anon["uid"] is None
    assert anon["role"] == "anon"
    assert anon["email"] is None
    (service,) = api.service_role().sql(AUTH)
    assert service["uid"] is None
    assert service["role"] == "service_role"


def test_legacy_claim_settings_win_as_on_supabase(db_url: str) -> None:
    user = uuid.uuid4()
    with psycopg.connect(db_url) as conn:
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claim.sub', %s, true)", [str(user)])
        conn.execute("select set_config('request.jwt.claim.role', 'authenticated', true)")
        assert conn.execute("select auth.uid(), auth.role()").fetchone() == (user, "authenticated")


def test_requests_run_as_the_api_roles(api: PostgREST) -> None:
    assert api.anon().sql("select current_user as u")[0]["u"] == "anon"
    assert api.user(uuid.uuid4()).sql("select current_user as u")[0]["u"] == "authenticated"
    assert api.service_role().sql("select current_user as u")[0]["u"] == "service_role"


def test_request_settings_are_set_as_postgrest_sets_them(api: PostgREST) -> None:
    session = api.user(uuid.uuid4(), headers={"User-Agent": "luneo-test", "X-Forwarded-For": "203.0.113.7"})
    (row,) = session.sql(
        "select current_setting('request.headers', true)::json as headers,"
        " current_setting('request.method', true) as method, current_setting('request.path', true) as path",
        method="PATCH",
        path="/orders",
    )
    assert row["headers"] == {"user-agent": "luneo-test", "x-forwarded-for": "203.0.113.7"}
    assert (row["method"], row["path"]) == ("PATCH", "/orders")


def test_settings_do_not_leak_past_the_request(db_url: str, api: PostgREST) -> None:
    api.user(uuid.uuid4()).sql("select 1")
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select nullif(current_setting('request.jwt.claims', true), '')").fetchone() == (
            None,
        )


def test_roles_have_supabase_attributes(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "select rolname, rolcanlogin, rolinherit, rolbypassrls from pg_roles"
            " where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by rolname"
        ).fetchall()
        members = conn.execute(
            "select r.rolname from pg_auth_members m join pg_roles r on r.oid = m.roleid"
            " where m.member = 'authenticator'::regrole order by 1"
        ).fetchall()
    assert rows == [
        ("anon", False, True, False),
        ("authenticated", False, True, False),
        ("authenticator", True, False, False),
        ("service_role", False, True, True),
    ]
    assert [m[0] for m in members] == ["anon", "authenticated", "service_role"]


def test_api_roles_cannot_read_auth_users(db_url: str, api: PostgREST) -> None:
    create_user(db_url, "a@example.com")
    statuses = []
    for session in (api.anon(), api.user(uuid.uuid4()), api.service_role()):
        with pytest.raises(PostgrestError) as info:
            session.sql("select * from auth.users")
        assert info.value.sqlstate == "42501"
        statuses.append(info.value.status)
    assert statuses == [401, 403, 403]


def test_storage_path_helpers(api: PostgREST) -> None:
    (row,) = api.anon().sql(
        "select storage.foldername('u1/avatars/me.png') as folders, storage.filename('u1/avatars/me.png') as file,"
        " storage.extension('u1/avatars/me.png') as ext"
    )
    assert row == {"folders": ["u1", "avatars"], "file": "me.png", "ext": "png"}


def test_database_search_path_includes_extensions_and_realtime_publication_exists(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        assert "extensions" in conn.execute("show search_path").fetchone()[0]
        assert conn.execute(
            "select count(*) from pg_publication where pubname = 'supabase_realtime'"
        ).fetchone() == (1,)
        assert conn.execute(
            "select obj_description('auth'::regnamespace, 'pg_namespace') like 'luneo compat stand-in%'"
        ).fetchone() == (True,)


def test_rpc_passes_named_arguments_converted_from_json(db_url: str, api: PostgREST) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "create function public.greet(name text, times int default 1) returns text language sql"
            " as $$ select repeat('hi ' || name || ' ', times) $$"
        )
        conn.execute(
            "create function public.fail() returns void language plpgsql"
            " as $$ begin raise exception using errcode = 'PT429', message = 'slow down'; end $$"
        )
    assert api.anon().rpc("greet", name="Ana", times=2) == "hi Ana hi Ana "
    assert api.anon().rpc("greet", name="Ana") == "hi Ana "
    with pytest.raises(PostgrestError) as info:
        api.anon().rpc("fail")
    assert (info.value.status, info.value.message) == (429, "slow down")
    with pytest.raises(PostgrestError) as missing:
        api.anon().rpc("greet", nom="x")
    assert missing.value.status == 404


def test_third_party_supabase_migrations_apply_unchanged(tmp_path: Path, empty_db_url: str) -> None:
    """A migration written for the real platform (profiles, auth trigger, storage, realtime)."""
    project = tmp_path / "thirdparty"
    shutil.copytree(REPO / "tests" / "fixtures" / "thirdparty", project)

    report = migrations.apply(load_settings(project, empty_db_url))

    assert report.compat_installed
    assert [a.path for a in report.applied] == [
        "supabase/migrations/20240101000000_user_management_starter.sql"
    ]
    user = create_user(empty_db_url, "ana@example.com", {"full_name": "Ana Lima"})
    api = PostgREST(empty_db_url)
    (profile,) = api.user(user, "ana@example.com").select("profiles")
    assert (profile["id"], profile["full_name"]) == (user, "Ana Lima")
    assert api.anon().select("profiles") == [profile]  # the starter lets anyone read profiles
    assert api.user(uuid.uuid4()).update("profiles", {"full_name": "Mallory"}, id=user) == []
    assert api.user(user).update("profiles", {"full_name": "Ana L."}, id=user)[0]["full_name"] == "Ana L."

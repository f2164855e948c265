"""The database advisor: each rule flags an offending object and stays quiet once it is fixed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from luneo.core import db
from luneo.core.checks import Finding, Severity
from luneo.core.checks.advisor import PREFIX, RULES, advise

EXTENSIONS = ["citext", "hstore", "ltree", "cube", "isn", "fuzzystrmatch", "tablefunc", "vector"]
"""Extensions a test may install in public; the first the server offers (and is not installed) is used."""


@pytest.fixture
def conn(db_url: str) -> Iterator[db.Connection]:
    with db.connect(db_url) as connection:
        yield connection


def rule(finding: Finding) -> str:
    """The advisor rule of a finding (`advisor:<rule>`)."""
    assert finding.rule.startswith(PREFIX)
    assert finding.line == 0
    return finding.rule.removeprefix(PREFIX)


def rules_for(conn: db.Connection, obj: str) -> set[str]:
    return {rule(a) for a in advise(conn) if a.path == obj}


def flagged(conn: db.Connection, name: str) -> set[str]:
    return {a.path for a in advise(conn) if rule(a) == name}


def test_the_luneo_schema_has_no_error_or_warning(conn: db.Connection) -> None:
    assert [a for a in advise(conn) if a.severity in (Severity.ERROR, Severity.WARNING)] == []


def test_advice_is_sorted_by_level_then_rule_then_object(conn: db.Connection) -> None:
    conn.execute("create table public.b_open (id int)")
    conn.execute("create table public.a_open (id int)")
    conn.execute("create table private.locked (id int)")
    conn.execute("alter table private.locked enable row level security")
    conn.execute("create function public.f() returns int language sql as 'select 1'")
    found = advise(conn)
    assert all(isinstance(a, Finding) and rule(a) in RULES and a.message for a in found)
    levels = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    keys = [(levels[a.severity], rule(a), a.path) for a in found]
    assert keys == sorted(keys)
    assert [a.path for a in found if rule(a) == "rls_disabled_in_public"] == [
        "public.a_open",
        "public.b_open",
    ]
    assert found[0].severity == Severity.ERROR
    assert found[-1].severity == Severity.INFO


def test_rls_disabled_in_public(conn: db.Connection) -> None:
    conn.execute("create table public.notes (id int primary key)")
    assert rules_for(conn, "public.notes") == {"rls_disabled_in_public"}
    (advice,) = [a for a in advise(conn) if a.path == "public.notes"]
    assert advice.severity == Severity.ERROR
    conn.execute("alter table public.notes enable row level security")
    conn.execute("create policy notes_read on public.notes for select to authenticated using (true)")
    assert rules_for(conn, "public.notes") == set()


def test_tables_outside_public_need_no_rls(conn: db.Connection) -> None:
    conn.execute("create table private.outbox (id int primary key)")
    assert rules_for(conn, "private.outbox") == set()


def test_policy_exists_rls_disabled(conn: db.Connection) -> None:
    conn.execute("create table private.jobs (id int primary key)")
    conn.execute("create policy jobs_read on private.jobs for select to authenticated using (true)")
    assert rules_for(conn, "private.jobs") == {"policy_exists_rls_disabled"}
    conn.execute("alter table private.jobs enable row level security")
    assert rules_for(conn, "private.jobs") == set()


def test_security_definer_view(conn: db.Connection) -> None:
    conn.execute("create view public.report as select 1 as n")
    assert rules_for(conn, "public.report") == {"security_definer_view"}
    conn.execute("alter view public.report set (security_invoker = on)")
    assert rules_for(conn, "public.report") == set()
    conn.execute("create view public.summary with (security_invoker = true) as select 1 as n")
    assert rules_for(conn, "public.summary") == set()


def test_auth_rls_initplan(conn: db.Connection) -> None:
    conn.execute("create table public.docs (id int primary key, owner uuid, org text)")
    conn.execute("alter table public.docs enable row level security")
    conn.execute(
        "create policy docs_read on public.docs for select to authenticated using (owner = auth.uid())"
    )
    conn.execute(
        "create policy docs_write on public.docs for insert to authenticated"
        " with check (org = current_setting('request.jwt.claims', true)::json ->> 'org')"
    )
    conn.execute(
        "create policy docs_half on public.docs for update to authenticated"
        " using (owner = (select auth.uid())) with check ((auth.jwt() ->> 'role') = 'authenticated')"
    )
    assert flagged(conn, "auth_rls_initplan") == {
        "public.docs.docs_read",
        "public.docs.docs_write",
        "public.docs.docs_half",
    }
    assert rules_for(conn, "public.docs.docs_read") == {"auth_rls_initplan"}
    conn.execute("drop policy docs_read on public.docs")
    conn.execute("drop policy docs_write on public.docs")
    conn.execute("drop policy docs_half on public.docs")
    conn.execute(
        "create policy docs_read on public.docs for select to authenticated using (owner = (select auth.uid()))"
    )
    conn.execute(
        "create policy docs_write on public.docs for insert to authenticated"
        " with check (org = (select current_setting('request.jwt.claims', true)::json ->> 'org'))"
    )
    conn.execute(
        "create policy docs_half on public.docs for update to authenticated"
        " using (owner = (select auth.uid())) with check ((select auth.jwt() ->> 'role') = 'authenticated')"
    )
    assert flagged(conn, "auth_rls_initplan") == set()


def test_auth_rls_initplan_sees_unqualified_calls_when_auth_is_on_the_search_path(
    conn: db.Connection,
) -> None:
    conn.execute("create table public.pins (id int primary key, owner uuid)")
    conn.execute("alter table public.pins enable row level security")
    conn.execute(
        "create policy pins_read on public.pins for select to authenticated using (owner = auth.uid())"
    )
    conn.execute("set search_path = auth, public")
    assert rules_for(conn, "public.pins.pins_read") == {"auth_rls_initplan"}


def test_function_search_path_mutable(conn: db.Connection) -> None:
    conn.execute("create function private.add_one(n int) returns int language sql as 'select n + 1'")
    assert rules_for(conn, "private.add_one(n integer)") == {"function_search_path_mutable"}
    conn.execute("alter function private.add_one(int) set search_path = ''")
    assert rules_for(conn, "private.add_one(n integer)") == set()


def test_multiple_permissive_policies(conn: db.Connection) -> None:
    conn.execute("create table public.posts (id int primary key)")
    conn.execute("alter table public.posts enable row level security")
    conn.execute("create policy posts_mine on public.posts for select to authenticated using (true)")
    conn.execute("create policy posts_all on public.posts for all to public using (true)")
    conn.execute("create policy posts_anon on public.posts for select to anon using (true)")
    found = [a for a in advise(conn) if a.path == "public.posts"]
    assert {rule(a) for a in found} == {"multiple_permissive_policies"}
    assert all(a.severity == Severity.WARNING for a in found)
    # authenticated reads through two policies, anon through two; writes have one each
    assert len(found) == 2
    assert any("role anon and select" in a.message for a in found)
    assert any("role authenticated and select" in a.message for a in found)
    conn.execute("drop policy posts_all on public.posts")
    conn.execute("create policy posts_delete on public.posts for delete to authenticated using (true)")
    conn.execute(
        "create policy posts_guard on public.posts as restrictive for select to authenticated using (true)"
    )
    assert rules_for(conn, "public.posts") == set()


def test_unindexed_foreign_keys(conn: db.Connection) -> None:
    conn.execute("create table private.parents (id int primary key, code int, unique (id, code))")
    conn.execute(
        "create table private.children (id int primary key, parent_id int references private.parents (id),"
        " p int, c int, constraint children_pair_fkey foreign key (p, c) references private.parents (id, code))"
    )
    assert flagged(conn, "unindexed_foreign_keys") == {
        "private.children.children_parent_id_fkey",
        "private.children.children_pair_fkey",
    }
    assert rules_for(conn, "private.children.children_parent_id_fkey") == {"unindexed_foreign_keys"}
    # an index whose leading column is not the key does not count, a partial one neither
    conn.execute("create index on private.children (id, parent_id)")
    conn.execute("create index on private.children (parent_id) where parent_id > 0")
    conn.execute("create index on private.children (p)")
    assert flagged(conn, "unindexed_foreign_keys") == {
        "private.children.children_parent_id_fkey",
        "private.children.children_pair_fkey",
    }
    conn.execute("create index on private.children (parent_id, id)")
    conn.execute("create index on private.children (c, p)")
    assert flagged(conn, "unindexed_foreign_keys") == set()


def test_rls_enabled_no_policy(conn: db.Connection) -> None:
    conn.execute("create table public.secrets (id int primary key)")
    conn.execute("alter table public.secrets enable row level security")
    assert rules_for(conn, "public.secrets") == {"rls_enabled_no_policy"}
    (advice,) = [a for a in advise(conn) if a.path == "public.secrets"]
    assert advice.severity == Severity.INFO
    conn.execute("create policy secrets_read on public.secrets for select to authenticated using (true)")
    assert rules_for(conn, "public.secrets") == set()


def test_security_definer_function_exposed(conn: db.Connection) -> None:
    conn.execute(
        "create function public.grant_admin(u uuid) returns void language sql security definer"
        " set search_path = '' as 'select'"
    )
    assert rules_for(conn, "public.grant_admin(u uuid)") == {"security_definer_function_exposed"}
    (advice,) = [a for a in advise(conn) if a.path == "public.grant_admin(u uuid)"]
    assert advice.severity == Severity.WARNING
    assert "anon, authenticated" in advice.message
    conn.execute("revoke execute on function public.grant_admin(uuid) from public, anon")
    assert rules_for(conn, "public.grant_admin(u uuid)") == {"security_definer_function_exposed"}
    conn.execute("revoke execute on function public.grant_admin(uuid) from authenticated")
    assert rules_for(conn, "public.grant_admin(u uuid)") == set()
    # a security invoker function may be called by anyone
    conn.execute("create function public.ping() returns int language sql set search_path = '' as 'select 1'")
    assert rules_for(conn, "public.ping()") == set()


def test_extension_in_public(conn: db.Connection) -> None:
    available = {
        name
        for (name,) in conn.execute(
            "select name from pg_available_extensions where installed_version is null and name = any(%s)",
            [EXTENSIONS],
        )
    }
    ext = next((e for e in EXTENSIONS if e in available), None)
    assert ext is not None, f"none of {EXTENSIONS} is available (the embedded server has Luneo's pgcrypto)"
    conn.execute(f'create extension "{ext}" schema public')
    assert rules_for(conn, ext) == {"extension_in_public"}
    # its objects belong to the extension: no other rule looks at them
    assert [
        a for a in advise(conn) if a.path != ext and a.severity in (Severity.ERROR, Severity.WARNING)
    ] == []
    conn.execute(f'alter extension "{ext}" set schema extensions')
    assert rules_for(conn, ext) == set()

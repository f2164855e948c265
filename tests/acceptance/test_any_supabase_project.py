"""`luneo db apply --dir` on someone else's Supabase project, on plain Postgres, nothing copied.

The project has only what `supabase init` and `supabase migration new` make: supabase/config.toml,
supabase/migrations/*.sql and an Edge Function in TypeScript under supabase/functions/ (which
Luneo must leave alone: there it is Deno code, not SQL). The stand-in comes from the tool.

Then a larger one: tests/fixtures/team-accounts, written here in the shape of a team-accounts
starter for the hosted platform (its own schema, hyphenated file names, guarded `create extension`
calls, unqualified gen_random_bytes() and uuid_generate_v4(), a trigger on auth.users, security
definer RPCs, RLS, a storage bucket). `tests/run.sh` runs this on the embedded server and
`.ci/run` again on PostgreSQL 15.

And tests/fixtures/hosted-extensions, whose first migration enables pgcrypto and uuid-ossp
unguarded, as projects written for the hosted platform do.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from pathlib import Path

from tests.support.cli import luneo
from tests.support.pg import REPO, create_user, superuser
from tests.support.postgrest import PostgREST


def make_project(root: Path) -> Path:
    (root / "supabase" / "functions" / "hello").mkdir(parents=True)
    (root / "supabase" / "config.toml").write_text('project_id = "someone-else"\n')
    (root / "supabase" / "functions" / "hello" / "index.ts").write_text(
        'Deno.serve(() => new Response("hello"))\n'
    )
    migrations = root / "supabase" / "migrations"
    migrations.mkdir()
    starter = REPO / "tests" / "fixtures" / "thirdparty" / "supabase" / "migrations"
    for path in starter.glob("*.sql"):
        (migrations / path.name).write_text(path.read_text())
    return root


def test_a_project_with_only_migrations_applies_on_plain_postgres(tmp_path: Path, empty_db_url: str) -> None:
    project = make_project(tmp_path / "someone-else")

    first = luneo("db", "apply", "--json", "--db-url", empty_db_url, "--dir", str(project))

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["compat_installed"] is True
    assert [a["path"] for a in report["applied"]] == [
        "supabase/migrations/20240101000000_user_management_starter.sql"
    ]
    assert not (project / "supabase" / "compat").exists()
    compat = superuser(
        empty_db_url,
        "select path, success from supabase_migrations.luneo_history where kind = 'compat' order by id",
    )
    assert [r["path"] for r in compat] == [
        "luneo:compat/00_roles.sql",
        "luneo:compat/10_schemas.sql",
        "luneo:compat/20_auth.sql",
        "luneo:compat/30_storage.sql",
        "luneo:compat/40_realtime.sql",
        "luneo:compat/50_grants.sql",
    ]
    assert all(r["success"] for r in compat)

    # the project works as it would on Supabase: sign-up creates the profile, RLS guards it
    user = create_user(empty_db_url, "ana@example.com", {"full_name": "Ana Lima"})
    (profile,) = PostgREST(empty_db_url).user(user, "ana@example.com").select("profiles")
    assert profile["full_name"] == "Ana Lima"
    assert PostgREST(empty_db_url).user(uuid.uuid4()).update("profiles", {"full_name": "x"}, id=user) == []

    again = luneo("db", "verify", "--db-url", empty_db_url, "--dir", str(project))
    assert again.returncode == 0, again.stdout + again.stderr
    status = luneo("db", "status", "--json", "--db-url", empty_db_url, "--dir", str(project))
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [
        ("supabase/migrations/20240101000000_user_management_starter.sql", "applied")
    ]


TEAM_ACCOUNTS = REPO / "tests" / "fixtures" / "team-accounts"
TEAM_ACCOUNTS_MIGRATIONS = [
    "supabase/migrations/20240414161707_team-accounts-setup.sql",
    "supabase/migrations/20240414161947_team-accounts-accounts.sql",
    "supabase/migrations/20240414162100_team-accounts-invitations.sql",
    "supabase/migrations/20240414162131_team-accounts-billing.sql",
]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_project_written_for_the_hosted_platform_applies_unchanged_in_one_run(empty_db_url: str) -> None:
    before = tree(TEAM_ACCOUNTS)

    first = luneo("db", "apply", "--json", "--db-url", empty_db_url, "--dir", str(TEAM_ACCOUNTS))

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["compat_installed"] is True
    assert [a["path"] for a in report["applied"]] == TEAM_ACCOUNTS_MIGRATIONS
    assert report["warnings"] == []
    tables = superuser(
        empty_db_url, "select tablename from pg_tables where schemaname = 'team_accounts' order by tablename"
    )
    assert [t["tablename"] for t in tables] == [
        "accounts",
        "billing_customers",
        "billing_subscriptions",
        "invitations",
        "memberships",
        "settings",
    ]
    functions = superuser(
        empty_db_url,
        "select proname from pg_proc where pronamespace = 'public'::regnamespace"
        " and proname in ('create_team_account', 'create_invitation', 'accept_invitation', 'list_accounts')"
        " order by proname",
    )
    assert [f["proname"] for f in functions] == [
        "accept_invitation",
        "create_invitation",
        "create_team_account",
        "list_accounts",
    ]

    # it works as on Supabase: sign-up makes a personal account (trigger on auth.users), a team
    # account invites with a token from gen_random_bytes(), the invitee joins with it
    api = PostgREST(empty_db_url)
    owner = create_user(empty_db_url, "ana@example.com")
    assert api.user(owner, "ana@example.com").rpc("get_personal_account")["account_id"] == str(owner)
    team = api.user(owner, "ana@example.com").rpc(
        "create_team_account", account_slug="maison", account_name="Maison"
    )
    invitation = api.user(owner, "ana@example.com").rpc(
        "create_invitation",
        team_account_id=team["account_id"],
        invite_role="member",
        invite_kind="single_use",
    )
    assert len(invitation["token"]) >= 30
    guest = create_user(empty_db_url, "bruno@example.com")
    joined = api.user(guest, "bruno@example.com").rpc("accept_invitation", token=invitation["token"])
    assert (joined["role"], joined["slug"]) == ("member", "maison")
    assert [a["slug"] for a in api.user(guest, "bruno@example.com").rpc("list_accounts")] == [None, "maison"]
    # billing: the backend records a subscription (service_role only), members read it
    api.service_role().rpc(
        "record_billing",
        team_account_id=team["account_id"],
        customer={"id": "cus_maison"},
        subscription={"id": "sub_maison", "status": "active"},
    )
    billing = api.user(guest, "bruno@example.com").rpc(
        "account_billing_status", team_account_id=team["account_id"]
    )
    assert (billing["customer_id"], billing["status"]) == ("cus_maison", "active")

    second = luneo("db", "apply", "--db-url", empty_db_url, "--dir", str(TEAM_ACCOUNTS))
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout
    status = luneo("db", "status", "--json", "--db-url", empty_db_url, "--dir", str(TEAM_ACCOUNTS))
    assert [(f["path"], f["state"]) for f in json.loads(status.stdout)] == [
        (path, "applied") for path in TEAM_ACCOUNTS_MIGRATIONS
    ]
    assert tree(TEAM_ACCOUNTS) == before  # nothing written into the project


HOSTED_EXTENSIONS = REPO / "tests" / "fixtures" / "hosted-extensions"


def test_a_project_enabling_pgcrypto_and_uuid_ossp_unguarded_applies_in_one_run(empty_db_url: str) -> None:
    """Its first migration is `create extension if not exists pgcrypto with schema extensions;`
    (and uuid-ossp) with no guard: on the embedded server Luneo's SQL implementations answer it,
    on the machine's PostgreSQL the real extensions do; the functions give the same values."""
    before = tree(HOSTED_EXTENSIONS)

    first = luneo("db", "apply", "--json", "--db-url", empty_db_url, "--dir", str(HOSTED_EXTENSIONS))

    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert [a["path"] for a in report["applied"]] == [
        "supabase/migrations/20240601000000_enable-extensions.sql",
        "supabase/migrations/20240601000100_create-short-links.sql",
    ]
    installed = superuser(
        empty_db_url,
        "select extname, extnamespace::regnamespace::text as schema from pg_extension"
        " where extname in ('pgcrypto', 'uuid-ossp') order by extname",
    )
    assert [(e["extname"], e["schema"]) for e in installed] == [
        ("pgcrypto", "extensions"),
        ("uuid-ossp", "extensions"),
    ]

    url = "https://luneo.example/collections/été"
    (link,) = superuser(
        empty_db_url, "insert into public.short_links (target_url) values (%s) returning *", [url]
    )
    assert link["id"].version == 4
    assert re.fullmatch("[0-9a-f]{12}", link["slug"])
    assert bytes(link["target_hash"]) == hashlib.sha256(url.encode()).digest()
    assert link["target_id"] == uuid.uuid5(uuid.NAMESPACE_URL, url)

    (secret,) = superuser(empty_db_url, "insert into public.signing_secrets default values returning *")
    assert secret["id"].version == 1
    assert len(bytes.fromhex(secret["secret"])) == 32
    signature = superuser(
        empty_db_url, "select public.sign_payload(%s, %s) as s", [secret["id"], '{"id": 1}']
    )
    assert signature[0]["s"] == hmac.new(secret["secret"].encode(), b'{"id": 1}', "sha256").hexdigest()

    second = luneo("db", "apply", "--db-url", empty_db_url, "--dir", str(HOSTED_EXTENSIONS))
    assert second.returncode == 0, second.stderr
    assert "nothing to apply" in second.stdout
    assert tree(HOSTED_EXTENSIONS) == before

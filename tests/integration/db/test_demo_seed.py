"""The demo seed (supabase/seed.sql and supabase/seeds/*.sql, listed in supabase/config.toml):
after what `luneo dev` does (apply, then seed) every screen has rows for the demo organisation,
the users can sign in where GoTrue runs, and a second run changes nothing."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import bcrypt
import pytest

from luneo.core import migrations
from luneo.core.settings import load_settings
from tests.support.pg import REPO, Superuser
from tests.support.postgrest import PostgREST

DEMO_ORG = "00000000-0000-4000-8000-0000000000a1"
PASSWORD = "luneo-demo-2026"
"""The demo password documented in docs/demo.md."""
DOMAINS = ("maison-aurore.example", "atelier-boreal.example")


def documented(pattern: str) -> list[str]:
    return re.findall(pattern, (REPO / "docs" / "demo.md").read_text())


@pytest.fixture
def seeded(db_url: str) -> Iterator[Superuser]:
    settings = load_settings(REPO, db_url)
    migrations.apply(settings)  # `luneo dev`: nothing pending on the template's clone, then the seed
    report = migrations.seed(settings)
    assert [path for path, _ in report.files] == [
        "supabase/seed.sql",
        "supabase/seeds/10_invitations.sql",
        "supabase/seeds/20_api_keys.sql",
        "supabase/seeds/30_orders.sql",
        "supabase/seeds/40_invoices.sql",
    ]
    assert all(count > 0 for _, count in report.files)
    su = Superuser(db_url)
    yield su
    su.close()


def test_every_screen_has_rows_for_the_demo_organisation(seeded: Superuser) -> None:
    roles = seeded.tuples(
        "select role::text, status::text from public.team_members where organization_id = %s", [DEMO_ORG]
    )
    assert {role for role, status in roles if status == "active"} == {
        "owner",
        "admin",
        "manager",
        "designer",
        "viewer",
    }  # every built-in role of public.team_role
    assert {r for (r,) in seeded.tuples("select unnest(enum_range(null::public.team_role))::text")} == {
        role for role, _ in roles
    }
    assert (
        seeded.scalar(
            "select count(*) from public.invitations where organization_id = %s and status = 'pending' "
            "and expires_at > now()",
            [DEMO_ORG],
        )
        >= 2
    )
    assert seeded.scalar(
        "select count(*) from public.invitations as i join private.invitation_tokens as t on t.invitation_id = i.id "
        "where i.organization_id = %s and i.status = 'pending'",
        [DEMO_ORG],
    ) == seeded.scalar(
        "select count(*) from public.invitations where organization_id = %s and status = 'pending'",
        [DEMO_ORG],
    )
    assert (
        seeded.scalar(
            "select count(*) from public.api_keys where organization_id = %s and revoked_at is null",
            [DEMO_ORG],
        )
        >= 1
    )
    assert (
        seeded.scalar(
            "select count(distinct status) from public.orders where organization_id = %s", [DEMO_ORG]
        )
        == 6
    )
    assert seeded.scalar("select count(*) from public.invoices where organization_id = %s", [DEMO_ORG]) >= 1
    assert seeded.scalar("select count(*) from public.team_roles where organization_id = %s", [DEMO_ORG]) == 1
    # every demo user has the profile the auth.users trigger makes
    assert (
        seeded.scalar(
            "select count(*) from auth.users as u join public.profiles as p on p.id = u.id "
            "where split_part(u.email, '@', 2) = any(%s) and p.full_name is not null",
            [list(DOMAINS)],
        )
        == 7
    )


def test_the_members_see_their_screens_through_the_api(seeded: Superuser, db_url: str) -> None:
    api = PostgREST(db_url)
    owner = api.user("00000000-0000-4000-8000-000000000001", "camille@maison-aurore.example")
    viewer = api.user("00000000-0000-4000-8000-000000000005", "theo@maison-aurore.example")
    assert len(owner.select("team_members", organization_id=DEMO_ORG)) == 6
    assert len(owner.select("invitations", organization_id=DEMO_ORG)) == 4
    assert len(owner.select("api_keys", organization_id=DEMO_ORG)) == 3
    assert len(owner.select("invoices", organization_id=DEMO_ORG)) == 3
    assert len(viewer.select("orders", organization_id=DEMO_ORG)) == 6
    assert viewer.select("invoices", organization_id=DEMO_ORG) == []  # billing.read is admin and above


def test_demo_users_can_sign_in_with_the_documented_password(seeded: Superuser) -> None:
    assert documented(r"`(luneo-demo-\d+)`")[0] == PASSWORD
    users = seeded(
        "select u.id, u.email, u.encrypted_password, u.email_confirmed_at, u.aud, u.role, "
        "u.confirmation_token, u.recovery_token, i.provider, i.provider_id, i.identity_data "
        "from auth.users as u left join auth.identities as i on i.user_id = u.id "
        "where split_part(u.email, '@', 2) = any(%s) order by u.email",
        [list(DOMAINS)],
    )
    assert len(users) == 7
    assert sorted(documented(r"(?m)^\| `([a-z]+@[a-z.-]+)` \| `00000000-")) == [u["email"] for u in users]
    for user in users:
        hashed = user["encrypted_password"]
        assert hashed.startswith("$2a$10$"), user["email"]  # what GoTrue's golang.org/x/crypto/bcrypt writes
        assert bcrypt.checkpw(PASSWORD.encode(), hashed.encode()), user["email"]
        assert not bcrypt.checkpw(b"wrong password", hashed.encode())
        assert user["email_confirmed_at"] is not None
        assert (user["aud"], user["role"]) == ("authenticated", "authenticated")
        assert (user["confirmation_token"], user["recovery_token"]) == ("", "")
        assert (user["provider"], user["provider_id"]) == ("email", str(user["id"]))
        assert user["identity_data"]["email"] == user["email"]
        assert user["identity_data"]["sub"] == str(user["id"])


def test_documented_api_keys_and_invitation_tokens_match_their_hashes(seeded: Superuser) -> None:
    keys = documented(r"`(luneo_(?!inv_)[A-Za-z0-9_-]{43})`")
    tokens = documented(r"`(luneo_inv_[A-Za-z0-9_-]{43})`")
    assert len(keys) == 4
    assert len(tokens) == 4
    stored = {bytes(h) for (h,) in seeded.tuples("select key_hash from private.api_key_hashes")}
    assert {hashlib.sha256(k.encode()).digest() for k in keys} == stored
    prefixes = {p for (p,) in seeded.tuples("select key_prefix from public.api_keys")}
    assert {k[:14] for k in keys} == prefixes
    token_hashes = {bytes(h) for (h,) in seeded.tuples("select token_hash from private.invitation_tokens")}
    assert {hashlib.sha256(t.encode()).digest() for t in tokens} == token_hashes


def test_the_seed_runs_twice_without_change(seeded: Superuser, db_url: str) -> None:
    tables = (
        "auth.users",
        "auth.identities",
        "public.organizations",
        "public.team_members",
        "public.invitations",
        "public.api_keys",
        "public.orders",
        "public.invoices",
    )
    count = " union all ".join(f"select '{t}', count(*) from {t}" for t in tables)
    before = seeded.tuples(count)
    migrations.seed(load_settings(REPO, db_url))
    assert seeded.tuples(count) == before

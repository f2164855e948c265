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
from tests.support.postgrest import PostgREST, PostgrestError

DEMO_ORG = "00000000-0000-4000-8000-0000000000a1"
OTHER_ORG = "00000000-0000-4000-8000-0000000000a2"
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
        "supabase/seeds/25_catalogue.sql",
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


def test_the_catalogue_has_rows_for_every_commerce_screen(seeded: Superuser) -> None:
    products = seeded(
        "select status::text as status, track_stock, stock, currency, customisation_schema"
        " from public.products where organization_id = %s",
        [DEMO_ORG],
    )
    by_status = {
        status: [p for p in products if p["status"] == status] for status in ("active", "draft", "archived")
    }
    assert len(products) == 7
    assert len([p for p in by_status["active"] if p["track_stock"] and p["stock"] > 0]) >= 3
    assert [p["track_stock"] for p in by_status["active"]].count(False) == 1  # the made-to-order piece
    assert (len(by_status["draft"]), len(by_status["archived"])) == (1, 1)
    fields = [f for p in products if p["customisation_schema"] for f in p["customisation_schema"]["fields"]]
    assert {"text", "choice", "number", "boolean"} <= {f["type"] for f in fields}
    assert any(f["type"] == "text" and "max_length" in f for f in fields)
    # a shipping rate for every currency a demo product is sold in, and nothing else
    assert seeded.tuples(
        "select distinct organization_id, currency from public.products where organization_id = any(%s)"
        " order by 1, 2",
        [[DEMO_ORG, OTHER_ORG]],
    ) == seeded.tuples(
        "select organization_id, currency from public.shipping_rates where organization_id = any(%s) order by 1, 2",
        [[DEMO_ORG, OTHER_ORG]],
    )
    counts = dict(
        seeded.tuples(
            "select 'discount_codes', count(*) from public.discount_codes where organization_id = %(o)s and active"
            " union all select 'designs', count(*) from public.designs where organization_id = %(o)s"
            " union all select 'design_versions', count(*) from public.design_versions where organization_id = %(o)s"
            " union all select 'design_collection_items', count(*) from public.design_collection_items"
            " where organization_id = %(o)s"
            " union all select 'published_templates', count(*) from public.templates"
            " where organization_id = %(o)s and is_published"
            " union all select 'premium_templates', count(*) from public.templates"
            " where organization_id = %(o)s and is_premium and is_published"
            " union all select 'cliparts', count(*) from public.cliparts where organization_id = %(o)s"
            " union all select 'ar_models', count(*) from public.ar_models where organization_id = %(o)s"
            " union all select 'public_ar_experiences', count(*) from public.ar_experiences"
            " where organization_id = %(o)s and is_public",
            {"o": DEMO_ORG},
        )
    )
    assert counts == {
        "discount_codes": 2,
        "designs": 4,
        "design_versions": 6,
        "design_collection_items": 2,
        "published_templates": 3,
        "premium_templates": 2,
        "cliparts": 3,
        "ar_models": 2,
        "public_ar_experiences": 1,
    }
    # versions as the trigger numbers them: 1..current_version for each design, by its author
    assert seeded.tuples(
        "select d.name, d.current_version, array_agg(v.version order by v.version),"
        " bool_and(v.created_by = d.created_by)"
        " from public.designs as d join public.design_versions as v on v.design_id = d.id"
        " where d.organization_id = %s and d.current_version > 1 group by d.id order by d.name",
        [DEMO_ORG],
    ) == [
        ("Initiales A.L., porte-cartes cognac", 2, [1, 2], True),
        ("Monogramme Aurore, ceinture", 2, [1, 2], True),
    ]
    assert (
        seeded.scalar(
            "select count(*) from public.designs as d where d.data is distinct from"
            " (select v.data from public.design_versions as v where v.design_id = d.id and v.version = d.current_version)"
        )
        == 0
    )
    # the gallery's ratings are those rate_template() would compute from the stored ratings
    assert seeded.tuples(
        "select t.name, t.rating_count, t.rating_average::text from public.templates as t"
        " where t.organization_id = %s and t.rating_count > 0 order by t.name",
        [DEMO_ORG],
    ) == [("Armoiries", 1, "4.00"), ("Calligraphie anglaise", 2, "4.00"), ("Monogramme classique", 3, "4.67")]
    assert (
        seeded.scalar(
            "select count(*) from public.templates as t where t.rating_count <>"
            " (select count(*) from private.template_ratings as r where r.template_id = t.id)"
        )
        == 0
    )


def test_every_demo_order_adds_up_and_its_items_follow_the_catalogue(seeded: Superuser) -> None:
    orders = seeded(
        "select o.id, o.currency, o.subtotal_amount, o.discount_amount, o.tax_amount, o.shipping_amount,"
        " o.total_amount, sum(i.line_total_amount)::bigint as items_total, count(i.id) as items,"
        " bool_and(i.currency = o.currency and p.currency = o.currency) as one_currency,"
        " bool_and(i.organization_id = o.organization_id) as same_organisation,"
        " bool_and(i.sku = p.sku and i.name = p.name and i.unit_price_amount = p.price_amount) as snapshot,"
        " bool_and(private.check_customisation(p.customisation_schema, i.customisation) = i.customisation)"
        " as valid_customisation"
        " from public.orders as o"
        " left join public.order_items as i on i.order_id = o.id"
        " left join public.products as p on p.id = i.product_id"
        " where o.organization_id = any(%s) group by o.id",
        [[DEMO_ORG, OTHER_ORG]],
    )
    assert len(orders) == 7
    for order in orders:
        assert order["items"] >= 1, order
        assert order["items_total"] == order["subtotal_amount"], order
        assert order["total_amount"] == (
            order["subtotal_amount"]
            - order["discount_amount"]
            + order["tax_amount"]
            + order["shipping_amount"]
        ), order
        assert order["one_currency"], order
        assert order["same_organisation"], order
        assert order["snapshot"], order
        assert order["valid_customisation"], order


def test_the_catalogue_through_the_api(seeded: Superuser, db_url: str) -> None:
    api = PostgREST(db_url)
    anon = api.anon()
    (slug,) = documented(r"/ar/([0-9a-f]{32})`")
    experience = anon.rpc("get_ar_experience", slug=slug)
    assert experience == {
        "slug": slug,
        "name": "Essayez le jonc gravé",
        "qr_url": f"https://maison-aurore.example/ar/{slug}/qr.png",
        "model_format": "glb",
        "model_path": f"{DEMO_ORG}/jonc-vermeil.glb",
        "model_size_bytes": 3355443,
        "product_name": "Bracelet jonc gravé, vermeil",
    }
    private_slug = seeded.scalar(
        "select slug from public.ar_experiences where organization_id = %s and not is_public", [DEMO_ORG]
    )
    with pytest.raises(PostgrestError) as refused:
        anon.rpc("get_ar_experience", slug=private_slug)
    assert refused.value.sqlstate == "LU170"
    # the storefront: anon sees the active products only, members all of their organisation's
    assert len(anon.select("products", organization_id=DEMO_ORG)) == 5
    viewer = api.user("00000000-0000-4000-8000-000000000005", "theo@maison-aurore.example")
    assert len(viewer.select("products", organization_id=DEMO_ORG)) == 7
    assert len(viewer.select("order_items", organization_id=DEMO_ORG)) == 7
    assert len(viewer.select("designs", organization_id=DEMO_ORG)) == 4
    assert len(viewer.select("user_templates")) == 1
    assert len(viewer.select("template_favorites")) == 2
    assert viewer.select("discount_codes", organization_id=DEMO_ORG) == []  # orders.manage: manager and above
    manager = api.user("00000000-0000-4000-8000-000000000004", "nora@maison-aurore.example")
    assert {c["code"] for c in manager.select("discount_codes", organization_id=DEMO_ORG)} == {
        "BIENVENUE10",
        "FETES-2026",
        "PRESSE-2025",
    }


def test_the_seed_runs_twice_without_change(seeded: Superuser, db_url: str) -> None:
    tables = (
        "auth.users",
        "auth.identities",
        "public.organizations",
        "public.team_members",
        "public.invitations",
        "public.api_keys",
        "public.orders",
        "public.order_items",
        "public.order_status_history",
        "public.invoices",
        "public.products",
        "public.shipping_rates",
        "public.discount_codes",
        "public.designs",
        "public.design_versions",
        "public.design_collections",
        "public.design_collection_items",
        "public.templates",
        "private.template_ratings",
        "public.user_templates",
        "public.template_favorites",
        "public.cliparts",
        "public.ar_models",
        "public.ar_experiences",
        "public.audit_logs",
    )
    # every row of every table, not only their number: a second run updates nothing either
    rows = " union all ".join(
        f"select '{t}', count(*), md5(coalesce(string_agg(t::text, ',' order by t::text), '')) from {t} as t"
        for t in tables
    )
    before = seeded.tuples(rows)
    assert all(count > 0 for _, count, _ in before)
    migrations.seed(load_settings(REPO, db_url))
    assert seeded.tuples(rows) == before
